/**
 * The `peermpc` command-line interface: `main(argv)` runs one command and returns its exit code.
 *
 * Exit codes: 0 success; 1 the command failed (the daemon's or the local error message is printed);
 * 2 bad arguments (one line naming the option and the problem); 3 no daemon answers for the data
 * directory (none running, still starting, or it refused or dropped the connection); 4 the job
 * `job run --timeout` followed has not ended yet (it goes on; follow it with `job status --wait`).
 * Errors go to stderr as `error: <message>`; with `--json`, as `{"error":{"name":..,"message":..}}`
 * (usage errors are named `UsageError`). Text from the command line or the daemon in a message is
 * bounded and its control characters escaped.
 */
import '../polyfills.js';
import { Command, CommanderError } from 'commander';
import { DaemonUnavailableError } from '../daemon/api/client.js';
import { boundText } from '../util/bound.js';
import { ECHO_MAX } from './common.js';
import { consoleIo, type Io } from './output.js';
import { buildProgram } from './program.js';

/** Exit codes of the CLI. */
export const EXIT = { ok: 0, failed: 1, usage: 2, noDaemon: 3, stillRunning: 4 } as const;

/** Longest error message printed (characters): a daemon's or a library's message can be long. */
const MESSAGE_MAX = 2000;

/** Runs the CLI on `argv` (as `process.argv`: node, script, args...) and returns the exit code. */
export async function main(argv: string[] = process.argv, io: Io = consoleIo): Promise<number> {
  const program = buildProgram(io);
  const args = argv.slice(2);
  const json = args.includes('--json');
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return EXIT.ok; // --help or --version, printed already
      if (err.code === 'commander.help') return EXIT.usage; // the help, printed to stderr already
      const message = usageMessage(err.message, args);
      if (json) printJsonError(io, 'UsageError', message);
      else io.err(`error: ${message} (see: ${commandPath(program, args)} --help)`);
      return EXIT.usage;
    }
    const e = err instanceof Error ? err : new Error(describeThrown(err));
    const message = printable(e.message, false);
    if (json) printJsonError(io, e.name, message);
    else io.err(`error: ${message}`);
    return e instanceof DaemonUnavailableError ? EXIT.noDaemon : EXIT.failed;
  }
}

/**
 * What a thrown value that is not an Error says: an Event (which some libp2p paths reject with)
 * by its type and the error it carries, anything else as a string.
 */
export function describeThrown(value: unknown): string {
  if (typeof Event !== 'undefined' && value instanceof Event) {
    const carried = (value as Event & { error?: unknown }).error;
    const why = carried instanceof Error ? `: ${carried.message}` : '';
    return `unexpected '${value.type}' event${why}`;
  }
  return String(value);
}

function printJsonError(io: Io, name: string, message: string): void {
  io.err(JSON.stringify({ error: { name: boundText(name, ECHO_MAX), message } }));
}

/**
 * A commander error message as one line: without commander's `error: ` prefix, every argument of
 * the command line it echoes bounded to {@link ECHO_MAX} characters (commander quotes values whole).
 */
function usageMessage(message: string, args: readonly string[]): string {
  let text = message.replace(/^error:\s*/, '');
  const echoed = new Set<string>();
  for (const a of args) {
    echoed.add(a);
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) echoed.add(a.slice(eq + 1)); // --option=value
  }
  const long = [...echoed].filter((a) => a.length > ECHO_MAX).sort((a, b) => b.length - a.length);
  for (const a of long) text = text.split(a).join(boundText(a, ECHO_MAX));
  return printable(text, true);
}

/**
 * `text` bounded to {@link MESSAGE_MAX} characters with control characters escaped (`\n` as a
 * space when `oneLine`, kept otherwise), so a message cannot forge lines or drive the terminal.
 */
function printable(text: string, oneLine: boolean): string {
  let out = '';
  const bounded = boundText(text, MESSAGE_MAX).replace(/\r\n/g, '\n');
  for (const ch of bounded) {
    const code = ch.codePointAt(0)!;
    if (ch === '\n') out += oneLine ? ' ' : '\n';
    else if (ch === '\t') out += ' ';
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** `peermpc <command> <subcommand>` as far as `args` name commands (for the help hint). */
function commandPath(program: Command, args: readonly string[]): string {
  const names = [program.name()];
  let cmd = program;
  for (const a of args) {
    if (a === '--') break;
    if (a.startsWith('-')) continue;
    const sub = cmd.commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (sub === undefined) break;
    names.push(sub.name());
    cmd = sub;
  }
  return names.join(' ');
}
