/**
 * What a requester asks for (the body of `POST /jobs`, what `peermpc job run` builds), and how it
 * becomes a job: each input is resolved against its owner's signed dataset description (fetched
 * and verified through the peer's catalog), which gives the columns, the row count, and each
 * column's published magnitude and bounds.
 */
import type { DpRequest } from '../dp/types.js';
import type { SignedDatasetDescription } from '../../node/types.js';
import type { JobInput, JobProtocol } from '../job/types.js';
import type { Program } from '../program/types.js';

/** One dataset a job reads. */
export interface JobRequestInput {
  /** The program input it binds (default `h1`, `h2`... in order). */
  name?: string;
  /** Owner peer id. */
  owner: string;
  /** Dataset name. */
  dataset: string;
  /** Columns (default: all of the dataset's, in order). */
  columns?: string[];
}

/** A job request. */
export interface JobRequest {
  /** The program (its inputs must match the request's inputs by name and columns). */
  program: Program;
  /** Datasets bound to the program's inputs. */
  inputs: JobRequestInput[];
  /** Compute parties (default: the owners when there are exactly three, else the configured ones). */
  computeParties?: string[];
  /** Protocol (default rep3). */
  protocol?: JobProtocol;
  /** Dealer (additive). */
  dealer?: string;
  /** Time to live in ms (default 15 minutes). */
  ttlMs?: number;
  /** Differential privacy for every output (docs/JOBS.md); absent: exact outputs. */
  dp?: DpRequest;
}

/** Default name of the i-th input (0-based). */
export function defaultInputName(i: number): string {
  return `h${i + 1}`;
}

/**
 * Resolves request inputs against verified descriptions (same order): each input carries its
 * columns' magnitudes (when all are published) and bounds (when any column has some; null for a
 * column without).
 */
export function resolveInputs(
  inputs: JobRequestInput[],
  descriptions: SignedDatasetDescription[],
): JobInput[] {
  return inputs.map((inp, i) => {
    const d = descriptions[i]!.description;
    const have = d.columns.map((c) => c.name);
    const columns = inp.columns ?? have;
    const missing = columns.find((c) => !have.includes(c));
    if (missing !== undefined)
      throw new RangeError(`dataset ${inp.owner}/${inp.dataset} has no column "${missing}"`);
    const info = columns.map((c) => d.columns.find((x) => x.name === c)!);
    const magnitudes = info.map((c) => c.magnitude);
    // each column's public bounds, which the owner checks are exactly its own (null: none)
    const bounds = info.map((c) =>
      c.bounds === undefined ? null : ([c.bounds[0], c.bounds[1]] as [number, number]),
    );
    return {
      name: inp.name ?? defaultInputName(i),
      owner: d.owner,
      dataset: d.name,
      columns: [...columns],
      rows: d.rows,
      ...(magnitudes.every((m) => m !== undefined) ? { magnitudes: magnitudes as number[] } : {}),
      ...(bounds.some((b) => b !== null) ? { bounds } : {}),
    };
  });
}

/** Compute parties for a job: as asked, else the three distinct owners, else `fallback`. */
export function chooseComputeParties(
  request: JobRequest,
  owners: string[],
  fallback: string[] | undefined,
): string[] {
  if (request.computeParties !== undefined && request.computeParties.length > 0)
    return [...request.computeParties];
  const distinct = [...new Set(owners)];
  const protocol = request.protocol ?? 'rep3';
  if (protocol === 'rep3' && distinct.length === 3) return distinct;
  if (protocol !== 'rep3' && distinct.length >= 2) return distinct;
  if (fallback !== undefined && fallback.length > 0) return [...fallback];
  throw new RangeError(
    `choose the compute parties: the job has ${distinct.length} owner(s) and no compute parties are configured (rep3 needs 3)`,
  );
}
