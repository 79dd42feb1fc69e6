/**
 * Running the system's tools (`ip`, `nft`, `tc`) for the lab: an async form for building and a
 * synchronous one for the last cleanup in a process's `exit` handler. No shell is involved: every
 * argument is passed as is.
 */
import { execFile, spawnSync } from 'node:child_process';

/** Options of the lab's async operations. */
export interface AbortOptions {
  /** Aborts the operation (and kills a command it runs). */
  signal?: AbortSignal;
}

/** A system command that failed, with its command line and what it printed on stderr. */
export class NetlabCommandError extends Error {
  override readonly name = 'NetlabCommandError';
  /** The command line, for the message. */
  readonly command: string;
  /** Its exit code (undefined when it could not start or was killed). */
  readonly code: number | undefined;
  /** What it printed on stderr. */
  readonly stderr: string;

  constructor(command: string, code: number | undefined, stderr: string) {
    super(
      `${command}: ${code === undefined ? 'did not run' : `exit ${code}`}: ${stderr.trim() || '(no output)'}`,
    );
    this.command = command;
    this.code = code;
    this.stderr = stderr;
  }
}

/** Options of {@link run}. */
export interface RunOptions extends AbortOptions {
  /** Text written to the command's stdin. */
  input?: string;
  /** Kill the command after this long (ms). Default 30 000. */
  timeoutMs?: number;
}

/**
 * Runs `cmd args` and resolves with its stdout.
 *
 * @throws NetlabCommandError when it exits non-zero, cannot start or times out.
 */
export function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const line = [cmd, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { signal: options.signal, timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err === null) return resolve(stdout);
        const code = typeof err.code === 'number' ? err.code : undefined;
        reject(new NetlabCommandError(line, code, stderr || err.message));
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** What {@link runSync} returns. */
export interface SyncResult {
  /** True when it exited 0. */
  ok: boolean;
  /** Its stdout. */
  stdout: string;
  /** Its stderr (or why it could not start). */
  stderr: string;
}

/** Runs `cmd args` synchronously (for `exit` handlers); never throws. */
export function runSync(cmd: string, args: readonly string[], input?: string): SyncResult {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', timeout: 10_000 });
  return {
    ok: r.status === 0,
    stdout: r.stdout ?? '',
    stderr: r.error ? r.error.message : (r.stderr ?? ''),
  };
}

/** Whether a process with this pid exists (signal 0; EPERM counts as alive). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
