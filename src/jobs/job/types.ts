/**
 * The job record: what a requester signs and sends to every owner and compute party, and what each
 * of them checks, approves and audits.
 */
import type { DpRequest } from '../dp/types.js';
import type { Program } from '../program/types.js';

/** Protocols a job may name (see src/protocols). */
export type JobProtocol = 'rep3' | 'additive' | 'plaintext';

/** The job format version. */
export const JOB_VERSION = 1;

/** One program input bound to an owner's dataset. */
export interface JobInput {
  /** The program input's name. */
  name: string;
  /** The owner's peer id. */
  owner: string;
  /** The owner's dataset name. */
  dataset: string;
  /** Columns taken from it (equal to the program input's columns). */
  columns: string[];
  /** Row count, as the owner's signed description publishes it (the owner checks it). */
  rows: number;
  /**
   * Each column's magnitude exponent (max |x| <= 2^e), as the owner's description publishes it
   * (the owner checks its data is within): the public scale statistics hold the column at. Absent
   * for descriptions that publish none: the columns then stay in natural units.
   */
  magnitudes?: number[];
  /**
   * Each column's public bounds [lo, hi] as the owner's description declares them (null for a
   * column without); what differential privacy clips the column to and derives sensitivities from.
   */
  bounds?: ([number, number] | null)[];
}

/** The signed part of a job. */
export interface Job {
  /** Format version, {@link JOB_VERSION}. */
  version: 1;
  /** Random 128-bit id in hex: the nonce that makes every job unique (a replay is refused). */
  id: string;
  /** The requester's peer id (the signer). */
  requester: string;
  /** The program. */
  program: Program;
  /** SHA-256 of the canonical program (checked against `program`). */
  programHash: string;
  /** Inputs bound to datasets. */
  inputs: JobInput[];
  /** Compute parties' peer ids, in protocol order. */
  computeParties: string[];
  /** The protocol. */
  protocol: JobProtocol;
  /** The dealer's peer id (`additive` only). */
  dealer?: string;
  /** Who receives the outputs: always the requester. */
  outputRecipient: string;
  /** Fractional bits of the fixed-point encoding. */
  fractionalBits: number;
  /** ISO 8601 creation time. */
  created: string;
  /** ISO 8601 time after which nobody may start it. */
  expires: string;
  /** Differential privacy asked for every output (absent: exact outputs). */
  dp?: DpRequest;
}

/** A job with the requester's Ed25519 signature over its canonical JSON. */
export interface SignedJob {
  /** The job. */
  job: Job;
  /** base64url signature by the requester's key. */
  signature: string;
}

/** A peer's role(s) in a job. */
export type JobRole = 'requester' | 'owner' | 'compute' | 'dealer';
