/**
 * A network of real daemons (separate processes on 127.0.0.1) with three hospitals' datasets, for
 * the end-to-end jobs tests; plus helpers to follow a job through the control API.
 */
import { join } from 'node:path';
import type { JobEventsResponse } from '../../../src/daemon/api/routes/jobs.js';
import type { JobRecord } from '../../../src/jobs/store.js';
import type { JobRequest } from '../../../src/jobs/service/request.js';
import { shorthandProgram, type ShorthandStat } from '../../../src/jobs/program/shorthand.js';
import { startNetwork, type DemoDaemon, type DemoNetwork } from '../../../scripts/demo-network.js';
import { DEMO_COLUMNS, generateHospital, HOSPITALS, toCsv } from '../../../scripts/make-demo-data.js';
import { writeFileSync } from 'node:fs';
import { createJob } from '../../../src/jobs/job/sign.js';
import type { Job } from '../../../src/jobs/job/types.js';
import { magnitudeOf } from '../../../src/node/dataset/magnitude.js';
import type { Peer } from '../../../src/node/peer.js';
import { JOBS_PROTOCOL } from '../../../src/jobs/service/for-peer.js';

/** Rows of each test hospital (smaller than the demo's). */
export const TEST_ROWS = [240, 180, 300];
/** Columns the tests' jobs use. */
export const JOB_COLUMNS = ['age', 'bmi', 'systolic_bp', 'glucose'];

/** The network and the hospitals' tables. */
export interface JobsTestNetwork {
  net: DemoNetwork;
  hospitals: DemoDaemon[];
  scientist: DemoDaemon;
  /** Each hospital's rows (all demo columns). */
  tables: number[][][];
}

/** Starts three hospitals (datasets named after them, tag `patients`) and a scientist. */
export async function startJobsNetwork(env?: NodeJS.ProcessEnv): Promise<JobsTestNetwork> {
  const specs = HOSPITALS.map((h, i) => ({ ...h, rows: TEST_ROWS[i]! }));
  const net = await startNetwork([...specs.map((s) => s.name), 'scientist'], {
    jobs: { stepMs: 5_000, connectMs: 5_000, proposeMs: 5_000, sweepMs: 200 },
    ...(env ? { env } : {}),
  });
  try {
    const tables = specs.map((s) => generateHospital(s));
    await Promise.all(
      specs.map(async (s, i) => {
        const csv = join(net.root, `${s.name}.csv`);
        writeFileSync(csv, toCsv(tables[i]!));
        await net.get(s.name).client.addDataset({ csvPath: csv, name: s.name, tags: ['patients'] });
      }),
    );
    consortium = specs.map((s) => net.get(s.name).peerId);
    return { net, hospitals: specs.map((s) => net.get(s.name)), scientist: net.get('scientist'), tables };
  } catch (err) {
    await net.stop();
    throw err;
  }
}

/** A job request over the three hospitals' datasets with the shorthand statistics. */
export function jobRequest(
  t: JobsTestNetwork,
  stats: ShorthandStat[],
  extra: { linreg?: { target: string; features: string[]; epochs?: number }; ttlMs?: number } = {},
): JobRequest {
  return {
    program: shorthandProgram({
      inputs: t.hospitals.map((_, i) => ({ name: `h${i + 1}`, columns: JOB_COLUMNS })),
      stats,
      ...(extra.linreg ? { linreg: extra.linreg } : {}),
    }),
    inputs: t.hospitals.map((h, i) => ({
      name: `h${i + 1}`,
      owner: h.peerId,
      dataset: h.name,
      columns: JOB_COLUMNS,
    })),
    ...(extra.ttlMs ? { ttlMs: extra.ttlMs } : {}),
  };
}

/** The job columns of every hospital's rows, together. */
export function allRows(t: JobsTestNetwork): number[][] {
  const idx = JOB_COLUMNS.map((c) => DEMO_COLUMNS.indexOf(c as never));
  return t.tables.flat().map((r) => idx.map((i) => r[i]!));
}

/** The hospitals of the running test network: they trust each other as compute parties. */
let consortium: string[] = [];

/**
 * Sets a hospital's policy through the API; unless the policy names its own `computeParties`, the
 * hospitals of the network trust each other as compute parties (a consortium).
 */
export async function setPolicy(d: DemoDaemon, policy: Record<string, unknown>): Promise<void> {
  await d.client.request('PUT', `/policies/${d.name}`, { computeParties: consortium, ...policy });
}

/** A job's record on a daemon, or undefined when it does not know it. */
export async function recordOn(d: DemoDaemon, id: string): Promise<JobRecord | undefined> {
  try {
    return await d.client.request<JobRecord>('GET', `/jobs/${id}`);
  } catch {
    return undefined;
  }
}

/** Waits (long polls) until job `id` on `d` is in one of `states`; returns its record. */
export async function waitForState(
  d: DemoDaemon,
  id: string,
  states: string[],
  timeoutMs = 30_000,
): Promise<JobRecord> {
  const end = Date.now() + timeoutMs;
  let after = 0;
  for (;;) {
    const res = await d.client.request<JobEventsResponse>(
      'GET',
      `/jobs/${id}/events?after=${after}&waitMs=2000`,
    );
    for (const e of res.events) after = Math.max(after, e.seq);
    if (states.includes(res.state)) return (await recordOn(d, id))!;
    if (Date.now() > end)
      throw new Error(
        `job ${id} on ${d.name} is ${res.state}, not ${states.join('|')}, after ${timeoutMs} ms`,
      );
  }
}

/** Runs `fn`, failing if it takes longer than `ms` (uvu has no per-test timeout). */
export async function within<T>(ms: number, what: string, fn: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A mean over the three hospitals' datasets requested by `requester` (a peer id outside the
 * network, e.g. an intruder), with the magnitudes the owners publish (they refuse any other bound).
 */
export function jobFrom(t: JobsTestNetwork, requester: string): Job {
  const req = jobRequest(t, ['mean']);
  return createJob({
    requester,
    program: req.program,
    inputs: t.hospitals.map((h, i) => ({
      name: `h${i + 1}`,
      owner: h.peerId,
      dataset: h.name,
      columns: JOB_COLUMNS,
      rows: t.tables[i]!.length,
      magnitudes: JOB_COLUMNS.map((c) =>
        magnitudeOf(Math.max(...t.tables[i]!.map((r) => Math.abs(r[DEMO_COLUMNS.indexOf(c as never)]!)))),
      ),
    })),
    computeParties: t.hospitals.map((h) => h.peerId),
  });
}

/** Sends one raw jobs-protocol message from `peer` (a test's own libp2p peer) to `to` (typed framing). */
export function sendJobsMessage(
  peer: Pick<Peer, 'request'>,
  to: string,
  message: { type: string } & Record<string, unknown>,
): Promise<unknown> {
  return peer.request(to, JOBS_PROTOCOL, message, { typed: true });
}
