/**
 * Following a job until it ends: long polls of its events, a progress bar (steps done of total) on
 * a terminal, one line per decision and state change otherwise.
 */
import cliProgress from 'cli-progress';
import type { JobRecord } from '../../jobs/store.js';
import type { Io } from '../output.js';
import type { JobsClient } from './job-client.js';

/** States a job never leaves. */
export const FINAL_STATES: readonly string[] = ['done', 'failed', 'rejected', 'expired', 'cancelled'];

/** Options of {@link followJob}. */
export interface FollowOptions {
  /** Print nothing while waiting. */
  quiet?: boolean;
  /** Give up after this long (ms); the job goes on. */
  timeoutMs?: number;
  /** Show a progress bar (default: when stderr is a terminal). */
  bar?: boolean;
}

/** Waits until job `id` reaches a final state; resolves with its record. */
export async function followJob(
  jobs: JobsClient,
  io: Io,
  id: string,
  options: FollowOptions = {},
): Promise<JobRecord> {
  const deadline = Date.now() + (options.timeoutMs ?? 24 * 3600_000);
  const useBar = options.quiet !== true && (options.bar ?? process.stderr.isTTY === true);
  let bar: cliProgress.SingleBar | undefined;
  let after = 0;
  let state = '';
  const say = (line: string): void => {
    if (options.quiet === true) return;
    if (bar !== undefined) bar.stop();
    bar = undefined;
    io.err(line);
  };
  try {
    for (;;) {
      const wait = Math.max(0, Math.min(25_000, deadline - Date.now()));
      const res = await jobs.events(id, after, wait);
      for (const e of res.events) {
        after = Math.max(after, e.seq);
        if (e.type === 'decision' && e.decision !== undefined && e.decision.decision !== 'pending') {
          say(
            `  ${e.decision.peer}: ${e.decision.decision}${e.decision.reason ? ` (${e.decision.reason})` : ''}`,
          );
        } else if (e.type === 'decision' && e.decision?.decision === 'pending') {
          say(`  ${e.decision.peer}: waiting for a person to approve`);
        } else if (e.type === 'state' && e.state !== undefined && e.state !== state) {
          state = e.state;
          say(`  ${e.state}${e.reason ? `: ${e.reason}` : ''}`);
        } else if (e.type === 'progress' && e.progress !== undefined && useBar) {
          if (bar === undefined) {
            bar = new cliProgress.SingleBar(
              {
                format: '  computing [{bar}] {value}/{total} steps | {phase}',
                stream: process.stderr,
                hideCursor: true,
              },
              cliProgress.Presets.shades_classic,
            );
            bar.start(e.progress.total, e.progress.done, { phase: e.progress.phase });
          }
          bar.update(e.progress.done, { phase: e.progress.phase });
        }
      }
      if (FINAL_STATES.includes(res.state)) break;
      if (Date.now() >= deadline) break;
    }
  } finally {
    bar?.stop();
  }
  return jobs.get(id);
}
