/**
 * `peermpc ui [--open]`: prints a one-time URL that logs a browser into the daemon's console
 * (valid 60 s, once; the bearer token stays out of the browser). With `--open` it also starts the
 * system's browser on it (`xdg-open`, `open` on macOS, the URL handler on Windows); a browser that
 * does not start is a warning, not a failure: the URL is printed either way.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { clientFor, commonOptions, type CommandContext, type CommonOptions } from '../common.js';
import { printJson } from '../output.js';

/** How long `--open` waits for the opener to fail before leaving it running (ms). */
const OPEN_WAIT_MS = 3000;

/** The command that opens `url` in the system browser, per platform (no shell involved). */
export function openerFor(url: string, platform: NodeJS.Platform = process.platform): [string, string[]] {
  if (platform === 'darwin') return ['open', [url]];
  if (platform === 'win32') return ['rundll32', ['url.dll,FileProtocolHandler', url]];
  return ['xdg-open', [url]];
}

/** Opens `url` in the system browser; resolves with why it failed, or undefined. */
export function openBrowser(url: string): Promise<string | undefined> {
  const [cmd, args] = openerFor(url);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (why: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.unref();
      resolve(why);
    };
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    const timer = setTimeout(() => settle(undefined), OPEN_WAIT_MS);
    child.once('error', (err: NodeJS.ErrnoException) =>
      settle(err.code === 'ENOENT' ? `${cmd} is not installed` : err.message),
    );
    child.once('exit', (code) =>
      settle(code === 0 || code === null ? undefined : `${cmd} exited with code ${code}`),
    );
  });
}

/** Registers `ui`. */
export function registerUi(program: Command, { io }: CommandContext): void {
  commonOptions(program.command('ui'))
    .description("print a one-time login URL for the owner's console in a browser (valid 60 s, once)")
    .option('--open', "open it in the system's browser")
    .action(async (opts: CommonOptions & { open?: boolean }) => {
      const code = await clientFor(opts, io).consoleCode();
      if (opts.json === true) printJson(io, code);
      else {
        io.out(code.url);
        io.err('open it within a minute; it works once (run peermpc ui again for another)');
      }
      if (opts.open === true) {
        const why = await openBrowser(code.url);
        if (why !== undefined) io.err(`warning: could not open a browser (${why}): open the URL yourself`);
      }
    });
}
