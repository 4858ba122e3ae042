package dev.rill.peers;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.utils.internals.Exit;
import org.apache.kafka.tools.ConfigCommand;
import org.apache.kafka.tools.ConsoleProducer;
import org.apache.kafka.tools.DeleteRecordsCommand;
import org.apache.kafka.tools.GetOffsetShell;
import org.apache.kafka.tools.TopicCommand;
import org.apache.kafka.tools.consumer.ConsoleConsumer;
import org.apache.kafka.tools.consumer.group.ConsumerGroupCommand;

import static dev.rill.peers.CheckLine.expect;

/**
 * Kafka's command-line tools (kafka-topics, kafka-console-producer, kafka-console-consumer,
 * kafka-consumer-groups, kafka-configs, kafka-delete-records, kafka-get-offsets), run in this JVM through their main classes, as the shell scripts run them: what
 * they print to stdout is read back, and their exit calls are caught (Kafka's Exit hook) instead of ending
 * the JVM.
 */
final class ToolChecks {
    private static final int LINES = 50;

    private final String bootstrap;
    private final String topic;
    private final String group;

    ToolChecks(String bootstrap, String prefix) {
        this.bootstrap = bootstrap;
        this.topic = prefix + "-tools";
        this.group = prefix + "-console";
    }

    /** The last code a tool passed to Kafka's Exit (a tool may call it from a finally block: it must return). */
    private int exitCode;

    void runAll() {
        Exit.setExitProcedure((code, message) -> {
            exitCode = code;
            if (code != 0) throw new ToolExit(code, message);
        });
        Exit.setHaltProcedure((code, message) -> {
            exitCode = code;
            throw new ToolExit(code, message);
        });
        // The console consumer adds a JVM shutdown hook per run: not needed in a run that ends by itself.
        Exit.setShutdownHookAdder((name, hook) -> {});
        CheckLine.run("tool-kafka-topics-create-describe", this::topics);
        CheckLine.run("tool-console-producer-consumer", this::console);
        CheckLine.run("tool-kafka-consumer-groups", this::groups);
        CheckLine.run("tool-kafka-consumer-groups-reset-offsets", this::resetOffsets);
        CheckLine.run("tool-kafka-consumer-groups-delete-offsets", this::deleteOffsets);
        CheckLine.run("tool-kafka-configs", this::configs);
        CheckLine.run("tool-kafka-topics-alter-partitions", this::alterPartitions);
        CheckLine.run("tool-kafka-delete-records", this::deleteRecords);
        CheckLine.run("tool-kafka-topics-delete", this::delete);
    }

    /** A tool's exit call, turned into an exception so the JVM goes on. */
    private static final class ToolExit extends RuntimeException {
        ToolExit(int code, String message) {
            super("exit " + code + (message == null ? "" : ": " + message));
        }
    }

    private interface Main {
        void run(String[] args) throws Exception;
    }

    /** Runs a tool's main with `stdin` as its input; what it printed to stdout. Exit code 0 is a normal end. */
    private String tool(Main main, String stdin, String... args) throws Exception {
        PrintStream out = System.out;
        InputStream in = System.in;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        exitCode = 0;
        try {
            main.run(args);
        } catch (ToolExit e) {
            // a failure's exit: reported below with what the tool printed
        } finally {
            System.setOut(out);
            System.setIn(in);
        }
        if (exitCode != 0) throw new AssertionError(Arrays.toString(args) + " exited " + exitCode + "; printed: " + printed.toString(StandardCharsets.UTF_8));
        return printed.toString(StandardCharsets.UTF_8);
    }

    private String topics() throws Exception {
        String created = tool(TopicCommand::main, "", "--bootstrap-server", bootstrap, "--create", "--topic", topic, "--partitions", "2", "--replication-factor", "1");
        expect(created.contains("Created topic " + topic), "create printed: " + created);
        String listed = tool(TopicCommand::main, "", "--bootstrap-server", bootstrap, "--list");
        expect(listed.lines().anyMatch(topic::equals), "list printed: " + listed);
        String described = tool(TopicCommand::main, "", "--bootstrap-server", bootstrap, "--describe", "--topic", topic);
        expect(described.contains("PartitionCount: 2"), "describe printed: " + described);
        expect(described.lines().filter(l -> l.contains("Partition: ") && l.contains("Leader: ")).count() == 2, "describe printed: " + described);
        return "created, listed, described";
    }

    private String console() throws Exception {
        StringBuilder input = new StringBuilder();
        Set<String> sent = new TreeSet<>();
        for (int i = 0; i < LINES; i++) {
            String line = "key-" + i + ":line " + i;
            input.append(line).append('\n');
            sent.add(line);
        }
        tool(ConsoleProducer::main, input.toString(), "--bootstrap-server", bootstrap, "--topic", topic, "--reader-property", "parse.key=true", "--reader-property", "key.separator=:");
        String read = tool(ConsoleConsumer::main, "", "--bootstrap-server", bootstrap, "--topic", topic, "--group", group, "--from-beginning", "--max-messages", Integer.toString(LINES),
            "--timeout-ms", "20000", "--formatter-property", "print.key=true", "--formatter-property", "key.separator=:");
        Set<String> got = new TreeSet<>(read.lines().filter(l -> !l.isEmpty()).toList());
        expect(got.equals(sent), "the console consumer printed " + got.size() + " lines: " + got);
        return "produced and consumed " + LINES + " lines";
    }

    private String groups() throws Exception {
        String listed = tool(ConsumerGroupCommand::main, "", "--bootstrap-server", bootstrap, "--list");
        expect(listed.lines().anyMatch(group::equals), "list printed: " + listed);
        List<String[]> rows = offsetRows();
        expect(rows.size() == 2, "describe printed rows " + rows.size());
        long committed = 0;
        for (String[] r : rows) {
            // The console consumer committed all it read.
            expect(r[3].equals(r[4]) && r[5].equals("0"), "partition " + r[2] + " current " + r[3] + ", end " + r[4] + ", lag " + r[5]);
            committed += Long.parseLong(r[3]);
        }
        expect(committed == LINES, "committed " + committed + " of " + LINES);
        return "listed, described: lag 0, committed " + committed;
    }

    /** kafka-consumer-groups --describe: the rows GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ... of the topic. */
    private List<String[]> offsetRows() throws Exception {
        String described = tool(ConsumerGroupCommand::main, "", "--bootstrap-server", bootstrap, "--describe", "--group", group);
        List<String[]> rows = new ArrayList<>();
        for (String line : described.lines().toList()) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length >= 6 && cols[0].equals(group) && cols[1].equals(topic)) rows.add(cols);
        }
        return rows;
    }

    private String resetOffsets() throws Exception {
        tool(ConsumerGroupCommand::main, "", "--bootstrap-server", bootstrap, "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--execute");
        List<String[]> rows = offsetRows();
        expect(rows.size() == 2 && rows.stream().allMatch(r -> r[3].equals("0")), "after --to-earliest: " + rows.stream().map(Arrays::toString).toList());
        return "reset to 0";
    }

    /** --delete-offsets: the group's committed offsets for the topic are removed (OffsetDelete, KIP-496). */
    private String deleteOffsets() throws Exception {
        String printed = tool(ConsumerGroupCommand::main, "", "--bootstrap-server", bootstrap, "--delete-offsets", "--group", group, "--topic", topic);
        List<String[]> rows = offsetRows();
        expect(rows.stream().noneMatch(r -> r[3].matches("\\d+")), "offsets left: " + rows.stream().map(Arrays::toString).toList() + "; --delete-offsets printed: " + printed.trim());
        return "deleted";
    }

    private String configs() throws Exception {
        String[] entity = {"--bootstrap-server", bootstrap, "--entity-type", "topics", "--entity-name", topic};
        tool(ConfigCommand::main, "", concat(entity, "--alter", "--add-config", "retention.ms=86400000"));
        String described = tool(ConfigCommand::main, "", concat(entity, "--describe"));
        expect(described.contains("retention.ms=86400000"), "describe printed: " + described);
        tool(ConfigCommand::main, "", concat(entity, "--alter", "--delete-config", "retention.ms"));
        String after = tool(ConfigCommand::main, "", concat(entity, "--describe"));
        expect(!after.contains("retention.ms=86400000"), "after --delete-config: " + after);
        return "set, described, deleted retention.ms";
    }

    private String alterPartitions() throws Exception {
        tool(TopicCommand::main, "", "--bootstrap-server", bootstrap, "--alter", "--topic", topic, "--partitions", "3");
        String described = tool(TopicCommand::main, "", "--bootstrap-server", bootstrap, "--describe", "--topic", topic);
        expect(described.contains("PartitionCount: 3"), "describe printed: " + described);
        return "2 -> 3 partitions";
    }

    /** kafka-delete-records moves partition 0's start offset; kafka-get-offsets shows it. */
    private String deleteRecords() throws Exception {
        Path offsets = Files.createTempFile("rill-peer-delete-records", ".json");
        try {
            Files.writeString(offsets, "{\"version\":1,\"partitions\":[{\"topic\":\"" + topic + "\",\"partition\":0,\"offset\":1}]}");
            tool(DeleteRecordsCommand::main, "", "--bootstrap-server", bootstrap, "--offset-json-file", offsets.toString());
        } finally {
            Files.deleteIfExists(offsets);
        }
        String earliest = tool(GetOffsetShell::main, "", "--bootstrap-server", bootstrap, "--topic", topic, "--partitions", "0", "--time", "-2");
        expect(earliest.lines().anyMatch((topic + ":0:1")::equals), "earliest offsets printed: " + earliest);
        return "partition 0 starts at 1";
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private String delete() throws Exception {
        tool(TopicCommand::main, "", "--bootstrap-server", bootstrap, "--delete", "--topic", topic);
        long deadline = System.currentTimeMillis() + 20_000;
        while (tool(TopicCommand::main, "", "--bootstrap-server", bootstrap, "--list").lines().anyMatch(topic::equals)) {
            expect(System.currentTimeMillis() < deadline, "still listed after delete");
            Thread.sleep(100);
        }
        return "deleted";
    }
}
