/**
 * Drives the helper probe.ts inside lab hosts: one agent process per host, many calls each. The
 * building blocks of the NAT checks (nat-checks.ts), usable on their own against any lab.
 *
 * @example
 * const relay = await ProbeAgent.start(lab, 'relay');
 * const a1 = await ProbeAgent.start(lab, 'a1');
 * await relay.serve({ ports: [7001] });
 * const { seen } = await a1.whoami({ localPort: 41001, targets: [{ host: lab.address('relay'), port: 7001 }], timeoutMs: 3000 });
 * await Promise.all([relay.close(), a1.close()]);
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Lab, LabNode } from './lab.js';
import type {
  DialRequest,
  DialResult,
  ProbeAnswer,
  ProbeCall,
  ProbeMode,
  PunchRequest,
  PunchResult,
  ServeRequest,
  ServeResult,
  WhoamiRequest,
  WhoamiResult,
} from './probe-protocol.js';
import type { AbortOptions } from './sys.js';

/** The helper's path. */
export const PROBE = fileURLToPath(new URL('./probe.ts', import.meta.url));

/** The helper failed: it exited, answered an error, or did not start in time. */
export class ProbeError extends Error {
  override readonly name = 'ProbeError';
}

/** How long an agent may take to start (tsx compiles it; slow on a loaded machine). */
const START_TIMEOUT_MS = 30_000;

/** A helper running in one lab node. */
export class ProbeAgent {
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private stderr = '';
  private exited: string | undefined;

  private constructor(
    /** The node it runs in. */
    readonly node: LabNode,
    private readonly child: ChildProcess,
  ) {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let answer: ProbeAnswer;
        try {
          answer = JSON.parse(line) as ProbeAnswer;
        } catch {
          continue;
        }
        const call = this.pending.get(answer.id);
        this.pending.delete(answer.id);
        if (answer.error !== undefined) call?.reject(new ProbeError(`probe in ${node}: ${answer.error}`));
        else call?.resolve(answer.result);
      }
    });
    child.stderr!.on(
      'data',
      (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-2000)),
    );
    child.stdin!.on('error', () => {}); // an agent that died: reported through 'exit'
    child.once('exit', (code, sig) => {
      this.exited = `probe in ${node} exited (${code ?? sig}): ${this.stderr.trim().slice(-400)}`;
      for (const call of this.pending.values()) call.reject(new ProbeError(this.exited));
      this.pending.clear();
    });
  }

  /**
   * Starts an agent in `node` (this process's Node, with tsx) and waits until it is ready.
   *
   * @throws ProbeError when it exits or does not start in time.
   */
  static async start(lab: Lab, node: LabNode, options: AbortOptions = {}): Promise<ProbeAgent> {
    const child = lab.spawn(node, process.execPath, ['--import', 'tsx', PROBE], {
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    });
    const agent = new ProbeAgent(node, child);
    const ready = new Promise((resolve, reject) => agent.pending.set(0, { resolve, reject }));
    const signal = AbortSignal.any([
      AbortSignal.timeout(START_TIMEOUT_MS),
      ...(options.signal ? [options.signal] : []),
    ]);
    try {
      await agent.await(ready, signal);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
    return agent;
  }

  private await<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (signal === undefined) return promise;
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /**
   * Sends one call and resolves with its result.
   *
   * @throws ProbeError when the agent answers an error or exits; the abort reason on abort.
   */
  call<T>(mode: ProbeMode, request: unknown, options: AbortOptions = {}): Promise<T> {
    if (this.exited !== undefined) return Promise.reject(new ProbeError(this.exited));
    const id = this.nextId++;
    const result = new Promise<T>((resolve, reject) =>
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }),
    );
    this.child.stdin!.write(`${JSON.stringify({ id, mode, request } satisfies ProbeCall)}\n`);
    return this.await(result, options.signal);
  }

  /** Starts "what is my address" servers; resolves once they listen. */
  serve(request: ServeRequest, options?: AbortOptions): Promise<ServeResult> {
    return this.call('serve', request, options);
  }

  /** Asks `serve` servers, from one local port, which source address they saw. */
  whoami(request: WhoamiRequest, options?: AbortOptions): Promise<WhoamiResult> {
    return this.call('whoami', request, options);
  }

  /** One connection attempt. */
  dial(request: DialRequest, options?: AbortOptions): Promise<DialResult> {
    return this.call('dial', request, options);
  }

  /** One side of a simultaneous open. */
  punch(request: PunchRequest, options?: AbortOptions): Promise<PunchResult> {
    return this.call('punch', request, options);
  }

  /** Ends the agent (closing its servers and sockets); SIGKILL after 2 s. */
  async close(): Promise<void> {
    if (this.exited !== undefined) return;
    const gone = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await gone;
    clearTimeout(timer);
  }
}
