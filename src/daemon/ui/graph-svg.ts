/**
 * A job's program drawn as an inline SVG, server-side: inputs on the left, each op in the column
 * after its deepest argument, outputs on the right, an arrow for every argument. Text only through
 * the escaping template; styling only by class (the console's stylesheet), no script.
 */
import type { Program } from '../../jobs/program/types.js';
import { html, type Html } from './html.js';

/** Most boxes drawn; larger programs are listed, not drawn. */
export const MAX_DRAWN_NODES = 240;

const BOX_W = 150;
const BOX_H = 40;
const COL_GAP = 60;
const ROW_GAP = 16;
const PAD = 12;

interface Box {
  key: string;
  kind: 'input' | 'op' | 'output';
  title: string;
  subtitle: string;
  col: number;
  row: number;
}

/** Columns of every input (0), node (1 + deepest argument) and output (last). */
function layout(program: Program, inputLabel: (name: string) => string): Box[] {
  const depth = new Map<string, number>();
  for (const i of program.inputs) depth.set(i.name, 0);
  const byId = new Map(program.nodes.map((n) => [n.id, n]));
  const visiting = new Set<string>();
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id);
    if (n === undefined || visiting.has(id)) return 0; // validated programs have neither
    visiting.add(id);
    const d = 1 + Math.max(0, ...n.args.map(depthOf));
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  const boxes: Box[] = [];
  const rows = new Map<number, number>();
  const place = (b: Omit<Box, 'row'>): void => {
    const row = rows.get(b.col) ?? 0;
    rows.set(b.col, row + 1);
    boxes.push({ ...b, row });
  };
  for (const i of program.inputs)
    place({ key: `in:${i.name}`, kind: 'input', title: i.name, subtitle: inputLabel(i.name), col: 0 });
  const sorted = [...program.nodes].sort((a, b) => depthOf(a.id) - depthOf(b.id));
  for (const n of sorted)
    place({ key: `node:${n.id}`, kind: 'op', title: n.op, subtitle: n.id, col: depthOf(n.id) });
  const last = 1 + Math.max(0, ...program.nodes.map((n) => depthOf(n.id)));
  for (const o of program.outputs)
    place({ key: `out:${o.name}`, kind: 'output', title: o.name, subtitle: 'released', col: last });
  return boxes;
}

/** Cuts a label to what fits in a box. */
function fit(s: string, max = 20): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The program as an SVG figure (or a note when it is too large to draw). */
export function programGraph(program: Program, inputLabel: (name: string) => string = () => 'input'): Html {
  const count = program.inputs.length + program.nodes.length + program.outputs.length;
  if (count > MAX_DRAWN_NODES)
    return html`<p class="note">The program has ${count} steps: too many to draw; the table lists them.</p>`;
  const boxes = layout(program, inputLabel);
  const at = new Map(boxes.map((b) => [b.key, b]));
  const x = (b: Box): number => PAD + b.col * (BOX_W + COL_GAP);
  const y = (b: Box): number => PAD + b.row * (BOX_H + ROW_GAP);
  const source = (name: string): Box | undefined => at.get(`node:${name}`) ?? at.get(`in:${name}`);
  const edges: [Box, Box][] = [];
  for (const n of program.nodes)
    for (const a of n.args) {
      const from = source(a);
      if (from !== undefined) edges.push([from, at.get(`node:${n.id}`)!]);
    }
  for (const o of program.outputs) {
    const from = source(o.node);
    if (from !== undefined) edges.push([from, at.get(`out:${o.name}`)!]);
  }
  const width = PAD * 2 + (Math.max(...boxes.map((b) => b.col)) + 1) * (BOX_W + COL_GAP) - COL_GAP;
  const height = PAD * 2 + Math.max(...boxes.map((b) => b.row + 1)) * (BOX_H + ROW_GAP) - ROW_GAP;
  return html`<figure class="graph">
    <svg
      xmlns="http://www.w3.org/2000/svg"
      role="img"
      aria-labelledby="graph-title"
      width="${width}"
      height="${height}"
      viewBox="0 0 ${width} ${height}"
    >
      <title id="graph-title">
        The program: ${program.inputs.length} inputs, ${program.nodes.length} ops, ${program.outputs.length}
        outputs
      </title>
      <defs>
        <marker
          id="arrow"
          viewBox="0 0 10 10"
          refX="10"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto"
        >
          <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
        </marker>
      </defs>
      ${edges.map(([a, b]) => {
        const x1 = x(a) + BOX_W;
        const y1 = y(a) + BOX_H / 2;
        const x2 = x(b);
        const y2 = y(b) + BOX_H / 2;
        const mid = (x1 + x2) / 2;
        return html`<path
          class="edge"
          d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}"
          marker-end="url(#arrow)"
        />`;
      })}
      ${boxes.map(
        (b) =>
          html`<g class="box box-${b.kind}">
            <rect x="${x(b)}" y="${y(b)}" width="${BOX_W}" height="${BOX_H}" rx="6" />
            <text x="${x(b) + 8}" y="${y(b) + 17}" class="box-title">${fit(b.title)}</text>
            <text x="${x(b) + 8}" y="${y(b) + 32}" class="box-sub">${fit(b.subtitle, 24)}</text>
          </g>`,
      )}
    </svg>
    <figcaption>Data flows left to right: inputs, ops, and the outputs released to the requester.</figcaption>
  </figure>`;
}
