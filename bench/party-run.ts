/**
 * One party's side of a benchmark case, the same on every transport: set the case up, warm up,
 * then run it `runs` timed times, each between a start and an end mark; and the in-memory
 * transport built on it (all parties in this thread, simulate's channels).
 *
 * Warm-up. One untimed run, or with {@link RunRequest.warmupMs} untimed runs until that much time
 * has passed (at most {@link MAX_WARMUP_RUNS}): V8 compiles a function to optimised code only
 * after many calls, and a party process calls an ML op's code a third as often per run as one
 * process running all three parties, so its first runs are up to 2.5 times slower (the softmax
 * inference: 180 ms cold, about 75 ms after 30 runs). Party 0 decides whether another warm-up run
 * follows and tells the others at the start mark (every party must run the same number of times).
 * The first, cold run is reported beside the timed median.
 *
 * Timing. Each party notes, per run, the {@link clock} time and its process CPU time at the start
 * mark and when it has its result. Parties in one thread (memory) start at an in-process barrier
 * and stop at another, whose times are those of the last party to arrive; parties in their own
 * threads or processes start after a one-byte exchange with every other party over the session
 * (see {@link sessionSync}). The time of one run is max(end) - max(start): from the moment every
 * party has started the op until the last party has its result. Its CPU time is each party's CPU
 * between its own marks; in memory every party's process is the same one, so that is the CPU of
 * all parties together.
 */
import type { Protocol, Share } from '../src/protocols/protocol.js';
import { protocolFactory } from '../src/protocols/registry.js';
import type { TestOnlySessionKeys } from '../src/protocols/session-impl.js';
import type { Session } from '../src/protocols/session.js';
import { simulate } from '../src/protocols/simulate.js';
import { benchCase, isLaps, type CaseContext, type CaseSpec } from './cases.js';
import { Barrier, clock, cpuNow, median } from './harness.js';

/** Where the parties run. */
export type Transport = 'memory' | 'threads' | 'libp2p-tcp';

/** A start or end mark: the clock and this party's process CPU time, ms. */
export interface Mark {
  t: number;
  cpu: number;
}

/** What a start mark says: when, and party 0's decision on what follows. */
export interface Started {
  mark: Mark;
  /** Party 0's `go`: false ends the warm-up without a run. */
  go: boolean;
}

/** How the parties of one transport line up before a run and note its end. */
export interface Sync {
  /** Lines the parties up; party 0 passes `go` (ignored from the others), every party gets it. */
  start(go?: boolean): Promise<Started>;
  end(): Promise<Mark>;
}

/** Most warm-up runs, whatever {@link RunRequest.warmupMs} says. */
export const MAX_WARMUP_RUNS = 50;

/** What the coordinator asks every party to do. */
export interface RunRequest {
  /** Protocol name from the registry, or '' for a case that needs none (`rounds`). */
  protocol: string;
  spec: CaseSpec;
  /** Timed runs (after the warm-up). */
  runs: number;
  /**
   * Warm up for this long (party 0's clock, ms): untimed runs until it has passed, at least one,
   * at most {@link MAX_WARMUP_RUNS}. Default 0: one warm-up run.
   */
  warmupMs?: number;
  /** Tests: instead of timing, run the op once and return its opened result. */
  check?: boolean;
}

/** What one party measured. */
export interface PartyResult {
  party: number;
  /** Start and end marks of the timed runs ({@link clock} ms). */
  starts: number[];
  ends: number[];
  /** This party's process CPU time of each timed run, ms. */
  cpu: number[];
  /** Start and end marks of the first warm-up run (the cold one). */
  first?: { start: number; end: number };
  /** Warm-up runs before the timed ones. */
  warmupRuns?: number;
  /** Payload bytes this party sent in one run. */
  bytes: number;
  /** Rounds of one run. */
  rounds: number;
  /** `rounds` case: when each round ended here, per timed run. */
  laps?: number[][];
  /** Check mode: the opened result's ring words as hex (on the parties that receive it). */
  opened?: string;
}

/** Called around the timed runs (after the warm-up, before the first start mark; after the last run). */
export interface TimedHooks {
  begin(): Promise<void>;
  end(): Promise<void>;
}

const mark = (): Mark => ({ t: clock(), cpu: cpuNow() });

/**
 * Marks for parties in one thread: two in-process barriers, times of the last to arrive. Party 0's
 * `go` is read once the barrier opens: no party can reach the next start before every party has
 * resumed from this one (the run in between communicates), so it cannot be overwritten first.
 */
export function barrierSync(start: Barrier, end: Barrier): Sync {
  let go = true;
  return {
    start: async (g) => {
      if (g !== undefined) go = g;
      await start.wait();
      return { mark: { t: start.at, cpu: start.cpu }, go };
    },
    end: async () => {
      await end.wait();
      return { t: end.at, cpu: end.cpu };
    },
  };
}

/**
 * Marks for parties in separate threads or processes: the start is a one-byte exchange with every
 * other party (a barrier over the session's own channel, outside the counted bytes of the op) in
 * which party 0's byte carries its `go` (1 or 0), the end is this party's own clock.
 */
export function sessionSync(s: Session): Sync {
  const others = [...Array(s.parties).keys()].filter((p) => p !== s.self);
  return {
    start: async (g) => {
      const step = s.nextStep();
      const one = Uint8Array.of(s.self === 0 && g === false ? 0 : 1);
      const got = await Promise.all([
        ...others.map((p) => s.recv(p, step)),
        ...others.map((p) => s.send(p, step, one)),
      ]);
      const go = s.self === 0 ? g !== false : (got[others.indexOf(0)] as Uint8Array)[0] === 1;
      return { mark: mark(), go };
    },
    end: async () => mark(),
  };
}

/** Runs `req` on one party's session. */
export async function runParty(
  s: Session,
  req: RunRequest,
  sync: Sync,
  hooks?: TimedHooks,
): Promise<PartyResult> {
  const c = benchCase(req.spec);
  let protocol: Protocol<Share> | undefined;
  const ctx: CaseContext = {
    s,
    get p(): Protocol<Share> {
      if (req.protocol === '') throw new Error(`case ${c.name} runs without a protocol`);
      return (protocol ??= protocolFactory(req.protocol).create(s) as Protocol<Share>);
    },
  };
  const xs = await c.setup(ctx);
  const out: PartyResult = { party: s.self, starts: [], ends: [], cpu: [], bytes: 0, rounds: 0 };
  if (req.check === true) {
    const r = await c.run(ctx, xs);
    const opened = await c.open(ctx, r);
    if (opened !== undefined)
      out.opened = Buffer.from(opened.data.buffer, opened.data.byteOffset, opened.data.byteLength).toString(
        'hex',
      );
    return out;
  }
  const once = async (): Promise<unknown> => {
    const b0 = s.stats.bytesSent;
    const r0 = s.stats.rounds;
    const res = await c.run(ctx, xs);
    out.bytes = s.stats.bytesSent - b0;
    out.rounds = s.stats.rounds - r0;
    return res;
  };
  const warmUntil = clock() + (req.warmupMs ?? 0);
  let warm = 0;
  for (;;) {
    const more = warm === 0 || (warm < MAX_WARMUP_RUNS && clock() < warmUntil);
    const { mark: a, go } = await sync.start(s.self === 0 ? more : undefined);
    if (!go) break;
    await once();
    const b = await sync.end();
    if (warm++ === 0) out.first = { start: a.t, end: b.t };
  }
  out.warmupRuns = warm;
  if (req.runs > 0) await hooks?.begin();
  for (let r = 0; r < req.runs; r++) {
    const { mark: a } = await sync.start();
    const res = await once();
    const b = await sync.end();
    out.starts.push(a.t);
    out.ends.push(b.t);
    out.cpu.push(b.cpu - a.cpu);
    if (isLaps(res)) (out.laps ??= []).push(res.laps);
  }
  if (req.runs > 0) await hooks?.end();
  return out;
}

/** Parties of a request: the protocol's default, 3 without one. */
export function partiesOf(req: Pick<RunRequest, 'protocol'>): number {
  return req.protocol === '' ? 3 : protocolFactory(req.protocol).defaultParties;
}

/** Options of {@link runInMemory}. */
export interface MemoryRunOptions {
  /** Session id (default random). */
  id?: string;
  /** TESTS ONLY: fixed session keys per party (simulate's `testOnlyKeys`). */
  testOnlyKeys?: readonly TestOnlySessionKeys[];
}

/** Runs `req` with every party in this thread over in-memory channels. */
export async function runInMemory(req: RunRequest, opts: MemoryRunOptions = {}): Promise<PartyResult[]> {
  const parties = partiesOf(req);
  const sync = barrierSync(new Barrier(parties), new Barrier(parties));
  return simulate(parties, (s) => runParty(s, req, sync), {
    id: opts.id,
    testOnlyKeys: opts.testOnlyKeys,
    timeouts: { stepMs: 600_000, sessionMs: 3_600_000 },
  });
}

/** The figures of a row, from every party's result. */
export interface Measured {
  /** Wall time of each timed run, ms (`rounds`: of each round). */
  times: number[];
  /** Median CPU time of one run (`rounds`: one round), all parties together, ms. */
  cpuMs: number;
  /** Median CPU time of one run per party, ms (libp2p-tcp; null when one process runs every party). */
  cpuPerParty: number[] | null;
  /** Mean payload bytes sent per party in one run. */
  bytes: number;
  /** Rounds of one run (party 0's count). */
  rounds: number;
  /** Wall time of the first warm-up run, cold (`rounds`: per round), ms; null without one. */
  firstMs: number | null;
  /** Warm-up runs before the timed ones. */
  warmupRuns: number;
}

/** Combines the parties' results of one transport into a row's figures. */
export function measure(results: PartyResult[], transport: Transport): Measured {
  const runs = results[0]!.starts.length;
  const maxAt = (f: (r: PartyResult) => number): number => Math.max(...results.map(f));
  // memory and threads: one process runs every party, so any party's CPU is all parties' CPU
  const shared = transport !== 'libp2p-tcp';
  const cpuRun = (i: number): number =>
    shared ? results[0]!.cpu[i]! : results.reduce((a, r) => a + r.cpu[i]!, 0);
  let times: number[] = [];
  let per = 1;
  if (results[0]!.laps !== undefined) {
    // rounds: round k ends when the last party has it; round 0 starts at the start mark
    for (let i = 0; i < runs; i++) {
      const n = results[0]!.laps[i]!.length;
      per = n;
      let prev = maxAt((r) => r.starts[i]!);
      for (let k = 0; k < n; k++) {
        const end = maxAt((r) => r.laps![i]![k]!);
        times.push(end - prev);
        prev = end;
      }
    }
  } else {
    times = [...Array(runs).keys()].map((i) => maxAt((r) => r.ends[i]!) - maxAt((r) => r.starts[i]!));
  }
  const cpuAll = [...Array(runs).keys()].map(cpuRun);
  const cold = results.every((r) => r.first !== undefined)
    ? (maxAt((r) => r.first!.end) - maxAt((r) => r.first!.start)) / per
    : null;
  return {
    firstMs: cold,
    warmupRuns: results[0]!.warmupRuns ?? 0,
    times,
    cpuMs: median(cpuAll) / per,
    cpuPerParty: shared ? null : results.map((r) => round1(median(r.cpu) / per)),
    bytes: Math.round(results.reduce((a, r) => a + r.bytes, 0) / results.length / per),
    rounds: Math.round(results[0]!.rounds / per),
  };
}

const round1 = (x: number): number => Number(x.toPrecision(3));
