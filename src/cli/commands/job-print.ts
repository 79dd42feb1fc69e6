/**
 * Printing jobs for people: a record's key facts, its decisions, its result (labelled tables) and
 * its timings and traffic. Only a requester's record has a result; nothing else holds a value.
 */
import { jobRho } from '../../jobs/dp/request.js';
import type { JobOutputValue, JobRecord } from '../../jobs/store.js';
import { bytes, duration, keyValues, table, type Io } from '../output.js';
import { formatNumber } from '../../util/format.js';

/** Formats a number for a result table; `null` (a suppressed histogram bin) prints `suppressed`. */
export const num = formatNumber;

/** Prints one output as a scalar, a labelled vector or a labelled matrix. */
export function printOutput(io: Io, o: JobOutputValue): void {
  io.out(`${o.name}:`);
  if (o.shape.length === 0) {
    io.out(`  ${num(o.values[0] ?? null)}`);
  } else if (o.shape.length === 1) {
    const labels = o.labels?.[0] ?? o.values.map((_, i) => String(i));
    io.out(
      indent(
        table(
          ['', 'VALUE'],
          labels.map((l, i) => [l, num(o.values[i] ?? null)]),
        ),
      ),
    );
    collinearityNote(io, labels, o.values);
  } else if (o.shape.length === 2) {
    const [r, c] = o.shape as [number, number];
    const rows = o.labels?.[0] ?? Array.from({ length: r }, (_, i) => String(i));
    const cols = o.labels?.[1] ?? Array.from({ length: c }, (_, j) => String(j));
    io.out(
      indent(
        table(
          ['', ...cols],
          rows.map((l, i) => [l, ...o.values.slice(i * c, (i + 1) * c).map(num)]),
        ),
      ),
    );
  } else if (o.shape.length === 3) {
    // one table per slice of the first axis (e.g. correlationTest's r and p)
    const [k, r, c] = o.shape as [number, number, number];
    for (let s = 0; s < k; s++) {
      const name = `  ${o.labels?.[0]?.[s] ?? String(s)}`;
      const slice = o.values.slice(s * r * c, (s + 1) * r * c);
      const labels = o.labels === undefined ? undefined : o.labels.slice(1);
      printOutput(io, { name, shape: [r, c], values: slice, ...(labels ? { labels } : {}) });
    }
  } else {
    io.out(`  shape [${o.shape.join(', ')}]: ${o.values.map(num).join(' ')}`);
  }
  if (o.dp !== undefined) printDp(io, o);
}

/** The noise of a DP output: mechanism, scale, and each value's 95% interval. */
function printDp(io: Io, o: JobOutputValue): void {
  const dp = o.dp!;
  const kind = dp.mechanism === 'gaussian' ? 'discrete Gaussian' : 'discrete Laplace';
  if (dp.noiseParties === 0) {
    io.out('  (public row count: exact, no noise needed)');
    return;
  }
  const scales = [...new Set(dp.scale.map(num))].join(', ');
  io.out(
    `  differentially private: ${kind} noise from ${dp.noiseParties} parties, scale ${scales} each, rho ${num(dp.rho)}`,
  );
  const labels = o.labels?.[0] ?? o.values.map((_, i) => String(i));
  const cells = dp.interval95.map(([lo, hi], i) => `${labels[i] ?? i} [${num(lo)}, ${num(hi)}]`);
  io.out(`  95% intervals of the clipped statistic: ${cells.join('; ')}`);
}

/** Above this variance inflation factor, a regression's fit notes collinearity. */
export const VIF_NOTE = 10;

/** A note under a regression fit whose features are collinear (labels `vif_<feature>`). */
function collinearityNote(
  io: Io,
  labels: readonly (string | null)[],
  values: readonly (number | null)[],
): void {
  const high = labels.flatMap((l, i) =>
    l?.startsWith('vif_') && (values[i] ?? 0) > VIF_NOTE ? [`${l.slice(4)} (${num(values[i]!)})`] : [],
  );
  if (high.length > 0)
    io.out(
      `  note: collinear features, variance inflation factor above ${VIF_NOTE}: ${high.join(', ')}; their coefficients are imprecise (large standard errors), and their fixed-point error grows with the factor (docs/JOBS.md)`,
    );
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

/** Prints a record's summary (what `job show` and `job status` print). */
export function printRecord(io: Io, r: JobRecord, full: boolean): void {
  const { job } = r.signed;
  const pairs: Array<[string, unknown]> = [
    ['job', r.id],
    ['state', r.state + (r.error ? ` (${r.error.message})` : '')],
    ['roles', r.roles],
    ['requester', job.requester],
    ['program hash', job.programHash],
    ['datasets', job.inputs.map((i) => `${i.owner}/${i.dataset} (${i.rows} rows: ${i.columns.join(',')})`)],
    ['protocol', `${job.protocol} on ${job.computeParties.length} compute parties`],
    ...(job.dp !== undefined
      ? ([
          [
            'privacy',
            `differentially private: epsilon ${job.dp.epsilon}${job.dp.delta !== undefined ? `, delta ${job.dp.delta}` : ''} (costs rho ${num(jobRho(job.dp))} of each dataset's budget)`,
          ],
        ] as Array<[string, unknown]>)
      : []),
    ['progress', `${r.progress.done}/${r.progress.total} steps (${r.progress.phase})`],
    [
      'decisions',
      Object.entries(r.approvals).map(
        ([p, a]) => `${p}: ${a.decision}${a.by ? ` by ${a.by}` : ''}${a.reason ? ` (${a.reason})` : ''}`,
      ),
    ],
  ];
  if (full) {
    pairs.push(['compute parties', job.computeParties]);
    pairs.push(['outputs', job.program.outputs.map((o) => o.name)]);
    pairs.push(['created', job.created], ['expires', job.expires]);
    pairs.push(['history', r.history.map((h) => `${h.at} ${h.state}${h.reason ? `: ${h.reason}` : ''}`)]);
  }
  io.out(keyValues(pairs));
  if (r.stats !== undefined) printStats(io, r);
  if (r.result !== undefined && full) {
    io.out('');
    for (const o of r.result) printOutput(io, o);
  }
}

/** Prints timings, bytes and rounds of a record on this peer. */
export function printStats(io: Io, r: JobRecord): void {
  const s = r.stats!;
  const phases = (['discovery', 'approval', 'connect', 'input', 'compute', 'output', 'total'] as const)
    .filter((k) => s.ms[k] !== undefined)
    .map((k) => `${k} ${duration(s.ms[k]!)}`);
  io.out(
    keyValues([
      ['time', phases.join(', ') || '-'],
      [
        'traffic',
        `${bytes(s.bytesSent)} sent, ${bytes(s.bytesReceived)} received, ${s.rounds} rounds (this peer)`,
      ],
      ...(s.links !== undefined && Object.keys(s.links).length > 0
        ? [['links', linksText(s.links)] as [string, string]]
        : []),
    ]),
  );
}

/** `2 direct, 1 relayed (12D3…abcd)`: how this peer reached the other parties. */
function linksText(links: Record<string, 'direct' | 'relayed'>): string {
  const relayed = Object.entries(links)
    .filter(([, k]) => k === 'relayed')
    .map(([p]) => p);
  const direct = Object.keys(links).length - relayed.length;
  const through = relayed.length > 0 ? ` (through a relay: ${relayed.join(', ')})` : '';
  return `${direct} direct, ${relayed.length} relayed${through}`;
}
