/**
 * Calls between the main thread and the worker threads of a simulation: `{id, method, args}` one
 * way, `{id, value}` or `{id, error: {name, message}}` back. Arguments and results are structured
 * clones (plain data). Only threads of this process talk here: nothing comes from a network.
 */
import type { MessagePort, Worker } from 'node:worker_threads';

type Endpoint = MessagePort | Worker;

interface Call {
  id: number;
  method: string;
  args: unknown[];
}

interface Reply {
  id: number;
  value?: unknown;
  error?: { name: string; message: string };
}

/** A thread's methods, by name: each takes plain data and resolves to plain data. */
export type RpcMethods = Record<string, (...args: never[]) => Promise<unknown>>;

/** An error thrown by a method in another thread (its name and message kept). */
export class RemoteError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Answers the calls that arrive at `port` with `methods`. */
export function serveRpc(port: Endpoint, methods: RpcMethods): void {
  port.on('message', (m: Call) => {
    const method = Object.hasOwn(methods, m.method)
      ? (methods[m.method] as (...args: unknown[]) => Promise<unknown>)
      : undefined;
    const run =
      method === undefined
        ? Promise.reject(new Error(`no method ${String(m.method).slice(0, 100)}`))
        : Promise.resolve().then(() => method(...m.args));
    run.then(
      (value) => port.postMessage({ id: m.id, value } satisfies Reply),
      (err: Error) =>
        port.postMessage({
          id: m.id,
          error: { name: String(err?.name ?? 'Error'), message: String(err?.message ?? err).slice(0, 2000) },
        } satisfies Reply),
    );
  });
}

/** Calls the methods of the thread at the other end of `port`. */
export class RpcClient {
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private seq = 0;
  private closed: Error | undefined;

  constructor(private readonly port: Endpoint) {
    port.on('message', (m: Reply) => {
      const w = this.waiting.get(m.id);
      if (w === undefined) return;
      this.waiting.delete(m.id);
      if (m.error !== undefined) w.reject(new RemoteError(m.error.name, m.error.message));
      else w.resolve(m.value);
    });
  }

  /**
   * Calls `method(...args)` in the other thread; rejects at once after {@link failAll} (a message
   * to an ended thread is neither delivered nor refused: it would wait for ever).
   */
  call<T>(method: string, ...args: unknown[]): Promise<T> {
    if (this.closed !== undefined) return Promise.reject(this.closed);
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      try {
        this.port.postMessage({ id, method, args } satisfies Call);
      } catch (err) {
        this.waiting.delete(id); // arguments that cannot be cloned
        reject(err as Error);
      }
    });
  }

  /** Fails every call waiting and every later one with `err` (the other thread ended). */
  failAll(err: Error): void {
    this.closed ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}
