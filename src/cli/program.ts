/** The `peermpc` command tree (commander). */
import { Command } from 'commander';
import { packageVersion } from '../util/paths.js';
import { registerAccess } from './commands/access.js';
import { registerAudit } from './commands/audit.js';
import { registerBudget } from './commands/budget.js';
import { registerConfig } from './commands/config.js';
import { registerDaemon } from './commands/daemon.js';
import { registerDataset } from './commands/dataset.js';
import { registerInit } from './commands/init.js';
import { registerJob } from './commands/job.js';
import { registerPolicy } from './commands/job-policy.js';
import { registerPeers } from './commands/peers.js';
import { registerStatus } from './commands/status.js';
import { registerSimulate } from './commands/simulate.js';
import { registerUi } from './commands/ui.js';
import type { Io } from './output.js';

/**
 * Builds the program. Commander errors throw (exitOverride) instead of exiting, and are not printed
 * here: `main` (index.ts) prints every usage error, commander's and the commands' alike, as one
 * line (or JSON with `--json`). Help and version still print through `io`.
 */
export function buildProgram(io: Io): Command {
  const program = new Command('peermpc')
    .description('peer-to-peer secure multi-party computation: run a peer, publish and find datasets')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
      outputError: () => undefined,
    });
  program.addHelpText(
    'after',
    '\nEvery command takes --data-dir (default $PEERMPC_HOME or ~/.peermpc): it selects the daemon.\n' +
      'Start with: peermpc init && peermpc daemon',
  );
  const ctx = { io };
  registerInit(program, ctx);
  registerDaemon(program, ctx);
  registerStatus(program, ctx);
  registerPeers(program, ctx);
  registerDataset(program, ctx);
  registerAccess(program, ctx);
  registerJob(program, ctx);
  registerPolicy(program, ctx);
  registerBudget(program, ctx);
  registerAudit(program, ctx);
  registerUi(program, ctx);
  registerSimulate(program, ctx);
  registerConfig(program, ctx);
  return program;
}
