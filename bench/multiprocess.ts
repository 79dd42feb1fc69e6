/**
 * The `libp2p-tcp` transport of the benchmarks: k party processes (bench/party.ts), each a real
 * peer on 127.0.0.1 with its own temporary data directory, connected to each other; every
 * {@link PartyProcesses.run} opens one MPC session among them through `Peer.openSession` and runs
 * one case (bench/cases.ts) on it with the same code as the in-memory transport.
 *
 * CPU profiles: with `PEERMPC_BENCH_CPU_PROF=<dir>` (or the `cpuProfDir` option) every party
 * profiles the timed runs of each case (after the warm-up) and writes
 * `<dir>/party-<i>-<protocol>-<case>-<n>.cpuprofile` (bench/party.ts); bench/profile-summary.ts
 * groups them. (`node --cpu-prof` does not serve: once the peer has started, it records every
 * sample as "(idle)".) `PEERMPC_BENCH_NODE_ARGS` adds Node or V8 flags to every party's command line
 * (space-separated), e.g. `--trace-gc` (its lines reach stderr) or `--perf-basic-prof` for
 * `perf record -a -g` of the parties' JavaScript.
 *
 * Kernel threads: the parties share this machine's cores, as they would not share them in a
 * deployment (one machine per party). Each party process gets floor(cores / k) kernel threads
 * (at least 1; {@link partyThreads}) unless PEERMPC_THREADS is set: with k = 3 on 2 cores, two
 * threads per party would put six threads of the same matmul on two cores (measured: matmul 256
 * over libp2p 34.0 ms with 2 threads per party, 27.3 ms with 1).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TestOnlySessionKeys } from '../src/protocols/session-impl.js';
import type { PartyResult, RunRequest } from './party-run.js';

type Msg = Record<string, unknown>;

/** Options of {@link PartyProcesses.start}. */
export interface PartyProcessesOptions {
  /** Extra environment of the party processes (tests: PEERMPC_TEST_ONLY_KEYS). */
  env?: Record<string, string>;
  /** Profile each party's timed runs into this directory (default: PEERMPC_BENCH_CPU_PROF, else none). */
  cpuProfDir?: string;
  /** How long start-up and connecting may take, ms (default 180 000). */
  startMs?: number;
}

/** Options of {@link PartyProcesses.run}. */
export interface ProcessRunOptions {
  /** Session (job) id; default a fresh one. */
  jobId?: string;
  /** TESTS ONLY: fixed session keys per party. */
  testOnlyKeys?: readonly TestOnlySessionKeys[];
}

class PartyProcess {
  private readonly msgs: Msg[] = [];
  private readonly waiters: (() => void)[] = [];
  private exited = false;
  readonly done: Promise<void>;

  constructor(readonly proc: ChildProcess) {
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      try {
        this.msgs.push(JSON.parse(l) as Msg);
      } catch {
        process.stderr.write(`${l}\n`);
        return;
      }
      this.wake();
    });
    this.done = new Promise((r) =>
      proc.once('exit', () => {
        this.exited = true;
        this.wake();
        r();
      }),
    );
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  async next(pred: (m: Msg) => boolean): Promise<Msg> {
    for (;;) {
      const i = this.msgs.findIndex(pred);
      if (i >= 0) return this.msgs.splice(i, 1)[0]!;
      if (this.exited) throw new Error(`party process ${this.proc.pid} exited (${this.proc.exitCode})`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  send(v: unknown): void {
    if (!this.exited) this.proc.stdin!.write(JSON.stringify(v) + '\n');
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const timer = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([p, timer]).finally(() => clearTimeout(t));
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
let jobs = 0;

/** Kernel threads of each of k party processes on this machine: its cores shared out, at least 1. */
export function partyThreads(k: number): number {
  return Math.max(1, Math.floor(availableParallelism() / k));
}

/** k connected party processes. */
export class PartyProcesses {
  private constructor(
    private readonly parties: PartyProcess[],
    /** Peer ids, in party order. */
    readonly peerIds: string[],
    private readonly root: string,
  ) {}

  /** Number of parties. */
  get size(): number {
    return this.parties.length;
  }

  /** Starts `k` party processes and connects every pair (kernel threads: {@link partyThreads}). */
  static async start(k: number, opts: PartyProcessesOptions = {}): Promise<PartyProcesses> {
    const root = mkdtempSync(join(tmpdir(), 'peermpc-bench-parties-'));
    const profEnv = process.env.PEERMPC_BENCH_CPU_PROF;
    const profDir = opts.cpuProfDir ?? (profEnv ? resolve(profEnv) : undefined);
    if (profDir !== undefined) mkdirSync(profDir, { recursive: true });
    const script = fileURLToPath(new URL('./party.ts', import.meta.url));
    const nodeArgs = (process.env.PEERMPC_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const parties: PartyProcess[] = [];
    for (let i = 0; i < k; i++) {
      const prof = profDir === undefined ? {} : { PEERMPC_BENCH_CPU_PROF: profDir };
      const proc = spawn(
        process.execPath,
        [...nodeArgs, '--import', 'tsx', script, join(root, `p${i}`), String(i)],
        {
          stdio: ['pipe', 'pipe', 'inherit'],
          env: { PEERMPC_THREADS: String(partyThreads(k)), ...process.env, ...opts.env, ...prof },
        },
      );
      parties.push(new PartyProcess(proc));
    }
    const pp = new PartyProcesses(parties, [], root);
    try {
      const ms = opts.startMs ?? 180_000;
      const ready = await withTimeout(
        Promise.all(parties.map((p) => p.next((m) => m.ready === true))),
        ms,
        'starting the party processes',
      );
      pp.peerIds.push(...ready.map((m) => m.peerId as string));
      const addrs = ready.map((m) => m.addr as string);
      for (const p of parties) p.send({ connect: addrs });
      const conn = await withTimeout(
        Promise.all(parties.map((p) => p.next((m) => 'connected' in m))),
        ms,
        'connecting the party processes',
      );
      const bad = conn.findIndex((m) => m.connected !== true);
      if (bad >= 0) throw new Error(`party ${bad} could not dial the others: ${String(conn[bad]!.error)}`);
      return pp;
    } catch (err) {
      await pp.stop();
      throw err;
    }
  }

  /** Runs `req` in one new session of all parties; resolves with every party's result. */
  async run(req: RunRequest, opts: ProcessRunOptions = {}): Promise<PartyResult[]> {
    const jobId =
      opts.jobId ?? `bench-${process.pid}-${++jobs}-${req.spec.name.replaceAll(' ', '-')}-${req.spec.n}`;
    const keys = opts.testOnlyKeys;
    if (keys !== undefined && keys.length !== this.size) throw new RangeError('one test key pair per party');
    this.parties.forEach((p, i) =>
      p.send({
        jobId,
        parties: this.peerIds,
        request: req,
        ...(keys && { keys: [hex(keys[i]!.ephemeralSecretKey), hex(keys[i]!.ownPrgSeed)] }),
      }),
    );
    const answers = await Promise.all(this.parties.map((p) => p.next((m) => m.jobId === jobId)));
    const failed = answers.filter((a) => a.error !== undefined).map((a) => String(a.error));
    if (failed.length > 0)
      throw new Error(`${req.spec.name} ${req.spec.n} over libp2p-tcp: ${failed.join('; ')}`);
    return answers.map((a) => a.result as PartyResult);
  }

  /** Stops every party (SIGKILL after 20 s) and removes their data directories. */
  async stop(): Promise<void> {
    for (const p of this.parties) p.send({ exit: true });
    await Promise.all(
      this.parties.map(async (p) => {
        const t = setTimeout(() => p.proc.kill('SIGKILL'), 20_000);
        await p.done;
        clearTimeout(t);
      }),
    );
    rmSync(this.root, { recursive: true, force: true });
  }
}
