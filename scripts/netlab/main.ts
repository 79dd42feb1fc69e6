/**
 * `npm run -s netlab -- [--json] [--topology NAME] [--keep] [--nat-only]`: builds a lab of network
 * namespaces (docs/NETLAB.md), runs the stages of runner.ts on it (the NAT checks, then peermpc
 * daemons: relay, discovery, hole punching, a rep3 job; `--nat-only` skips the daemons), prints
 * their tables on stderr and, with --json, one JSON summary as the last line of stdout, then
 * removes the lab.
 *
 * Exit codes: 0 every check held; 1 a check failed or the run broke; 2 this machine cannot run a
 * lab (the reason is printed: not root, a missing tool, no namespaces), 64 bad arguments.
 * Progress goes to stderr, prefixed `netlab:`; the line `netlab: lab up <prefix>` says the lab
 * is built (a test interrupts the run there). With --keep, the lab stays up after the stages
 * until SIGINT/SIGTERM.
 */
import { setMaxListeners } from 'node:events';
import { createLab } from './lab.js';
import { checkLabPrivileges } from './privileges.js';
import { defaultStages, formatTable, runStages } from './runner.js';
import { TOPOLOGIES } from './topology.js';

const USAGE = `usage: npm run -s netlab -- [--json] [--topology ${Object.keys(TOPOLOGIES).join('|')}] [--keep] [--nat-only]`;

/** Parsed command line. */
interface Args {
  json: boolean;
  keep: boolean;
  natOnly: boolean;
  topology: string;
}

function parseArgs(argv: string[]): Args | string {
  const args: Args = { json: false, keep: false, natOnly: false, topology: 'default' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') args.json = true;
    else if (a === '--keep') args.keep = true;
    else if (a === '--nat-only') args.natOnly = true;
    else if (a === '--topology') args.topology = argv[++i] ?? '';
    else if (a?.startsWith('--topology=')) args.topology = a.slice('--topology='.length);
    else return `unknown argument '${a}'`;
  }
  if (!(args.topology in TOPOLOGIES)) return `unknown topology '${args.topology}'`;
  return args;
}

const say = (line: string): void => void process.stderr.write(`netlab: ${line}\n`);

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    process.stderr.write(`${args}\n${USAGE}\n`);
    return 64;
  }
  const reason = checkLabPrivileges();
  if (reason !== undefined) {
    say(`cannot run: ${reason}`);
    if (args.json) process.stdout.write(`${JSON.stringify({ skipped: reason })}\n`);
    return 2;
  }
  const signal = AbortSignal.timeout(300_000);
  setMaxListeners(100, signal); // every step of the run listens on it (Node warns past 10)
  const lab = await createLab(TOPOLOGIES[args.topology]!(), { signal, log: say });
  try {
    say(`lab up ${lab.prefix} (${lab.hosts.length} hosts, ${lab.sites.length} sites)`);
    const summary = await runStages(lab, defaultStages({ natOnly: args.natOnly }), {
      signal,
      onStage: (stage, result) => {
        say(`${stage.name}: ${result.ok ? 'ok' : 'FAILED'}`);
        if (result.table) process.stderr.write(`\n${formatTable(result.table)}\n\n`);
      },
    });
    if (args.keep) {
      for (const h of summary.hosts)
        say(`${h.name} ${h.address}${h.site ? ` (site ${h.site}, ${h.nat})` : ''}`);
      say(
        `--keep: the lab stays up; run commands with ip netns exec ${lab.prefix}h-<host> ...; Ctrl-C removes it`,
      );
      await new Promise(() => setInterval(() => {}, 1 << 30)); // until a signal (cleanup.ts destroys the lab)
    }
    await lab.destroy();
    say(`lab ${lab.prefix} removed`);
    if (args.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    return summary.ok ? 0 : 1;
  } finally {
    await lab.destroy();
  }
}

process.exitCode = await main().catch((err: unknown) => {
  say(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return 1;
});
