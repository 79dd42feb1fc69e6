/**
 * The lab's names and their removal. Every namespace a lab creates is named `pl<pid>-<seq>-...`
 * (the creating process's pid, a counter within it); its interfaces and bridges live inside those
 * namespaces, so removing the namespaces (after killing the processes in them) removes everything.
 *
 * Removal happens on `destroy()`, on SIGINT/SIGTERM/SIGHUP (the lab is destroyed, then the signal
 * is raised again so the process ends as it would have), on exit for any reason, an uncaught error
 * included (synchronously, in the `exit` handler), and, for a process that died by SIGKILL, at the
 * start of the next lab: namespaces whose pid is no longer alive are leftovers and are removed.
 */
import { pidAlive, run, runSync, type AbortOptions } from './sys.js';

/** Matches a lab namespace's name; group 1 is the pid of the process that created it. */
export const LAB_NETNS_RE = /^pl(\d+)-(\d+)-/;

let sequence = 0;

/** A new prefix for a lab of this process: `pl<pid>-<seq>-`. */
export function newPrefix(): string {
  return `pl${process.pid}-${sequence++}-`;
}

/** Names of the lab namespaces that exist now, optionally only those under `prefix`. */
export function listLabNamespaces(prefix = ''): string[] {
  const r = runSync('ip', ['netns', 'list']);
  if (!r.ok) return [];
  return r.stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => LAB_NETNS_RE.test(name) && name.startsWith(prefix));
}

/** Names of links in the host's own namespace containing `prefix` (none, if the lab is right). */
export function listHostLinks(prefix: string): string[] {
  const r = runSync('ip', ['-o', 'link', 'show']);
  return r.stdout
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1] ?? '')
    .filter((name) => name.includes(prefix));
}

/** Pids of the processes inside a namespace. */
function pidsIn(netns: string): number[] {
  const r = runSync('ip', ['netns', 'pids', netns]);
  return r.stdout
    .split('\n')
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0 && pid !== process.pid);
}

/**
 * Kills (SIGKILL) what still runs inside the namespaces, then deletes them. Synchronous, for
 * `exit` handlers; never throws. Returns the names it could not delete.
 */
export function removeNamespacesSync(names: readonly string[]): string[] {
  for (const ns of names) {
    for (const pid of pidsIn(ns)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  return names.filter(
    (ns) => !runSync('ip', ['netns', 'delete', ns]).ok && listLabNamespaces(ns).includes(ns),
  );
}

/** {@link removeNamespacesSync}, without blocking the event loop between commands. */
export async function removeNamespaces(
  names: readonly string[],
  options: AbortOptions = {},
): Promise<string[]> {
  for (const ns of names) {
    for (const pid of pidsIn(ns)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  const failed: string[] = [];
  for (const ns of names) {
    await run('ip', ['netns', 'delete', ns], options).catch(() => failed.push(ns));
  }
  return failed.filter((ns) => listLabNamespaces(ns).includes(ns));
}

/** Removes namespaces of earlier labs whose process is dead; returns their names. */
export function removeLeftovers(): string[] {
  const dead = listLabNamespaces().filter((ns) => {
    const pid = Number(LAB_NETNS_RE.exec(ns)?.[1]);
    return pid !== process.pid && !pidAlive(pid);
  });
  removeNamespacesSync(dead);
  return dead;
}

/** How a live lab is cleaned up by the process hooks. */
export interface LabCleanup {
  /** Full, graceful teardown (the lab's `destroy`). */
  destroy(): Promise<void>;
  /** Last-resort synchronous teardown, for the `exit` handler. */
  destroySync(): void;
}

const live = new Map<string, LabCleanup>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;
let signalled = false;

function onExit(): void {
  for (const lab of live.values()) lab.destroySync();
  live.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  if (signalled) {
    onExit(); // a second signal while destroying: finish synchronously
  } else {
    signalled = true;
    void Promise.allSettled([...live.values()].map((lab) => lab.destroy())).then(() => {
      onExit();
      uninstall();
      process.kill(process.pid, sig); // nobody listens now: the default action ends the process
    });
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', onExit);
  for (const sig of SIGNALS) process.on(sig, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', onExit);
  for (const sig of SIGNALS) process.off(sig, onSignal);
}

/**
 * Registers a live lab with the process hooks (installed with the first lab, removed with the
 * last); returns the function that unregisters it.
 */
export function trackLab(prefix: string, cleanup: LabCleanup): () => void {
  live.set(prefix, cleanup);
  install();
  return () => {
    live.delete(prefix);
    if (live.size === 0 && !signalled) uninstall();
  };
}
