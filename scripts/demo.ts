/**
 * `npm run demo`: the README's main job, end to end on one machine.
 *
 * Three hospitals each run a daemon holding a synthetic patient table (scripts/make-demo-data.ts),
 * and a scientist runs a fourth. The scientist searches the DHT, looks at mock rows, and runs one
 * joint job (column means, a correlation matrix and a linear regression over the union of the three
 * tables) with rep3, the three hospitals as compute parties. Two hospitals approve by policy; the
 * third's administrator approves by hand with the CLI (`peermpc job pending`, `peermpc job
 * approve`). The result, revealed to the scientist only, is printed beside the plaintext answer
 * computed here from the generated files, with time, bytes and rounds. Everything runs in a
 * temporary directory that is removed at the end, also on Ctrl-C.
 *
 * Usage: npm run demo [-- --keep]   (--keep leaves the data directories for inspection)
 */
import '../src/polyfills.js';
import { join } from 'node:path';
import type { JobEventsResponse } from '../src/daemon/api/routes/jobs.js';
import { LINREG_DEFAULT_EPOCHS } from '../src/jobs/program/ops-stats.js';
import { refCorrelation, refLinregGd, refMeans, refOls } from '../src/jobs/reference.js';
import type { JobRecord } from '../src/jobs/store.js';
import type { SignedDatasetDescription } from '../src/node/types.js';
import { cleanupAll, cleanupOnSignals, peermpc, startNetwork, type DemoNetwork } from './demo-network.js';
import { demoJobRequest, demoJobRows, FEATURES, JOB_COLUMNS, TARGET } from './demo-job.js';
import { DEMO_COLUMNS, HOSPITALS, writeDemoData } from './make-demo-data.js';

const COLUMNS = JOB_COLUMNS;
const MANUAL = 'riverside';

const t0 = performance.now();
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;
let interrupted = false;
const say = (s = ''): void => {
  if (!interrupted) console.log(s);
};
const step = (n: number, text: string): void => say(`\n[${n}/6] ${text}`);
const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const f4 = (v: number): string => v.toFixed(4);
const short = (id: string): string => `${id.slice(0, 12)}…${id.slice(-4)}`;

function table(header: string[], rows: string[][], indent = '      '): void {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    indent + r.map((c, i) => (i === 0 ? pad(c, w[i]!) : lpad(c, w[i]!))).join('  ');
  say(line(header));
  for (const r of rows) say(line(r));
}

let after = 0;
let lastPhase = '';

/** Prints the scientist's events of job `id` (from where the last call stopped) until `done(state)`. */
async function followUntil(net: DemoNetwork, id: string, done: (state: string) => boolean): Promise<void> {
  const sci = net.get('scientist').client;
  for (;;) {
    const res = await sci.request<JobEventsResponse>('GET', `/jobs/${id}/events?after=${after}&waitMs=20000`);
    for (const e of res.events) {
      after = Math.max(after, e.seq);
      if (e.type === 'decision' && e.decision) {
        const d = e.decision;
        const who = net.daemons.find((x) => x.peerId === d.peer)?.name ?? short(d.peer);
        say(
          `      ${pad(who + ':', 12)} ${d.decision === 'pending' ? 'waiting for a person to approve' : d.decision}`,
        );
      } else if (e.type === 'state' && e.state) {
        say(`      job ${e.state}${e.reason ? `: ${e.reason}` : ''}`);
      } else if (e.type === 'progress' && e.progress && e.progress.phase !== lastPhase) {
        lastPhase = e.progress.phase;
        say(`      step ${e.progress.done}/${e.progress.total}: ${e.progress.phase}`);
      }
    }
    if (done(res.state)) return;
  }
}

async function main(): Promise<number> {
  const keep = process.argv.includes('--keep');
  say('peermpc demo: three hospitals and a scientist, each a daemon on 127.0.0.1 (synthetic data only)');

  step(1, "generating the hospitals' synthetic patient tables");
  const names = [...HOSPITALS.map((h) => h.name), 'scientist'];
  let net: DemoNetwork | undefined;
  const removeHandlers = cleanupOnSignals(() => {
    say('\ninterrupted: stopping the daemons and removing the data directories');
    interrupted = true;
  });
  try {
    const tStart = performance.now();
    net = await startNetwork(names, { jobs: { stepMs: 30_000 } });
    const files = writeDemoData(join(net.root, 'data'));
    for (const h of HOSPITALS)
      say(`      ${pad(h.name, 11)} ${h.rows} patients, columns ${DEMO_COLUMNS.join(', ')}`);

    step(
      2,
      `started ${names.length} daemons in ${secs(performance.now() - tStart)} (data dirs under ${net.root})`,
    );
    for (const d of net.daemons) say(`      ${pad(d.name, 11)} ${d.peerId}`);

    step(3, 'each hospital publishes its dataset (description, schema, synthetic mock rows) and a policy');
    for (const h of HOSPITALS) {
      const d = net.get(h.name);
      await d.client.addDataset({
        csvPath: files[h.name]!,
        name: h.name,
        description: h.description,
        tags: ['patients', 'cardiology'],
        mockRows: 5, // synthetic rows from each column's range and mean: the hospitals opt in
      });
      const manual = h.name === MANUAL;
      await d.client.request('PUT', `/policies/${h.name}`, {
        approval: manual ? 'manual' : 'auto',
        minRows: 100,
        outputs: ['count', 'mean', 'correlation', 'linreg'],
        // the consortium: each hospital trusts itself and the other two as compute parties
        computeParties: HOSPITALS.map((o) => net!.get(o.name).peerId),
      });
      say(
        `      ${pad(h.name, 11)} ${manual ? 'manual approval by a person' : 'automatic approval'}; only aggregates over >= 100 rows; outputs: count, mean, correlation, linreg; compute parties: the three hospitals`,
      );
    }

    step(4, 'the scientist searches the DHT for "patients"');
    const sci = net.get('scientist');
    const tSearch = performance.now();
    let found: SignedDatasetDescription[] = [];
    for (let i = 0; i < 20 && found.length < HOSPITALS.length; i++) {
      found = (await sci.client.searchDatasets('patients')).found;
      if (found.length < HOSPITALS.length) await new Promise((r) => setTimeout(r, 250));
    }
    if (found.length < HOSPITALS.length)
      throw new Error(`the search found ${found.length} of ${HOSPITALS.length} datasets`);
    say(
      `      found ${found.length} datasets in ${secs(performance.now() - tSearch)} (descriptions verified against their owners' keys):`,
    );
    table(
      ['DATASET', 'OWNER', 'ROWS', 'COLUMNS'],
      found.map((f) => [
        f.description.name,
        short(f.description.owner),
        String(f.description.rows),
        String(f.description.columns.length),
      ]),
    );
    const peek = found.find((f) => f.description.name === MANUAL)!.description;
    say(
      `\n      mock rows of ${peek.name} (${peek.mockSource}, what the scientist may look at; not patients):`,
    );
    table(
      peek.columns.map((c) => c.name),
      peek.mock.slice(0, 3).map((r) => r.map((v) => String(Math.round(v * 10) / 10))),
    );

    step(
      5,
      `the scientist submits one job: means, correlation matrix, and ${TARGET} ~ ${FEATURES.join(' + ')}, by rep3 among the 3 hospitals`,
    );
    const tJob = performance.now();
    const submitted = await sci.client.request<JobRecord>('POST', '/jobs', demoJobRequest(found));
    const id = submitted.id;
    say(
      `      job ${id}, program hash ${submitted.signed.job.programHash.slice(0, 16)}…, signed by the scientist`,
    );
    await followUntil(net, id, () => true);

    const admin = net.get(MANUAL);
    say(`\n      ${MANUAL}'s administrator reviews the job with the CLI:`);
    say(`      $ peermpc job pending --data-dir ${admin.dataDir}`);
    const pending = await peermpc(['job', 'pending', '--data-dir', admin.dataDir]);
    if (pending.code !== 0 || !pending.stdout.includes(id))
      throw new Error(`job pending failed: ${pending.stderr}`);
    for (const line of pending.stdout.trimEnd().split('\n')) say(`        ${line}`);
    say(`      $ peermpc job approve ${id} --data-dir ${admin.dataDir}`);
    const approved = await peermpc(['job', 'approve', id, '--data-dir', admin.dataDir]);
    if (approved.code !== 0) throw new Error(`job approve failed: ${approved.stderr}`);
    say(`        ${approved.stdout.trim()}`);
    say('');
    await followUntil(net, id, (s) => ['done', 'failed', 'rejected', 'expired', 'cancelled'].includes(s));
    const jobMs = performance.now() - tJob;
    const record = await sci.client.request<JobRecord>('GET', `/jobs/${id}`);
    if (record.state !== 'done')
      throw new Error(`the job ended ${record.state}: ${record.error?.message ?? ''}`);

    step(
      6,
      'the result (revealed to the scientist only) beside the plaintext answer computed from the generated files',
    );
    const rows = demoJobRows();
    const out = Object.fromEntries(record.result!.map((o) => [o.name, o.values]));
    say(`      rows behind every value: ${out.count![0]} (plaintext ${rows.length})`);
    const means = refMeans(rows);
    say('\n      column means');
    table(
      ['', 'MPC', 'PLAINTEXT', '|DIFF|'],
      COLUMNS.map((c, i) => [
        c,
        f4(out.mean![i]!),
        f4(means[i]!),
        Math.abs(out.mean![i]! - means[i]!).toExponential(1),
      ]),
    );
    const corr = refCorrelation(rows).flat();
    say('\n      correlation matrix (MPC)');
    table(
      ['', ...COLUMNS],
      COLUMNS.map((c, i) => [c, ...COLUMNS.map((_, j) => f4(out.correlation![i * COLUMNS.length + j]!))]),
    );
    const corrDiff = Math.max(...corr.map((v, i) => Math.abs(v - out.correlation![i]!)));
    say(`      largest |MPC - plaintext| over the matrix: ${corrDiff.toExponential(1)}`);
    const fi = FEATURES.map((f) => COLUMNS.indexOf(f));
    const ti = COLUMNS.indexOf(TARGET);
    const gd = refLinregGd(rows, fi, ti);
    const ols = refOls(rows, fi, ti);
    say(
      `\n      linear regression ${TARGET} ~ ${FEATURES.join(' + ')} (gradient descent, ${LINREG_DEFAULT_EPOCHS} epochs)`,
    );
    table(
      ['', 'MPC', 'PLAINTEXT (same GD)', 'EXACT OLS'],
      ['intercept', ...FEATURES].map((name, i) => [name, f4(out.linreg![i]!), f4(gd[i]!), f4(ols[i]!)]),
    );

    say(`\n      job time ${secs(jobMs)} from submission to result, including the person's approval`);
    const ms = record.stats!.ms;
    say(
      `      phases on the scientist: discovery ${secs(ms.discovery ?? 0)}, approval ${secs(ms.approval ?? 0)}, session ${secs(ms.connect ?? 0)}, ` +
        `inputs + compute + output ${secs((ms.input ?? 0) + (ms.compute ?? 0) + (ms.output ?? 0))}`,
    );
    say('      traffic of the MPC session, per party:');
    const perParty = await Promise.all(
      net.daemons.map(async (d) => ({ d, r: await d.client.request<JobRecord>('GET', `/jobs/${id}`) })),
    );
    table(
      ['PARTY', 'ROLE', 'SENT', 'RECEIVED', 'ROUNDS', 'COMPUTE TIME'],
      perParty.map(({ d, r }) => [
        d.name,
        r.roles.join('+'),
        `${(r.stats!.bytesSent / 1024).toFixed(1)} KiB`,
        `${(r.stats!.bytesReceived / 1024).toFixed(1)} KiB`,
        String(r.stats!.rounds),
        secs((r.stats!.ms.input ?? 0) + (r.stats!.ms.compute ?? 0) + (r.stats!.ms.output ?? 0)),
      ]),
    );

    say('\n      every peer audited the job (ids, hashes, decisions, shapes; never values):');
    for (const d of net.daemons) {
      const v = await peermpc(['audit', 'verify', '--data-dir', d.dataDir]);
      say(`      ${pad(d.name, 11)} ${v.stdout.trim()}`);
    }
    say(
      `\ndemo finished in ${secs(performance.now() - t0)}; stopping the daemons${keep ? '' : ' and removing the data directories'}`,
    );
    if (keep) {
      const root = net.root;
      await Promise.all(net.daemons.map((d) => d.stop()));
      say(`kept ${root}`);
    } else {
      await net.stop();
    }
    return 0;
  } catch (err) {
    if (interrupted) return 130;
    console.error(`\ndemo failed: ${(err as Error).message}`);
    if (net !== undefined) {
      for (const d of net.daemons) {
        const tail = d.output().trim().split('\n').slice(-5).join('\n      ');
        if (tail !== '') console.error(`  ${d.name} daemon output (last lines):\n      ${tail}`);
      }
    }
    await (net?.stop() ?? cleanupAll());
    return 1;
  } finally {
    removeHandlers();
  }
}

process.exitCode = await main();
