// One client-compatibility suite, run against both modes: describeModes(suite,
// body) declares the suite's tests once and runs them against an embedded
// `rill broker`, then against a 3-node cluster, each started once for the file.
// A behaviour difference between the modes is a test that passes on one and
// fails on the other.
import { Kafka, logLevel } from 'kafkajs';
import { killAll } from '../core/protocol/children';
import { START_TIMEOUT_MS, startTarget, bootstrapOf, type CompatTarget, type Mode } from './targets';

/**
 * What the cluster does not do yet that the embedded broker does, as
 * "<suite>: <test name>". These run as test.failing on the cluster: when a gap
 * closes, its test passes, test.failing reports that as a failure, and the
 * entry must be removed. Every entry must name a test of its suite (checked).
 * The cluster's Kafka front end is being replaced by the embedded broker's
 * (issue #15); these are the differences seen before that lands.
 */
export const CLUSTER_GAPS: ReadonlySet<string> = new Set<string>([
  // Empty: both modes behave the same. A difference found later goes here, with what the cluster answers.
]);

const MODES: Mode[] = ['broker', 'cluster'];

export interface ModeSuite {
  /** The running target (inside a test or hook). */
  target(): CompatTarget;
  /** A kafkajs client bootstrapped with every broker of the target. */
  kafka(): Kafka;
  /** Declares a test that runs against both modes (test.failing on the cluster when it is a listed gap). */
  test(name: string, fn: () => Promise<void>, timeoutMs?: number): void;
}

export function describeModes(suite: string, body: (s: ModeSuite) => void): void {
  const names = new Set<string>();
  describe.each(MODES)(`${suite} against %s`, (mode) => {
    let target: CompatTarget | undefined;
    let kafka: Kafka | undefined;

    beforeAll(async () => {
      target = await startTarget[mode]();
      kafka = new Kafka({
        clientId: `compat-${suite}`,
        brokers: bootstrapOf(target),
        logLevel: logLevel.NOTHING,
        retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 },
      });
    }, START_TIMEOUT_MS);

    afterAll(async () => {
      killAll();
      await target?.stop();
    });

    body({
      target: () => target!,
      kafka: () => kafka!,
      test(name, fn, timeoutMs) {
        names.add(name);
        const declare = mode === 'cluster' && CLUSTER_GAPS.has(`${suite}: ${name}`) ? test.failing : test;
        declare(name, fn, timeoutMs);
      },
    });
  });

  test(`every cluster gap listed for ${suite} names one of its tests`, () => {
    const listed = [...CLUSTER_GAPS].filter((g) => g.startsWith(`${suite}: `)).map((g) => g.slice(suite.length + 2));
    expect(listed.filter((name) => !names.has(name))).toEqual([]);
  });
}
