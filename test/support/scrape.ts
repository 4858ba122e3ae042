// Reads /metrics over HTTP and parses it with a real Prometheus text-format
// parser (parse-prometheus-text-format, as prom2json reads it), so the tests see
// what Prometheus would.
import * as http from 'node:http';

interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value?: string;
  /** Histograms: bucket upper bound -> cumulative count. */
  readonly buckets?: Readonly<Record<string, string>>;
  readonly count?: string;
  readonly sum?: string;
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly metrics: readonly Sample[];
}

// A CommonJS module without types: its one export is the parse function.
const parsePrometheusTextFormat = require('parse-prometheus-text-format') as (text: string) => Family[];

/** GET `url`: status, content type and body. */
export function httpGet(url: string, method = 'GET'): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** One scrape, parsed: look samples up by name and labels. */
export class Scrape {
  private constructor(readonly families: readonly Family[]) {}

  static async of(url: string): Promise<Scrape> {
    const res = await httpGet(url);
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${res.body}`);
    return Scrape.parse(res.body);
  }

  static parse(text: string): Scrape {
    return new Scrape(parsePrometheusTextFormat(text));
  }

  family(name: string): Family | undefined {
    return this.families.find((f) => f.name === name);
  }

  /** The samples of `name` whose labels include `labels`. */
  samples(name: string, labels: Readonly<Record<string, string>> = {}): Sample[] {
    return (this.family(name)?.metrics ?? []).filter((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  }

  /** The sum of the matching samples' values (a histogram's: their counts); 0 when there are none. */
  value(name: string, labels: Readonly<Record<string, string>> = {}): number {
    return this.samples(name, labels).reduce((n, s) => n + Number(s.value ?? s.count ?? 0), 0);
  }
}
