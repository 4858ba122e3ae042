// What a child process printed on stderr besides its log lines at info or below:
// the runtime logs its progress as JSON lines there (docs/operations.md), and
// a test that wants "nothing went wrong" looks for warnings, errors and
// anything that is not a log line.
const INFO = 30;

export function stderrComplaints(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => {
      if (line === '') return false;
      try {
        const level = (JSON.parse(line) as { level?: unknown }).level;
        return typeof level !== 'number' || level > INFO;
      } catch {
        return true;
      }
    })
    .join('\n');
}
