/**
 * `peermpc simulate [scenario.json] [--peers N] [--transport memory|tcp] [--seed S] [--searches N]
 * [--latency MS] [--json] [--report out.html] [--progress|--no-progress]`: runs a network of real
 * peers in this process (simulateNetwork) and prints what happened: a summary table, or with
 * `--json` the whole report. The flags make the common scenario without a file, and override a
 * file's fields. `--report` also writes the report as one self-contained HTML page (atomically),
 * saying where on stderr. A progress bar goes to stderr when it is a terminal (`--progress`: also
 * when it is not; `--no-progress`: never), never to stdout. No daemon is needed.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { simulateNetwork, type SimProgress } from '../../sim/simulate.js';
import type { SimReport } from '../../sim/report.js';
import { chartJsSource, renderSimReportHtml } from '../../sim/report-html.js';
import { writeFileAtomic } from '../../node/atomic-file.js';
import { printJson, table, type Io } from '../output.js';
import type { CommandContext } from '../common.js';

interface SimulateFlags {
  peers?: string;
  transport?: string;
  seed?: string;
  searches?: string;
  latency?: string;
  json?: boolean;
  report?: string;
  progress?: boolean;
  workers?: string;
}

/** Largest scenario file read (bytes). */
const MAX_SCENARIO_BYTES = 1024 * 1024;

function readScenario(path: string | undefined): Record<string, unknown> {
  if (path === undefined) return {};
  const text = readFileSync(path, 'utf8');
  if (text.length > MAX_SCENARIO_BYTES) throw new Error(`${path}: a scenario is at most 1 MiB`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not JSON (${(err as Error).message.slice(0, 200)})`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${path}: a scenario is a JSON object`);
  return value as Record<string, unknown>;
}

/** The scenario from the file and the flags (flags win); numbers are checked by the scenario. */
export function scenarioFrom(path: string | undefined, f: SimulateFlags): Record<string, unknown> {
  const s = readScenario(path);
  const num = (v: string): number | string => (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v);
  if (f.peers !== undefined) s.peers = num(f.peers);
  if (f.transport !== undefined) s.transport = f.transport;
  if (f.seed !== undefined) s.seed = num(f.seed);
  if (f.searches !== undefined) s.searches = f.searches === 'all' ? 'all' : num(f.searches);
  if (f.latency !== undefined) {
    const links = (s.links ?? {}) as Record<string, unknown>;
    s.links = { ...links, default: { ...((links.default as object) ?? {}), latencyMs: num(f.latency) } };
  }
  return s;
}

function summary(io: Io, r: SimReport): void {
  const d = r.discovery;
  const f = (x: number): string => x.toFixed(0);
  io.out(
    table(
      [
        'peers',
        'transport',
        'start ms',
        'connected ms',
        'RSS MiB',
        'searches',
        'found',
        'p50 ms',
        'p95 ms',
        'max ms',
      ],
      [
        [
          r.peers,
          r.transport,
          f(r.startMs),
          f(r.connectedMs),
          f(r.rssMiB),
          d.searches,
          d.found,
          f(d.p50Ms),
          f(d.p95Ms),
          f(d.maxMs),
        ],
      ],
    ),
  );
  if (r.jobs.length > 0) {
    io.out('');
    io.out(
      table(
        ['job', 'requester', 'protocol', 'state', 'ms', 'correct', 'bytes sent per party', 'rounds'],
        r.jobs.map((j) => [
          j.index,
          j.requester,
          j.protocol,
          j.error !== undefined ? `${j.state}: ${j.error.slice(0, 80)}` : j.state,
          f(j.ms),
          j.correct === undefined ? '' : j.correct ? 'yes' : 'NO',
          j.parties.map((p) => p.bytesSent).join(','),
          Math.max(0, ...j.parties.map((p) => p.rounds)),
        ]),
      ),
    );
  }
}

/**
 * The HTML report's absolute path, checked before the run (its folder exists, Chart.js can be
 * read), so that a run of minutes does not end in an error it could have given at once.
 */
function reportPath(path: string): string {
  const abs = resolve(path);
  let folder;
  try {
    folder = statSync(dirname(abs));
  } catch {
    throw new Error(`--report ${path}: the folder ${dirname(abs)} does not exist`);
  }
  if (!folder.isDirectory()) throw new Error(`--report ${path}: ${dirname(abs)} is not a folder`);
  chartJsSource();
  return abs;
}

/** A progress bar on stderr; shown when stderr is a terminal unless `show` says otherwise. */
function progressBar(show: boolean | undefined): {
  onProgress: (p: SimProgress) => void;
  stop: () => void;
} {
  const visible = show ?? process.stderr.isTTY === true;
  const bar = new cliProgress.SingleBar(
    {
      format: '  {phase} [{bar}] {value}/{total}',
      stream: process.stderr,
      hideCursor: process.stderr.isTTY === true,
      noTTYOutput: visible,
      notTTYSchedule: 2_000,
    },
    cliProgress.Presets.shades_classic,
  );
  let phase = '';
  const onProgress = (p: SimProgress): void => {
    if (!visible) return;
    if (p.phase !== phase) {
      if (phase !== '') bar.stop();
      phase = p.phase;
      if (p.phase !== 'stop') bar.start(p.total, p.done, { phase: p.phase.padEnd(9) });
      return;
    }
    bar.setTotal(p.total);
    bar.update(p.done, { phase: p.phase.padEnd(9) });
  };
  return { onProgress, stop: () => bar.stop() };
}

/** `--workers`: a whole number (simulateNetwork checks its range). */
function workersFrom(v: string | undefined): number {
  if (v === undefined) return 0;
  if (!/^\d{1,3}$/.test(v))
    throw new Error(`--workers: a whole number of threads, got ${JSON.stringify(v.slice(0, 40))}`);
  return Number(v);
}

/** Registers `simulate`. */
export function registerSimulate(program: Command, { io }: CommandContext): void {
  program
    .command('simulate')
    .argument('[scenario]', 'a scenario JSON file (docs/SIMULATE.md)')
    .description('run a network of real peers in this process: discovery, jobs, churn, shaped links')
    .option('--peers <n>', 'number of peers')
    .option('--transport <t>', 'memory (default) or tcp')
    .option('--seed <s>', 'seed of the datasets and searches')
    .option('--searches <n>', "random searches, or 'all' (every peer for every dataset)")
    .option('--latency <ms>', 'one-way latency of every link')
    .option('--workers <n>', 'spread the peers over n worker threads (memory transport; default 0)')
    .option('--json', 'print the whole report as JSON')
    .option('--report <file>', 'also write the report as a self-contained HTML page (charts)')
    .option('--progress', 'show the progress bar on stderr even when it is not a terminal')
    .option('--no-progress', 'never show the progress bar')
    .action(async (file: string | undefined, flags: SimulateFlags) => {
      const scenario = scenarioFrom(file, flags);
      const html = flags.report === undefined ? undefined : reportPath(flags.report);
      const bar = progressBar(flags.progress);
      let report: SimReport;
      try {
        report = await simulateNetwork(scenario, {
          onProgress: bar.onProgress,
          workers: workersFrom(flags.workers),
        });
      } finally {
        bar.stop();
      }
      if (flags.json === true) printJson(io, report);
      else summary(io, report);
      if (html !== undefined) {
        await writeFileAtomic(html, renderSimReportHtml(report), 0o644);
        io.err(`wrote the HTML report to ${html}`);
      }
    });
}
