// core/logging: bindings and levels in JSON lines, the level's sources, and
// that a client-supplied string cannot forge a line in either output.
import { Writable } from 'node:stream';
import { chooseLogLevel, createLogger, escapeControlCharacters, lineLog, memoryLogger } from '../../../core/logging';

/** A destination keeping what was written, as text. */
function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const HOSTILE = 'evil\n{"level":60,"msg":"forged"}\r\n[12:00:00.000] FATAL: forged\u001b[2J\u001b[31m';

test("a child's bindings are on its JSON lines, beside the root's", () => {
  const out = sink();
  const root = createLogger({ destination: out.stream, pretty: false, bindings: { role: 'test' } });
  root.child({ component: 'broker', nodeId: 3 }).child({ topic: 'orders', partition: 2, task: 2 }).info('hosting');
  const line = JSON.parse(out.text());
  expect(line).toMatchObject({ level: 30, msg: 'hosting', role: 'test', component: 'broker', nodeId: 3, topic: 'orders', partition: 2, task: 2 });
  expect(typeof line.time).toBe('number');
});

test('lines below the level are not written', () => {
  const out = sink();
  const logger = createLogger({ destination: out.stream, pretty: false, level: 'warn' });
  logger.debug('debug');
  logger.info('info');
  logger.warn('warn');
  logger.error('error');
  expect(
    out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).msg),
  ).toEqual(['warn', 'error']);
  const silent = sink();
  createLogger({ destination: silent.stream, pretty: false, level: 'silent' }).fatal('nothing');
  expect(silent.text()).toBe('');
});

test('the level comes from the flag, else RILL_LOG_LEVEL, else info; a bad one names the choices', () => {
  expect(chooseLogLevel(undefined, {})).toBe('info');
  expect(chooseLogLevel(undefined, { RILL_LOG_LEVEL: 'debug' })).toBe('debug');
  expect(chooseLogLevel('WARN', { RILL_LOG_LEVEL: 'debug' })).toBe('warn');
  expect(() => chooseLogLevel('loud', {})).toThrow('--log-level: "loud" is not a log level (one of trace, debug, info, warn, error, fatal, silent)');
  expect(() => chooseLogLevel(undefined, { RILL_LOG_LEVEL: 'chatty' })).toThrow(/^RILL_LOG_LEVEL: "chatty" is not a log level/);
});

test('the function seam writes one line at its level, with the fields apart from the message', () => {
  const { logger, lines } = memoryLogger('info');
  lineLog(logger, 'warn')('refused', { clientId: 'c1' });
  lineLog(logger, 'debug')('not shown');
  expect(lines).toEqual([{ level: 40, msg: 'refused', clientId: 'c1', time: expect.any(Number) }]);
});

describe('a hostile client-supplied string cannot forge a line', () => {
  test('in JSON: escaped by JSON, one line per call', () => {
    const out = sink();
    const logger = createLogger({ destination: out.stream, pretty: false });
    logger.child({ clientId: HOSTILE }).info({ topic: HOSTILE }, `a message quoting ${HOSTILE}`);
    const lines = out
      .text()
      .split('\n')
      .filter((l) => l.length > 0);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]);
    expect(line.clientId).toBe(HOSTILE);
    expect(line.topic).toBe(HOSTILE);
  });

  test('in pretty text: fields are quoted, control characters in the message escaped', () => {
    const out = sink();
    const logger = createLogger({ destination: out.stream, pretty: true });
    logger.child({ clientId: HOSTILE }).warn(`a message quoting ${HOSTILE}`);
    const text = out.text();
    expect(text).not.toContain('\u001b');
    expect(text).not.toContain('\r');
    const lines = text.split('\n').filter((l) => l.length > 0);
    // The line itself and the field, indented under it: nothing starts like a line of its own.
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\[[\d:.]+\] WARN: a message quoting evil\\n\{"level":60,"msg":"forged"\}\\r\\n\[12:00:00.000\] FATAL: forged\\u001b\[2J\\u001b\[31m$/,
    );
    expect(lines[1]).toBe(`    clientId: ${JSON.stringify(HOSTILE)}`);
  });

  test('escapeControlCharacters leaves printable text alone', () => {
    expect(escapeControlCharacters('topic "a" é ✓')).toBe('topic "a" é ✓');
    expect(escapeControlCharacters('a\tb\u007f\u009b\u2028')).toBe('a\\tb\\u007f\\u009b\\u2028');
  });
});
