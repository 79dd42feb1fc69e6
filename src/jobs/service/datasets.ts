/** What the job service needs of the peer's dataset catalog (src/node's catalog, or a test's). */
import type { LocalDataset, PolicySummary, SignedDatasetDescription } from '../../node/types.js';

/** What the service needs of the peer's dataset catalog. */
export interface JobDatasets {
  /** A verified description from its owner. */
  show(owner: string, name: string, options?: { signal?: AbortSignal }): Promise<SignedDatasetDescription>;
  /** A local dataset. */
  get(name: string): Promise<LocalDataset | undefined>;
  /** A local dataset's values, row-major. */
  readValues(name: string): Promise<{ columns: string[]; rows: number; values: Float64Array }>;
  /**
   * A local dataset's sorted row fingerprints and their digest, for the differencing guard;
   * optional: without it, no guard (an in-memory test network).
   */
  rowPrints?(name: string): Promise<{ prints: BigUint64Array; digest: string }>;
  /** Prints of a local dataset's rows projected on `columns`, or undefined when it lacks one. */
  projectedPrints?(
    name: string,
    columns: readonly string[],
  ): Promise<{ prints: BigUint64Array; digest: string } | undefined>;
  /** The local datasets (to publish their policy summaries at start); optional. */
  list?(): Promise<LocalDataset[]>;
  /**
   * Re-signs a local dataset's description with a new policy summary; optional: without it, the
   * service publishes no summaries.
   */
  setPolicySummary?(name: string, summary: PolicySummary): Promise<unknown>;
}
