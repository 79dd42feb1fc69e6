/**
 * `peermpc job run|status|list|show|cancel|pending|approve|reject|ops`: jobs on this peer, as
 * requester (run, follow, cancel) and as data owner (pending, approve, reject).
 */
import type { Command } from 'commander';
import { summarize } from '../../jobs/summary.js';
import { clientFor, commonOptions, jobIdValue, type CommandContext, type CommonOptions } from '../common.js';
import { printJson, table, truncate } from '../output.js';
import { JobsClient } from './job-client.js';
import { printRecord } from './job-print.js';
import { registerJobRun } from './job-run.js';
import { followJob } from './job-wait.js';

interface RejectOptions extends CommonOptions {
  reason?: string;
}

interface StatusOptions extends CommonOptions {
  wait?: boolean;
}

const jobsOf = (opts: CommonOptions): JobsClient => new JobsClient(clientFor(opts));

/** Registers `job` and its subcommands. */
export function registerJob(program: Command, { io }: CommandContext): void {
  const job = program
    .command('job')
    .description("run jobs on other peers' datasets; approve or reject jobs on yours");
  registerJobRun(job, io);

  commonOptions(job.command('list'))
    .description('list the jobs this peer requested, owns data in, or computes')
    .action(async (opts: CommonOptions) => {
      const { jobs } = await jobsOf(opts).list();
      if (opts.json === true) return printJson(io, jobs);
      if (jobs.length === 0) return io.out('no jobs');
      io.out(
        table(
          ['JOB', 'STATE', 'ROLES', 'PROGRESS', 'REQUESTER', 'CREATED'],
          jobs.map((j) => [
            j.id,
            j.state,
            j.roles,
            `${j.progress.done}/${j.progress.total}`,
            truncate(j.requester, 20),
            j.created,
          ]),
        ),
      );
    });

  commonOptions(job.command('status'))
    .description("a job's state, decisions and progress")
    .argument('<id>', 'job id', jobIdValue)
    .option('--wait', 'follow the job until it ends')
    .action(async (id: string, opts: StatusOptions) => {
      const jobs = jobsOf(opts);
      const r =
        opts.wait === true
          ? await followJob(jobs, io, id, { quiet: opts.json === true })
          : await jobs.get(id);
      if (opts.json === true) return printJson(io, summarize(r));
      printRecord(io, r, false);
    });

  commonOptions(job.command('show'))
    .description('everything this peer knows of a job (the result only on the requester)')
    .argument('<id>', 'job id', jobIdValue)
    .action(async (id: string, opts: CommonOptions) => {
      const r = await jobsOf(opts).get(id);
      if (opts.json === true) return printJson(io, r);
      printRecord(io, r, true);
    });

  commonOptions(job.command('cancel'))
    .description('cancel a job (everywhere; nothing is released)')
    .argument('<id>', 'job id', jobIdValue)
    .option('--reason <text>', 'why')
    .action(async (id: string, opts: RejectOptions) => {
      const r = await jobsOf(opts).cancel(id, opts.reason);
      if (opts.json === true) return printJson(io, summarize(r));
      io.out(`job ${r.id} ${r.state}`);
    });

  commonOptions(job.command('pending'))
    .description('jobs waiting for your decision on your datasets')
    .action(async (opts: CommonOptions) => {
      const { jobs } = await jobsOf(opts).pending();
      if (opts.json === true) return printJson(io, jobs);
      if (jobs.length === 0) return io.out('no jobs waiting for a decision');
      const full = await Promise.all(jobs.map((j) => jobsOf(opts).get(j.id)));
      for (const r of full) {
        printRecord(io, r, false);
        io.out(
          `program: ${r.signed.job.program.nodes.map((n) => `${n.id}=${n.op}(${n.args.join(',')})`).join(' ')}`,
        );
        io.out(`outputs: ${r.signed.job.program.outputs.map((o) => `${o.name} <- ${o.node}`).join(', ')}`);
        const j = r.signed.job;
        io.out(
          `compute: ${j.protocol} on ${j.computeParties.join(', ')}${j.dealer !== undefined ? `; dealer ${j.dealer}` : ''} (check you trust them: ${j.protocol === 'rep3' ? 'no two of them may collude' : j.protocol === 'additive' ? 'the dealer must not collude with any of them' : 'plaintext sees every value'})`,
        );
        io.out(`decide with: peermpc job approve ${r.id}   or   peermpc job reject ${r.id} --reason "..."\n`);
      }
    });

  commonOptions(job.command('approve'))
    .description('approve a pending job on your datasets')
    .argument('<id>', 'job id', jobIdValue)
    .action(async (id: string, opts: CommonOptions) => {
      const r = await jobsOf(opts).approve(id);
      if (opts.json === true) return printJson(io, summarize(r));
      io.out(`approved job ${r.id}`);
    });

  commonOptions(job.command('reject'))
    .description('reject a pending job on your datasets (nothing is released)')
    .argument('<id>', 'job id', jobIdValue)
    .option('--reason <text>', 'why (sent to the requester)')
    .action(async (id: string, opts: RejectOptions) => {
      const r = await jobsOf(opts).reject(id, opts.reason);
      if (opts.json === true) return printJson(io, summarize(r));
      io.out(`rejected job ${r.id}`);
    });

  commonOptions(job.command('ops'))
    .description('the ops a job program may use')
    .action(async (opts: CommonOptions) => {
      const { ops } = await jobsOf(opts).ops();
      if (opts.json === true) return printJson(io, ops);
      io.out(
        table(
          ['OP', 'CATEGORY', 'ARGS', 'SUMMARY'],
          ops.map((o) => [
            o.name,
            o.category,
            o.arity.min === o.arity.max ? o.arity.min : `${o.arity.min}+`,
            o.summary,
          ]),
        ),
      );
    });
}
