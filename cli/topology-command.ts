// `rill topology`: a pipeline module's topology, as text (describe()), as a
// Mermaid flowchart, as Graphviz DOT or as SVG, on stdout. The module is loaded as
// `rill worker` loads it; nothing connects to a broker.
import * as E from 'fp-ts/Either';
import { commandHelp, noMoreArguments, parseCommand, UsageError } from './args';
import { runCommand } from './command';
import type { CommandIO } from './io';
import { CommandError } from './wire';
import { loadPipeline } from './worker-pipeline';

const FORMATS = ['text', 'mermaid', 'dot', 'svg'] as const;

const SPEC = {
  pipeline: { kind: 'string', arg: 'FILE', help: 'the pipeline module (as for rill worker); required' },
  app: { kind: 'string', arg: 'APP', help: 'the application id the pipeline is built with', defaultText: "the pipeline's own" },
  format: { kind: 'string', arg: FORMATS.join('|'), help: 'describe() text, a Mermaid flowchart, Graphviz DOT or a self-contained SVG', defaultText: 'text' },
} as const;

export const TOPOLOGY_HELP = commandHelp({
  title: "rill topology — draw a pipeline's topology",
  usage: ['rill topology --pipeline FILE [--app APP] [--format text|mermaid|dot|svg]'],
  spec: SPEC,
  notes: `Sub-topologies, sources, processors, repartition and changelog topics, stores and
sinks. Mermaid renders on GitHub and in most docs (a \`\`\`mermaid block); DOT with
Graphviz; svg is laid out by rill itself (rill topology ... --format svg > topology.svg).`,
});

export function runTopology(argv: string[], io: CommandIO): Promise<number> {
  return runCommand('topology', TOPOLOGY_HELP, argv, io, async () => {
    const { flags, positional } = parseCommand(argv, SPEC);
    noMoreArguments(positional);
    if (flags.pipeline === undefined) throw new UsageError('--pipeline FILE is required');
    const format = flags.format ?? 'text';
    if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got "${format}"`);
    const loaded = await loadPipeline(flags.pipeline, flags.app);
    if (E.isLeft(loaded)) throw new CommandError(loaded.left);
    const topology = loaded.right;
    const drawn = {
      text: () => `${topology.describe()}\n`,
      mermaid: () => `${topology.toMermaid()}\n`,
      dot: () => `${topology.toDot()}\n`,
      svg: () => topology.toSvg(),
    };
    io.stdout.write(drawn[format as (typeof FORMATS)[number]]());
  });
}
