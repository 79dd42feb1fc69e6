/**
 * Creating and signing jobs. The signature covers a domain-separation prefix plus the canonical
 * JSON of the job, made with the requester's Ed25519 peer key, and is verified with the public key
 * embedded in the requester's peer id (see verify.ts).
 */
import type { DpRequest } from '../dp/types.js';
import { randomBytes } from 'node:crypto';
import { canonicalJson } from '../../node/canonical-json.js';
import { DEFAULT_FRACTIONAL_BITS } from '../../tensor/index.js';
import { programHash } from '../program/hash.js';
import { parseProgram } from '../program/validate.js';
import type { Program } from '../program/types.js';
import type { Job, JobInput, JobProtocol, SignedJob } from './types.js';

/** Prefix of the signed bytes, so a job signature can never be replayed as anything else. */
export const JOB_SIGNING_DOMAIN = 'peermpc:job:v1\n';

/** Default time a job stays startable: 15 minutes. */
export const DEFAULT_JOB_TTL_MS = 15 * 60_000;

/** Anything that signs bytes with an Ed25519 key (a libp2p PrivateKey does). */
export interface JobSigner {
  /** Signs `data`. */
  sign(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** The bytes a job signature covers. */
export function jobSigningBytes(job: Job): Uint8Array {
  return new TextEncoder().encode(JOB_SIGNING_DOMAIN + canonicalJson(job));
}

/** A fresh random job id (128 bits, hex). */
export function newJobId(): string {
  return randomBytes(16).toString('hex');
}

/** Fields of {@link createJob}. */
export interface CreateJobFields {
  /** The requester's peer id. */
  requester: string;
  /** The program. */
  program: Program;
  /** Inputs bound to datasets. */
  inputs: JobInput[];
  /** Compute parties in protocol order. */
  computeParties: string[];
  /** Protocol; default `rep3`. */
  protocol?: JobProtocol;
  /** Dealer (`additive` only). */
  dealer?: string;
  /** Fractional bits; default 16. */
  fractionalBits?: number;
  /** Time to live in ms; default {@link DEFAULT_JOB_TTL_MS}. */
  ttlMs?: number;
  /** Differential privacy asked for every output. */
  dp?: DpRequest;
  /** Clock; default now. */
  now?: Date;
  /** Id; default a fresh random one (tests pass one to replay). */
  id?: string;
}

/** Builds an unsigned job (the output recipient is the requester). */
export function createJob(f: CreateJobFields): Job {
  const now = f.now ?? new Date();
  const program = parseProgram(f.program);
  const job: Job = {
    version: 1,
    id: f.id ?? newJobId(),
    requester: f.requester,
    program,
    programHash: programHash(program),
    inputs: f.inputs.map((i) => ({ ...i, columns: [...i.columns] })),
    computeParties: [...f.computeParties],
    protocol: f.protocol ?? 'rep3',
    outputRecipient: f.requester,
    fractionalBits: f.fractionalBits ?? DEFAULT_FRACTIONAL_BITS,
    created: now.toISOString(),
    expires: new Date(now.getTime() + (f.ttlMs ?? DEFAULT_JOB_TTL_MS)).toISOString(),
  };
  if (f.dealer !== undefined) job.dealer = f.dealer;
  if (f.dp !== undefined) job.dp = { ...f.dp };
  return job;
}

/** Signs `job` with the requester's key. */
export async function signJob(job: Job, key: JobSigner): Promise<SignedJob> {
  const sig = await key.sign(jobSigningBytes(job));
  return { job, signature: Buffer.from(sig).toString('base64url') };
}
