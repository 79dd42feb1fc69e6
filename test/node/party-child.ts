/**
 * A peer in a child process (test/node/party-process.ts) driven over JSON lines: what the
 * multi-process tests share.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./party-process.ts', import.meta.url));

/** One JSON line from a child. */
export type Msg = Record<string, unknown>;

/** A child process running party-process.ts. */
export interface Child {
  proc: ChildProcess;
  messages: Msg[];
  next(pred: (m: Msg) => boolean, signal: AbortSignal): Promise<Msg>;
  send(v: unknown): void;
}

/** Starts a party process on `dataDir` (bootstrapping from `bootstrap`). */
export function start(dataDir: string, bootstrap?: string): Child {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', SCRIPT, dataDir, ...(bootstrap ? [bootstrap] : [])],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const messages: Msg[] = [];
  const listeners = new Set<() => void>();
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    try {
      messages.push(JSON.parse(line) as Msg);
    } catch {
      return; // not ours
    }
    for (const l of listeners) l();
  });
  return {
    proc,
    messages,
    send: (v) => proc.stdin!.write(JSON.stringify(v) + '\n'),
    next: (pred, signal) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const m = messages.find(pred);
          if (m === undefined) return;
          cleanup();
          resolve(m);
        };
        const onAbort = (): void => {
          cleanup();
          reject(new Error(`timed out; messages so far: ${JSON.stringify(messages)}`));
        };
        const cleanup = (): void => {
          listeners.delete(check);
          signal.removeEventListener('abort', onAbort);
        };
        listeners.add(check);
        signal.addEventListener('abort', onAbort, { once: true });
        check();
      }),
  };
}
