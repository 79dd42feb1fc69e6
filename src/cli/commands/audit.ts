/** `peermpc audit [--job <id>] [--limit <n>]` and `peermpc audit verify`: this peer's audit log. */
import type { Command } from 'commander';
import type { AuditEntry } from '../../jobs/audit/log.js';
import {
  clientFor,
  commonOptions,
  positiveIntValue,
  type CommandContext,
  type CommonOptions,
} from '../common.js';
import { printJson, table, truncate } from '../output.js';
import { JobsClient } from './job-client.js';

interface AuditOptions extends CommonOptions {
  job?: string;
  limit?: number;
}

function detail(e: AuditEntry['event']): string {
  const parts: string[] = [];
  if (e.state) parts.push(e.state);
  if (e.decision) parts.push(`${e.decision}${e.by ? ` by ${e.by}` : ''}`);
  if (e.releasedTo)
    parts.push(
      `released to ${truncate(e.releasedTo, 16)}: ${(e.outputs ?? []).map((o) => `${o.name}[${o.shape.join('x')}]`).join(',')}`,
    );
  if (e.dataset) parts.push(e.dataset);
  if (e.reason) parts.push(truncate(e.reason, 80));
  return parts.join(' ');
}

/** Registers `audit` and `audit verify`. */
export function registerAudit(program: Command, { io }: CommandContext): void {
  const audit = commonOptions(program.command('audit'))
    .description('what this peer was asked, decided and released (never values)')
    .option('--job <id>', 'only entries about this job')
    .option('--limit <n>', 'only the last n entries', positiveIntValue)
    .action(async (opts: AuditOptions) => {
      const { entries } = await new JobsClient(clientFor(opts)).audit({
        ...(opts.job ? { job: opts.job } : {}),
        ...(opts.limit ? { limit: opts.limit } : {}),
      });
      if (opts.json === true) return printJson(io, entries);
      if (entries.length === 0) return io.out('the audit log is empty');
      io.out(
        table(
          ['SEQ', 'TIME', 'EVENT', 'JOB', 'REQUESTER', 'PROGRAM', 'DETAIL'],
          entries.map((x) => [
            x.seq,
            x.time,
            x.event.type,
            x.event.job ?? '',
            x.event.requester ? truncate(x.event.requester, 16) : '',
            x.event.programHash ? x.event.programHash.slice(0, 12) : '',
            detail(x.event),
          ]),
        ),
      );
    });

  commonOptions(audit.command('verify'))
    .description('check the hash chain: detects an edited, deleted or reordered line')
    .action(async (_opts: CommonOptions, cmd: Command) => {
      // `audit` has the same options: after `verify` commander may give them to the parent
      const opts = cmd.optsWithGlobals<CommonOptions>();
      const res = await new JobsClient(clientFor(opts)).verifyAudit();
      if (opts.json === true) printJson(io, res);
      else if (res.ok) io.out(`audit log intact: ${res.entries} entries, head ${res.head.slice(0, 16)}`);
      else {
        io.out(`audit log BROKEN: ${res.problems.length} problem(s) in ${res.entries} entries`);
        for (const p of res.problems)
          io.out(`  ${p.line === 0 ? 'head file' : `line ${p.line}`}: ${p.problem}`);
      }
      if (!res.ok) process.exitCode = 1;
    });
}
