/**
 * `peermpc simulate`: the real binary runs a small network from flags and from a file (flags win)
 * and prints the report as JSON, which has the documented shape (a schema checked field by field,
 * no field more or less); `--report` writes the same report as an HTML page and says where on
 * stderr, stdout staying the JSON alone; the progress bar is off when stderr is not a terminal and
 * on, on stderr only, with `--progress`; a bad scenario file is refused naming the field, before
 * any peer starts; a file that is not JSON names itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SimReport } from '../../src/sim/report.js';

const BIN = fileURLToPath(new URL('../../bin/peermpc.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'peermpc-simcli-'));

function peermpc(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A JSON shape: a type name (`number`, finite; `count`, an integer >= 0; `string`; `boolean`;
 * `null`; `'a'`, that string), alternatives joined by `|`; `[shape]`, an array of it; or an object
 * of shapes, a key ending in `?` being optional.
 */
type Shape = string | [Shape] | { [key: string]: Shape };

const PARTY: Shape = {
  peer: 'count',
  ms: Object.fromEntries(
    ['discovery', 'approval', 'connect', 'input', 'compute', 'output', 'total'].map((k) => [
      `${k}?`,
      'number',
    ]),
  ),
  bytesSent: 'count',
  bytesReceived: 'count',
  rounds: 'count',
};
const OUTPUT: Shape = { name: 'string', shape: ['count'], values: ['number|null'], 'labels?': [['string']] };
/** The report's documented shape (docs/SIMULATE.md, src/sim/report.ts). */
const REPORT: Shape = {
  peers: 'count',
  transport: "'memory'|'tcp'",
  seed: 'number',
  startMs: 'number',
  connectedMs: 'number',
  rssMiB: 'number',
  discovery: {
    searches: 'count',
    found: 'count',
    successRate: 'number',
    skipped: 'count',
    p50Ms: 'number',
    p95Ms: 'number',
    maxMs: 'number',
    latenciesMs: ['number'],
  },
  jobs: [
    {
      index: 'count',
      requester: 'count',
      datasets: ['string'],
      protocol: 'string',
      state: 'string',
      'error?': 'string',
      startMs: 'number',
      ms: 'number',
      'result?': [OUTPUT],
      'correct?': 'boolean',
      'maxError?': 'number',
      parties: [PARTY],
    },
  ],
  churn: [{ at: 'number', peer: 'count', action: "'leave'|'join'", appliedMs: 'number', 'error?': 'string' }],
};

/** Asserts that `v` has shape `s` (`path`: where, for the message). */
function checkShape(v: unknown, s: Shape, path = 'report'): void {
  if (typeof s === 'string') {
    const is = (t: string): boolean =>
      t === 'number'
        ? Number.isFinite(v)
        : t === 'count'
          ? Number.isInteger(v) && (v as number) >= 0
          : t === 'null'
            ? v === null
            : t.startsWith("'")
              ? v === t.slice(1, -1)
              : typeof v === t;
    assert.ok(s.split('|').some(is), `${path}: ${JSON.stringify(v)} is not ${s}`);
  } else if (Array.isArray(s)) {
    assert.ok(Array.isArray(v), `${path}: not an array`);
    v.forEach((x, i) => checkShape(x, s[0], `${path}[${i}]`));
  } else {
    assert.ok(typeof v === 'object' && v !== null && !Array.isArray(v), `${path}: not an object`);
    const o = v as Record<string, unknown>;
    const keys = new Set(Object.keys(s).map((k) => k.replace(/\?$/, '')));
    for (const k of Object.keys(o)) assert.ok(keys.has(k), `${path}.${k}: not in the report's schema`);
    for (const [key, t] of Object.entries(s)) {
      const k = key.replace(/\?$/, '');
      if (k in o) checkShape(o[k], t, `${path}.${k}`);
      else assert.ok(key.endsWith('?'), `${path}.${k}: missing`);
    }
  }
}

/** The schema, and what it cannot say: counts that agree, ordered percentiles, jobs in order. */
function checkReport(r: SimReport): void {
  checkShape(r, REPORT);
  const d = r.discovery;
  assert.ok(d.found <= d.searches && d.latenciesMs.length === d.searches);
  assert.is(d.successRate, d.searches === 0 ? 1 : d.found / d.searches);
  assert.ok(d.p50Ms <= d.p95Ms && d.p95Ms <= d.maxMs);
  r.jobs.forEach((j, i) => assert.is(j.index, i));
}

let withJob: SimReport | undefined;

test('a scenario file with flags over it, the report as JSON, and as HTML with --report', () => {
  const file = join(root, 'scenario.json');
  const html = join(root, 'report.html');
  const jobs = [{ requester: 5, datasets: ['data-0', 'data-1', 'data-2'], stats: ['count'] }];
  writeFileSync(file, JSON.stringify({ peers: 4, seed: 9, searches: 3, jobs }));
  const r = peermpc(['simulate', file, '--peers', '6', '--searches', '5', '--json', '--report', html]);
  assert.is(r.code, 0, r.stderr);
  const report = (withJob = JSON.parse(r.stdout) as SimReport); // stdout is the JSON alone
  assert.is(report.peers, 6);
  assert.is(report.seed, 9);
  assert.is(report.discovery.searches, 5);
  assert.is(report.jobs[0]!.state, 'done', report.jobs[0]!.error);
  assert.equal(report.jobs[0]!.result!.find((o) => o.name === 'count')!.values, [300]);
  assert.ok(r.stderr.includes(`wrote the HTML report to ${html}`), r.stderr);
  assert.not.match(r.stderr, /\[[░█]+\]/, 'no progress bar: stderr is not a terminal');
  const page = readFileSync(html, 'utf8');
  const data = /<script type="application\/json" id="sim-report">([^<]*)<\/script>/.exec(page)?.[1];
  assert.equal(JSON.parse(data ?? 'null'), report);
  assert.match(page, /<canvas id="chart-timeline-0"/);
});

test("the --json report has the report's schema, with churn over 2 worker threads; --progress on stderr", () => {
  checkReport(withJob!);
  const file = join(root, 'churn.json');
  const churn = [
    { at: 0, peer: 3, action: 'leave' },
    { at: 20, peer: 3, action: 'join' },
  ];
  writeFileSync(file, JSON.stringify({ peers: 4, searches: 4, churn }));
  const r = peermpc(['simulate', file, '--json', '--progress', '--workers', '2']);
  assert.is(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as SimReport;
  checkReport(report);
  assert.equal(
    report.churn.map((c) => [c.peer, c.action]),
    [
      [3, 'leave'],
      [3, 'join'],
    ],
  );
  assert.match(r.stderr, /start\s+\[[░█]+\] 4\/4/, 'the progress bar, on stderr');
});

test('a bad scenario is refused naming the field; a file that is not JSON names itself', () => {
  const bad = join(root, 'bad.json');
  writeFileSync(bad, JSON.stringify({ peers: 4, links: { default: { latencyMs: -5 } } }));
  let r = peermpc(['simulate', bad]);
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /links\.default\.latencyMs/);
  const notJson = join(root, 'not.json');
  writeFileSync(notJson, '{ peers: 4');
  r = peermpc(['simulate', notJson]);
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /not\.json: not JSON/);
  r = peermpc(['simulate', '--peers', '4', '--workers', 'two']);
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /--workers: a whole number/);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
