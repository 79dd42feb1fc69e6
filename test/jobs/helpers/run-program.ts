/**
 * Runs a program on simulated parties in one process: owners A, B, C in turn (input h1 is A's, h2
 * B's, h3 C's, h4 A's again...), compute parties A, B, C (and dealer D for additive), recipient R.
 * Used by the executor, suppression and scale tests.
 */
import type { NonlinearOps } from '../../../src/jobs/executor/context.js';
import type { DpRequest } from '../../../src/jobs/dp/types.js';
import { runDpOf } from '../../../src/jobs/executor/dp-release.js';
import { jobProtocol } from '../../../src/jobs/executor/protocol-factory.js';
import { runProgram, type RunProgramResult } from '../../../src/jobs/executor/run.js';
import { sessionParties } from '../../../src/jobs/job/parties.js';
import type { Job, JobProtocol } from '../../../src/jobs/job/types.js';
import type { Program } from '../../../src/jobs/program/types.js';
import { validateProgram } from '../../../src/jobs/program/validate.js';
import type { JobOutputValue } from '../../../src/jobs/store.js';
import { simulate } from '../../../src/protocols/simulate.js';

const OWNERS = ['A', 'B', 'C'];

/** A job-shaped object for the protocol factory (peer ids are plain labels here). */
export function fakeJob(protocol: JobProtocol, tables: readonly number[][][], columns: string[]): Job {
  return {
    version: 1,
    id: '0'.repeat(32),
    requester: 'R',
    program: { version: 1, inputs: [], nodes: [], outputs: [] },
    programHash: '',
    inputs: tables.map((t, i) => ({
      name: `h${i + 1}`,
      owner: OWNERS[i % OWNERS.length]!,
      dataset: 'd',
      columns,
      rows: t.length,
    })),
    computeParties: [...OWNERS],
    protocol,
    ...(protocol === 'additive' ? { dealer: 'D' } : {}),
    outputRecipient: 'R',
    fractionalBits: 16,
    created: '',
    expires: '',
  };
}

/** Options of {@link runSimulated}. */
export interface RunSimulatedOptions {
  /** The tables of h1, h2, h3 (row-major), owned by A, B, C. */
  tables: number[][][];
  /** Protocol (default rep3). */
  protocol?: JobProtocol;
  /** Nonlinear functions (default the engine's). */
  nonlinear?: NonlinearOps;
  /** Magnitude exponents of each input's columns, by input name (as a job carries them). */
  magnitudes?: Record<string, number[]>;
  /** Differential privacy: the request and every input's column bounds (as a job carries them). */
  dp?: { request: DpRequest; bounds: ([number, number] | null)[] };
}

/** Runs `program`; returns every party's result and the recipient's outputs by name. */
export async function runSimulated(
  program: Program,
  options: RunSimulatedOptions,
): Promise<{ results: RunProgramResult[]; out: Record<string, JobOutputValue>; recipient: number }> {
  const { tables } = options;
  const job = fakeJob(options.protocol ?? 'rep3', tables, []);
  if (options.dp !== undefined) {
    job.dp = options.dp.request;
    job.inputs.forEach((inp, i) => {
      inp.columns = program.inputs[i]?.columns ?? [];
      inp.bounds = options.dp!.bounds;
    });
  }
  const parties = sessionParties(job);
  const rows = Object.fromEntries(tables.map((t, i) => [`h${i + 1}`, t.length]));
  const checked = validateProgram(program, {
    rows,
    ...(options.magnitudes ? { magnitudes: options.magnitudes } : {}),
  });
  const owners = Object.fromEntries(
    tables.map((_, i) => [`h${i + 1}`, parties.indexOf(OWNERS[i % OWNERS.length]!)]),
  );
  const recipient = parties.indexOf('R');
  const results = await simulate(
    parties.length,
    async (session) => {
      const mine = tables.flatMap((t, i) =>
        owners[`h${i + 1}`] === session.self ? [[`h${i + 1}`, t.flat()] as const] : [],
      );
      const protocol = jobProtocol(job, session);
      return runProgram({
        protocol,
        checked,
        owners,
        values: mine.length > 0 ? Object.fromEntries(mine) : undefined,
        recipient,
        fractionalBits: 16,
        nonlinear: options.nonlinear,
        dp: runDpOf(job, checked, protocol),
      });
    },
    { timeouts: { stepMs: 30_000 } },
  );
  const out = Object.fromEntries((results[recipient]!.outputs ?? []).map((o) => [o.name, o]));
  return { results, out, recipient };
}
