package dev.rill.peers;

import java.io.PrintStream;

/**
 * Runs one named check and prints its outcome as one line {@code CHECK {"check":..,"ok":..,"detail":..}} to
 * the process's real stdout (kept here: the tool checks redirect System.out to read what a tool prints).
 */
final class CheckLine {
    private static final PrintStream OUT = System.out;

    interface Check {
        String run() throws Exception;
    }

    private CheckLine() {}

    static void run(String name, Check check) {
        boolean ok;
        String detail;
        try {
            detail = check.run();
            ok = true;
        } catch (Throwable e) {
            ok = false;
            detail = describe(e);
        }
        OUT.println("CHECK {\"check\":" + json(name) + ",\"ok\":" + ok + ",\"detail\":" + json(detail) + "}");
        OUT.flush();
    }

    /** An exception and its causes, one line. */
    static String describe(Throwable e) {
        StringBuilder s = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (s.length() > 0) s.append(" <- ");
            s.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
            if (t.getCause() == t) break;
        }
        return s.toString();
    }

    static void expect(boolean condition, String what) {
        if (!condition) throw new AssertionError(what);
    }

    private static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : (s == null ? "" : s).toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
                    else b.append(ch);
                }
            }
        }
        return b.append('"').toString();
    }
}
