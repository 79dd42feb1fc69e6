/**
 * The `peermpc` command-line interface: `main(argv)` runs one command and returns its exit code.
 *
 * Exit codes: 0 success; 1 the command failed (the daemon's or the local error message is printed);
 * 2 bad arguments (commander's message); 3 no daemon is running for the data directory.
 * With `--json`, errors are printed to stderr as `{"error":{"name":..,"message":..}}`.
 */
import '../polyfills.js';
import { CommanderError } from 'commander';
import { DaemonNotRunningError } from '../daemon/api/client.js';
import { consoleIo, type Io } from './output.js';
import { buildProgram } from './program.js';

/** Exit codes of the CLI. */
export const EXIT = { ok: 0, failed: 1, usage: 2, noDaemon: 3 } as const;

/** Runs the CLI on `argv` (as `process.argv`: node, script, args...) and returns the exit code. */
export async function main(argv: string[] = process.argv, io: Io = consoleIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander printed its message (or the help / version) already.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const e = err instanceof Error ? err : new Error(String(err));
    if (argv.includes('--json')) io.err(JSON.stringify({ error: { name: e.name, message: e.message } }));
    else io.err(`error: ${e.message}`);
    return e instanceof DaemonNotRunningError ? EXIT.noDaemon : EXIT.failed;
  }
}
