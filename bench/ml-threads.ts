/**
 * The `threads` transport of the ml benchmark: one worker thread per party (so three parties use
 * both cores as three processes would), connected by MessagePorts: a {@link Channel} over ports
 * and the worker start-up (tsx registered in the worker). Each worker runs bench/party-run.ts's
 * runParty and reports its marks; the coordinator combines them as for every transport.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { emptyStats, type AbortOptions, type Channel, type ChannelStats } from '../src/protocols/channel.js';
import { ChannelClosedError, PartyAbortedError } from '../src/protocols/channel.js';
import { kernel } from '../src/tensor/index.js';
import { nativeDispatch } from '../src/tensor/kernels/native.js';
import type { PartyResult, RunRequest } from './party-run.js';

interface Msg {
  step?: number;
  payload?: Uint8Array;
  abort?: string;
}

/** A channel whose peers are MessagePorts (one per other party). */
export class PortChannel implements Channel {
  readonly stats: ChannelStats;
  private readonly inbox = new Map<string, Uint8Array>();
  private readonly waiters = new Map<
    string,
    { resolve: (p: Uint8Array) => void; reject: (e: Error) => void }
  >();
  private failure: Error | undefined;

  constructor(
    readonly parties: number,
    readonly self: number,
    private readonly ports: (MessagePort | undefined)[],
  ) {
    this.stats = emptyStats(parties);
    ports.forEach((port, from) => {
      port?.on('message', (m: Msg) => {
        if (m.abort !== undefined) return this.fail(new PartyAbortedError(from, -1, m.abort));
        const key = `${from}/${m.step}`;
        const w = this.waiters.get(key);
        this.stats.received[from]!.bytes += m.payload!.byteLength;
        this.stats.received[from]!.messages++;
        if (w !== undefined) {
          this.waiters.delete(key);
          w.resolve(m.payload!);
        } else this.inbox.set(key, m.payload!);
      });
    });
  }

  send(to: number, step: number, payload: Uint8Array, _options?: AbortOptions): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const copy = payload.slice();
    this.stats.sent[to]!.bytes += payload.byteLength;
    this.stats.sent[to]!.messages++;
    this.ports[to]!.postMessage({ step, payload: copy } satisfies Msg, [copy.buffer]);
    return Promise.resolve();
  }

  recv(from: number, step: number, _options?: AbortOptions): Promise<Uint8Array> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const key = `${from}/${step}`;
    const got = this.inbox.get(key);
    if (got !== undefined) {
      this.inbox.delete(key);
      return Promise.resolve(got);
    }
    return new Promise((resolve, reject) => this.waiters.set(key, { resolve, reject }));
  }

  abort(reason: Error): void {
    if (this.failure !== undefined) return;
    for (const p of this.ports) p?.postMessage({ abort: reason.message } satisfies Msg);
    this.fail(new ChannelClosedError(this.self, -1, reason.message));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiters.values()) w.reject(err);
    this.waiters.clear();
  }

  async close(): Promise<void> {
    this.fail(new ChannelClosedError(this.self, -1, 'closed'));
    for (const p of this.ports) p?.close();
  }
}

/** What the coordinator sends a worker to start. */
export interface WorkerInit {
  party: number;
  parties: number;
  request: RunRequest;
  sessionId: string;
  ports: (MessagePort | undefined)[];
}

/**
 * Runs `req` with one worker thread per party (bench/ml-worker.ts: bench/party-run.ts's runParty
 * over a {@link PortChannel} session, started by a one-byte exchange); resolves with every party's
 * result.
 */
export async function runThreaded(req: RunRequest, parties: number): Promise<PartyResult[]> {
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./ml-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  const ports: (MessagePort | undefined)[][] = Array.from({ length: parties }, () =>
    new Array(parties).fill(undefined),
  );
  for (let i = 0; i < parties; i++) {
    for (let j = i + 1; j < parties; j++) {
      const { port1, port2 } = new MessageChannel();
      ports[i]![j] = port1;
      ports[j]![i] = port2;
    }
  }
  const sessionId = `ml-bench-${Date.now()}`;
  // the parties already run in parallel: one native matmul thread each, not one per core each
  const native = kernel().name === 'native' ? nativeDispatch() : undefined;
  const threadsBefore = native?.threads();
  native?.setThreads(1);
  const workers = Array.from({ length: parties }, () => new Worker(boot, { eval: true }));
  try {
    const events = workers.map((w) => queue(w));
    workers.forEach((w, party) => {
      const init: WorkerInit = { party, parties, request: req, sessionId, ports: ports[party]! };
      w.postMessage(
        init,
        ports[party]!.filter((p): p is MessagePort => p !== undefined),
      );
    });
    const res = await Promise.all(events.map((e) => e.next('result')));
    const failed = res.filter((m) => m.error !== undefined).map((m) => String(m.error));
    if (failed.length > 0) throw new Error(`${req.spec.name} over threads: ${failed.join('; ')}`);
    return res.map((m) => m.result as PartyResult);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    if (threadsBefore !== undefined) native!.setThreads(threadsBefore);
  }
}

/** Messages of one worker, awaited by kind. */
function queue(w: Worker) {
  const buf: Record<string, unknown>[] = [];
  const waiting: {
    kind: string;
    resolve: (m: Record<string, unknown>) => void;
    reject: (e: Error) => void;
  }[] = [];
  let error: Error | undefined;
  w.on('message', (m: Record<string, unknown>) => {
    const i = waiting.findIndex((x) => x.kind in m);
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(m);
    else buf.push(m);
  });
  const fail = (e: Error) => {
    error = e;
    for (const x of waiting.splice(0)) x.reject(e);
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`a benchmark worker exited (${code})`)));
  return {
    next(kind: string): Promise<Record<string, unknown>> {
      const i = buf.findIndex((m) => kind in m);
      if (i >= 0) return Promise.resolve(buf.splice(i, 1)[0]!);
      if (error !== undefined) return Promise.reject(error);
      return new Promise((resolve, reject) => waiting.push({ kind, resolve, reject }));
    },
  };
}
