// The topology picture (picture.ts) as a self-contained SVG: no fonts, CSS or
// scripts from outside, generic font families only. Sub-topologies are dashed
// boxes; steps are rounded rectangles (sources green, sinks orange, processors
// blue), topics hexagons coloured by kind, stores cylinders; dashed edges are
// a join's other input, store access and changelogs. Laid out by svg-layout.ts.
// Text sizes are estimated from character counts in a monospace font, so the
// same topology gives the same bytes on every machine.
import { EDGE_LABEL, type Drawable, type PictureNode, type TopicKind, topicLabel, topologyPicture } from './picture';
import { type Box, type Point, layeredLayout } from './svg-layout';

const FONT_SIZE = 12;
/** Width of one character of a 12px monospace font, a little generous. */
const CHAR_WIDTH = 7.4;
const LINE_HEIGHT = 15;
const PAD_X = 12;
const PAD_Y = 8;
/** How far a topic's hexagon points stick out on each side. */
const TOPIC_POINT = 10;
/** Height of a store cylinder's top ellipse. */
const STORE_RIM = 8;
const TITLE_HEIGHT = 24;

const COLOURS = {
  source: { fill: '#e6f4ea', stroke: '#2e7d32' },
  processor: { fill: '#e8f0fe', stroke: '#3b6fd8' },
  sink: { fill: '#fff1e0', stroke: '#d9730d' },
  store: { fill: '#fffbe6', stroke: '#a68a00' },
  input: { fill: '#f5f5f5', stroke: '#616161' },
  table: { fill: '#fce4ec', stroke: '#ad1457' },
  repartition: { fill: '#f3e8fd', stroke: '#7b3fc4' },
  'dead-letter': { fill: '#fdecea', stroke: '#c62828' },
  changelog: { fill: '#e0f7f5', stroke: '#00897b' },
} as const;

const TOPIC_COLOUR: Record<TopicKind, keyof typeof COLOURS> = {
  input: 'input',
  sink: 'input',
  table: 'table',
  repartition: 'repartition',
  'dead-letter': 'dead-letter',
  changelog: 'changelog',
};

interface Drawn {
  readonly node: PictureNode;
  readonly lines: string[];
  readonly colour: keyof typeof COLOURS;
  readonly cssClass: string;
}

export function toSvg(topology: Drawable): string {
  const picture = topologyPicture(topology);
  const drawn = new Map<string, Drawn & { group: number | undefined }>();
  for (const t of picture.topics) {
    drawn.set(t.id, { node: t, lines: topicLabel(t).split('\n'), colour: TOPIC_COLOUR[t.kind], cssClass: `topic ${t.kind}`, group: undefined });
  }
  picture.subTopologies.forEach((s, group) => {
    for (const n of s.nodes) {
      const colour = n.shape === 'store' ? 'store' : (n.role ?? 'processor');
      drawn.set(n.id, { node: n, lines: n.label.split('\n'), colour, cssClass: n.shape === 'store' ? 'store' : `step ${colour}`, group });
    }
  });
  const layout = layeredLayout({
    nodes: [...drawn.values()].map((d) => ({ id: d.node.id, ...size(d), group: d.group })),
    edges: picture.edges,
    groupCount: picture.subTopologies.length,
    top: TITLE_HEIGHT,
  });

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(layout.width)}" height="${n(layout.height)}" viewBox="0 0 ${n(layout.width)} ${n(layout.height)}" font-family="ui-monospace, Menlo, Consolas, monospace" font-size="${FONT_SIZE}">`,
    `<title>${xml(picture.title)}</title>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>',
    `<rect class="background" x="0" y="0" width="${n(layout.width)}" height="${n(layout.height)}" fill="#ffffff"/>`,
    `<text class="title" x="20" y="${n(TITLE_HEIGHT)}" font-weight="bold">${xml(picture.title)}</text>`,
  ];
  picture.subTopologies.forEach((s, i) => {
    const box = layout.groups[i];
    if (box === undefined) return;
    out.push(
      `<g class="sub-topology" id="sub${i}">`,
      `<rect x="${n(box.x)}" y="${n(box.y)}" width="${n(box.width)}" height="${n(box.height)}" rx="6" fill="#fafafa" stroke="#9e9e9e" stroke-dasharray="6 4"/>`,
      `<text x="${n(box.x + 10)}" y="${n(box.y + 18)}" fill="#616161" font-weight="bold">${xml(s.label)}</text>`,
      '</g>',
    );
  });
  layout.edges.forEach((e, i) => {
    const kind = picture.edges[i].kind;
    const dashed = kind === 'flow' ? '' : ' stroke-dasharray="5 4"';
    out.push(
      `<g class="edge ${kind}" data-from="${e.from}" data-to="${e.to}">`,
      `<path d="${curve(e.points)}" fill="none" stroke="#444" stroke-width="1.2"${dashed} marker-end="url(#arrow)"/>`,
    );
    const label = EDGE_LABEL[kind];
    if (label !== undefined) {
      const at = middle(e.points);
      out.push(
        `<text x="${n(at.x)}" y="${n(at.y - 4)}" text-anchor="middle" font-size="10" fill="#555" stroke="#ffffff" stroke-width="3" paint-order="stroke">${xml(label)}</text>`,
      );
    }
    out.push('</g>');
  });
  for (const d of drawn.values()) {
    const box = layout.nodes.get(d.node.id)!;
    const { fill, stroke } = COLOURS[d.colour];
    const member = d.group === undefined ? '' : ` data-sub-topology="sub${d.group}"`;
    out.push(`<g class="node ${d.cssClass}" id="${d.node.id}"${member} data-box="${n(box.x)} ${n(box.y)} ${n(box.width)} ${n(box.height)}">`);
    out.push(...outline(d.node.shape, box, `fill="${fill}" stroke="${stroke}" stroke-width="1.5"`));
    out.push(label(d, box), '</g>');
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function size(d: Drawn): { width: number; height: number } {
  const chars = Math.max(...d.lines.map((l) => [...l].length));
  const extraX = d.node.shape === 'topic' ? 2 * TOPIC_POINT : 0;
  const extraY = d.node.shape === 'store' ? 2 * STORE_RIM : 0;
  return { width: chars * CHAR_WIDTH + 2 * PAD_X + extraX, height: d.lines.length * LINE_HEIGHT + 2 * PAD_Y + extraY };
}

function outline(shape: PictureNode['shape'], b: Box, paint: string): string[] {
  const { x, y, width: w, height: h } = b;
  if (shape === 'step') return [`<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" rx="5" ${paint}/>`];
  if (shape === 'topic') {
    const p = TOPIC_POINT;
    const points: [number, number][] = [
      [x + p, y],
      [x + w - p, y],
      [x + w, y + h / 2],
      [x + w - p, y + h],
      [x + p, y + h],
      [x, y + h / 2],
    ];
    return [`<polygon points="${points.map(([px, py]) => `${n(px)},${n(py)}`).join(' ')}" ${paint}/>`];
  }
  // A cylinder from cubic Béziers (every control point inside the box): the body, then the front of the top rim.
  const r = STORE_RIM;
  const k = 0.5523; // a quarter ellipse as one cubic
  const cx = x + w / 2;
  const half = (top: number, down: boolean) => {
    const s = down ? 1 : -1;
    return `C${n(x + w)},${n(top + s * k * r)} ${n(cx + (k * w) / 2)},${n(top + s * r)} ${n(cx)},${n(top + s * r)} C${n(cx - (k * w) / 2)},${n(top + s * r)} ${n(x)},${n(top + s * k * r)} ${n(x)},${n(top)}`;
  };
  const body = `M${n(x)},${n(y + r)} C${n(x)},${n(y + r - k * r)} ${n(cx - (k * w) / 2)},${n(y)} ${n(cx)},${n(y)} C${n(cx + (k * w) / 2)},${n(y)} ${n(x + w)},${n(y + r - k * r)} ${n(x + w)},${n(y + r)} L${n(x + w)},${n(y + h - r)} ${half(y + h - r, true)} Z`;
  const rim = `M${n(x + w)},${n(y + r)} ${half(y + r, true)}`;
  return [`<path d="${body}" ${paint}/>`, `<path d="${rim}" fill="none" ${paint.replace(/fill="[^"]*" /, '')}/>`];
}

function label(d: Drawn, b: Box): string {
  const top = b.y + b.height / 2 - ((d.lines.length - 1) * LINE_HEIGHT) / 2 + (d.node.shape === 'store' ? STORE_RIM / 2 : 0);
  const cx = b.x + b.width / 2;
  // A topic's first line is its kind, in grey; the name follows.
  const spans = d.lines.map((line, i) => {
    const caption = d.node.shape === 'topic' && i === 0 ? ' fill="#757575" font-style="italic"' : '';
    return `<tspan x="${n(cx)}" y="${n(top + i * LINE_HEIGHT)}"${caption}>${xml(line)}</tspan>`;
  });
  return `<text text-anchor="middle" dominant-baseline="central" fill="#212121">${spans.join('')}</text>`;
}

/** A smooth path through the points, leaving and entering each horizontally. */
function curve(points: readonly Point[]): string {
  const parts = [`M${n(points[0].x)},${n(points[0].y)}`];
  for (let i = 1; i < points.length; i++) {
    const p = points[i - 1];
    const q = points[i];
    const dx = (q.x - p.x) / 2;
    parts.push(`C${n(p.x + dx)},${n(p.y)} ${n(q.x - dx)},${n(q.y)} ${n(q.x)},${n(q.y)}`);
  }
  return parts.join(' ');
}

function middle(points: readonly Point[]): Point {
  const i = Math.floor((points.length - 1) / 2);
  const p = points[i];
  const q = points[i + 1] ?? p;
  return { x: (p.x + q.x) / 2, y: (p.y + q.y) / 2 };
}

/** A coordinate with at most one decimal, so the output does not depend on float noise. */
function n(v: number): string {
  return String(Math.round(v * 10) / 10);
}

/**
 * Text as XML character data or an attribute value: markup characters become
 * entities, and characters XML 1.0 forbids (control characters, lone
 * surrogates, U+FFFE/U+FFFF) become U+FFFD, so any name gives a well-formed file.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding the characters XML forbids is the point
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function xml(text: string): string {
  return text.replace(NOT_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
