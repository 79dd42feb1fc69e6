/**
 * `npm run soak -- [--minutes N] [--jobs N] [--every S] [--json]`: jobs back to back between four
 * real daemons (three hospitals, one scientist) on 127.0.0.1, sampling each daemon's resident
 * memory, open file descriptors, audit log size and job records over time, so that a leak (memory,
 * descriptors, unbounded files) shows as a trend. Prints a table, or with --json only a JSON array
 * of samples. Stops after N minutes (default 5) or N jobs, whichever comes first.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { table } from '../src/cli/output.js';
import { shorthandProgram, type ShorthandStat } from '../src/jobs/program/shorthand.js';
import type { JobRecord } from '../src/jobs/store.js';
import { cleanupAll, cleanupOnSignals, startNetwork, type DemoDaemon } from './demo-network.js';
import { DEMO_COLUMNS, generateHospital, HOSPITALS, toCsv } from './make-demo-data.js';

/** One sample over the daemons: the largest value of each, and the jobs so far. */
interface Sample {
  seconds: number;
  jobs: number;
  failed: number;
  rssMiB: number;
  fds: number;
  auditKiB: number;
  records: number;
  jobMsMedian: number;
}

function procStat(pid: number): { rssMiB: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rssMiB: kb / 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
}

function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)]!;
}

function sample(daemons: DemoDaemon[], t0: number, jobs: number, failed: number, ms: number[]): Sample {
  const per = daemons.map((d) => ({
    ...procStat(d.child.pid!),
    audit: sizeOf(join(d.dataDir, 'audit.log')),
    records: existsSync(join(d.dataDir, 'jobs', 'records'))
      ? readdirSync(join(d.dataDir, 'jobs', 'records')).length
      : 0,
  }));
  return {
    seconds: Math.round((performance.now() - t0) / 1000),
    jobs,
    failed,
    rssMiB: Math.round(Math.max(...per.map((p) => p.rssMiB))),
    fds: Math.max(...per.map((p) => p.fds)),
    auditKiB: Math.round(Math.max(...per.map((p) => p.audit)) / 1024),
    records: Math.max(...per.map((p) => p.records)),
    jobMsMedian: Math.round(median(ms.slice(-50))),
  };
}

async function waitDone(d: DemoDaemon, id: string): Promise<JobRecord> {
  for (;;) {
    const r = await d.client.request<JobRecord>('GET', `/jobs/${id}`);
    if (['done', 'failed', 'rejected', 'cancelled', 'expired'].includes(r.state)) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '5' },
      jobs: { type: 'string', default: '1000000' },
      every: { type: 'string', default: '15' },
      json: { type: 'boolean', default: false },
    },
  });
  const endAt = performance.now() + Number(values.minutes) * 60_000;
  const maxJobs = Number(values.jobs);
  const everyMs = Number(values.every) * 1000;
  const say = (s: string): void => void (values.json ? process.stderr : process.stdout).write(`${s}\n`);
  cleanupOnSignals();
  const net = await startNetwork([...HOSPITALS.map((h) => h.name), 'scientist'], {
    jobs: { stepMs: 10_000, connectMs: 10_000, proposeMs: 10_000 },
  });
  const samples: Sample[] = [];
  try {
    const hospitals = HOSPITALS.map((h) => net.get(h.name));
    const consortium = hospitals.map((h) => h.peerId);
    for (const [i, spec] of HOSPITALS.entries()) {
      const csv = join(net.root, `${spec.name}.csv`);
      writeFileSync(csv, toCsv(generateHospital({ ...spec, rows: 200 })));
      await hospitals[i]!.client.addDataset({ csvPath: csv, name: spec.name });
      await hospitals[i]!.client.request('PUT', `/policies/${spec.name}`, {
        approval: 'auto',
        computeParties: consortium,
      });
    }
    const scientist = net.get('scientist');
    const columns = ['age', 'bmi', 'glucose'].filter((c) => (DEMO_COLUMNS as readonly string[]).includes(c));
    const mixes: ShorthandStat[][] = [['mean'], ['variance', 'correlation'], ['count', 'std']];
    const t0 = performance.now();
    const ms: number[] = [];
    let jobs = 0;
    let failed = 0;
    let next = 0;
    say(`soak: ${values.minutes} min or ${maxJobs} jobs; sampling every ${values.every} s`);
    while (performance.now() < endAt && jobs < maxJobs) {
      const stats = mixes[jobs % mixes.length]!;
      const program = shorthandProgram({
        inputs: hospitals.map((_, i) => ({ name: `h${i + 1}`, columns })),
        stats,
      });
      const inputs = hospitals.map((h, i) => ({
        name: `h${i + 1}`,
        owner: h.peerId,
        dataset: h.name,
        columns,
      }));
      const start = performance.now();
      const created = await scientist.client.request<JobRecord>('POST', '/jobs', { program, inputs });
      const end = await waitDone(scientist, created.id);
      ms.push(performance.now() - start);
      jobs++;
      if (end.state !== 'done') failed++;
      if (performance.now() - t0 >= next) {
        next += everyMs;
        samples.push(sample([...hospitals, scientist], t0, jobs, failed, ms));
        if (!values.json) say(JSON.stringify(samples.at(-1)));
      }
    }
    samples.push(sample([...hospitals, scientist], t0, jobs, failed, ms));
  } finally {
    await net.stop();
    await cleanupAll();
  }
  if (values.json) process.stdout.write(`${JSON.stringify(samples)}\n`);
  else
    say(
      table(
        [
          's',
          'jobs',
          'failed',
          'max RSS MiB',
          'max fds',
          'max audit KiB',
          'max records',
          'job ms (median of last 50)',
        ],
        samples.map((s) => [
          s.seconds,
          s.jobs,
          s.failed,
          s.rssMiB,
          s.fds,
          s.auditKiB,
          s.records,
          s.jobMsMedian,
        ]),
      ),
    );
}

await main();
