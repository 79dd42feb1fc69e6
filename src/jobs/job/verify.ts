/**
 * Checking an untrusted signed job: its shape, the requester's signature, the program (validated
 * with the bound row counts) and its hash, the inputs against the program, the parties against the
 * protocol, and the clock (not expired, not from the future, not too long-lived).
 */
import { boundsMagnitude } from '../../node/dataset/magnitude.js';
import { jobInputBounds, planDp } from '../dp/plan.js';
import { dpRequestProblem } from '../dp/request.js';
import { ed25519PublicKeyOf } from '../../node/peer-keys.js';
import { JobVerificationError, ProgramValidationError } from '../errors.js';
import { programHash } from '../program/hash.js';
import type { Program } from '../program/types.js';
import { parseProgram, validateProgram, type CheckedProgram } from '../program/validate.js';
import { quoted } from '../../util/bound.js';
import { jobSigningBytes } from './sign.js';
import type { Job, SignedJob } from './types.js';

/** Options of {@link verifySignedJob}. */
export interface VerifyJobOptions {
  /** Clock; default now. */
  now?: Date;
  /** Tolerated clock skew for `created`, ms. Default 5 minutes. */
  maxClockSkewMs?: number;
  /** Longest allowed lifetime (expires - created), ms. Default 7 days. */
  maxLifetimeMs?: number;
  /** Skip the expiry check (to read old jobs, e.g. for `job show`). */
  ignoreExpiry?: boolean;
}

/** A verified job with its checked program. */
export interface VerifiedJob {
  /** The signed job as received. */
  signed: SignedJob;
  /** The program, validated with the inputs' row counts. */
  checked: CheckedProgram;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const ID_RE = /^[0-9a-f]{32}$/;
const JOB_KEYS = [
  'version',
  'id',
  'requester',
  'program',
  'programHash',
  'inputs',
  'computeParties',
  'protocol',
  'dealer',
  'outputRecipient',
  'fractionalBits',
  'created',
  'expires',
  'dp',
];

/** The public key of an Ed25519 peer id, or undefined. */
const ed25519Key = ed25519PublicKeyOf;

/** Whether `b` is one entry per column, each null or two finite numbers lo < hi within ±2^62. */
function boundsShapeOk(b: unknown, columns: number): boolean {
  return (
    Array.isArray(b) &&
    b.length === columns &&
    b.every(
      (x) =>
        x === null ||
        (Array.isArray(x) &&
          x.length === 2 &&
          x.every((v) => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= 2 ** 62) &&
          x[0] < x[1]),
    )
  );
}

/** What is wrong with one untrusted job input, or undefined. */
function inputProblem(i: unknown): string | undefined {
  if (!isObj(i)) return 'an input is not an object';
  if (typeof i.name !== 'string' || typeof i.dataset !== 'string' || i.dataset === '')
    return 'an input lacks name or dataset';
  if (ed25519Key(i.owner) === undefined) return `input ${quoted(i.name)}: owner is not an Ed25519 peer id`;
  if (!Array.isArray(i.columns) || !i.columns.every((c) => typeof c === 'string'))
    return `input ${quoted(i.name)}: invalid columns`;
  if (typeof i.rows !== 'number' || !Number.isSafeInteger(i.rows) || i.rows < 0)
    return `input ${quoted(i.name)}: invalid row count`;
  if (
    i.magnitudes !== undefined &&
    (!Array.isArray(i.magnitudes) ||
      i.magnitudes.length !== i.columns.length ||
      !i.magnitudes.every((e) => Number.isInteger(e) && e >= -40 && e <= 62))
  )
    return `input ${quoted(i.name)}: magnitudes must be one integer in [-40, 62] per column`;
  if (i.bounds !== undefined && !boundsShapeOk(i.bounds, i.columns.length))
    return `input ${quoted(i.name)}: bounds must be one [lo, hi] (finite, lo < hi, |lo|, |hi| <= 2^62) or null per column`;
  return boundsWithinMagnitudes(i);
}

/**
 * Why an input's bounds exceed its published magnitudes, or undefined: statistics hold a column at
 * its magnitude's scale, so bounds beyond it (a requester's own input declaring [0, 2^23] at
 * |x| <= 2^7) would let clipped values overflow the exact sums the DP plan relies on.
 */
function boundsWithinMagnitudes(i: Record<string, unknown>): string | undefined {
  if (i.bounds === undefined) return undefined;
  const bounds = i.bounds as ([number, number] | null)[];
  const mags = i.magnitudes as number[] | undefined;
  for (const [j, b] of bounds.entries()) {
    if (b === null) continue;
    if (mags === undefined || !(boundsMagnitude(b) <= mags[j]!))
      return `input ${quoted(i.name)}: the bounds of column ${quoted((i.columns as string[])[j])} exceed its magnitude`;
  }
  return undefined;
}

function shapeProblem(j: Record<string, unknown>): string | undefined {
  for (const k of Object.keys(j)) if (!JOB_KEYS.includes(k)) return `unknown field ${quoted(k)}`;
  if (j.version !== 1) return 'unknown job version';
  if (ed25519Key(j.requester) === undefined) return 'requester is not an Ed25519 peer id';
  if (j.outputRecipient !== j.requester) return 'the output recipient must be the requester';
  if (typeof j.programHash !== 'string' || !/^[0-9a-f]{64}$/.test(j.programHash))
    return 'invalid program hash';
  if (!Array.isArray(j.inputs) || j.inputs.length === 0) return 'no inputs';
  for (const i of j.inputs as unknown[]) {
    const problem = inputProblem(i);
    if (problem !== undefined) return problem;
  }
  if (!Array.isArray(j.computeParties) || j.computeParties.length === 0) return 'no compute parties';
  for (const p of j.computeParties as unknown[])
    if (ed25519Key(p) === undefined) return 'a compute party is not an Ed25519 peer id';
  if (new Set(j.computeParties).size !== j.computeParties.length) return 'a compute party is listed twice';
  switch (j.protocol) {
    case 'rep3':
      if (j.computeParties.length !== 3) return 'rep3 needs exactly 3 compute parties';
      if (j.dealer !== undefined) return 'rep3 has no dealer';
      break;
    case 'additive':
      if (j.computeParties.length < 2) return 'additive needs at least 2 compute parties';
      if (ed25519Key(j.dealer) === undefined) return 'additive needs a dealer peer id';
      if ((j.computeParties as string[]).includes(j.dealer as string))
        return 'the dealer must not be a compute party';
      break;
    case 'plaintext':
      if (j.dealer !== undefined) return 'plaintext has no dealer';
      break;
    default:
      return 'unknown protocol';
  }
  if (
    typeof j.fractionalBits !== 'number' ||
    !Number.isInteger(j.fractionalBits) ||
    j.fractionalBits < 8 ||
    j.fractionalBits > 32
  ) {
    return 'fractionalBits must be an integer in [8, 32]';
  }
  if (typeof j.created !== 'string' || Number.isNaN(Date.parse(j.created))) return 'invalid creation time';
  if (typeof j.expires !== 'string' || Number.isNaN(Date.parse(j.expires))) return 'invalid expiry time';
  if (j.dp !== undefined) return dpRequestProblem(j.dp);
  return undefined;
}

/** Why the job's inputs do not bind the program's inputs one to one, or undefined. */
function bindingsProblem(job: Job, program: Program): string | undefined {
  const bound = new Set<string>();
  for (const i of job.inputs) {
    const decl = program.inputs.find((p) => p.name === i.name);
    if (decl === undefined) return `input ${quoted(i.name)} is not an input of the program`;
    if (bound.has(i.name)) return `input ${quoted(i.name)} is bound twice`;
    bound.add(i.name);
    if (decl.columns.length !== i.columns.length || decl.columns.some((c, k) => c !== i.columns[k]))
      return `input ${quoted(i.name)}: columns differ from the program's`;
  }
  const unbound = program.inputs.find((p) => !bound.has(p.name));
  return unbound === undefined
    ? undefined
    : `program input ${quoted(unbound.name)} is not bound to a dataset`;
}

/**
 * Verifies an untrusted signed job (see the module comment).
 * @throws JobVerificationError with the reason (bad signature, expired, program invalid...).
 */
export async function verifySignedJob(value: unknown, options: VerifyJobOptions = {}): Promise<VerifiedJob> {
  const id =
    isObj(value) && isObj(value.job) && typeof value.job.id === 'string' && ID_RE.test(value.job.id)
      ? value.job.id
      : '';
  const fail = (reason: string): never => {
    throw new JobVerificationError(id, reason);
  };
  if (!isObj(value) || !isObj(value.job) || typeof value.signature !== 'string')
    return fail('not a signed job');
  if (id === '') return fail('invalid job id (expected 32 hex characters)');
  const problem = shapeProblem(value.job);
  if (problem !== undefined) return fail(problem);
  const job = value.job as unknown as Job;

  const key = ed25519Key(job.requester)!;
  let ok: boolean;
  try {
    ok = await key.verify(jobSigningBytes(job), Buffer.from(value.signature, 'base64url'));
  } catch {
    ok = false;
  }
  if (!ok) return fail('bad signature');

  const now = (options.now ?? new Date()).getTime();
  const created = Date.parse(job.created);
  const expires = Date.parse(job.expires);
  if (expires <= created) return fail('expires before it was created');
  if (expires - created > (options.maxLifetimeMs ?? 7 * 86_400_000)) return fail('lifetime too long');
  if (created > now + (options.maxClockSkewMs ?? 300_000)) return fail('created in the future');
  if (options.ignoreExpiry !== true && expires <= now) return fail('expired');

  let checked: CheckedProgram;
  try {
    if (programHash(job.program) !== job.programHash) return fail('program hash does not match the program');
    const bindingProblem = bindingsProblem(job, parseProgram(job.program));
    if (bindingProblem !== undefined) return fail(bindingProblem);
    const rows = Object.fromEntries(job.inputs.map((i) => [i.name, i.rows]));
    const magnitudes = Object.fromEntries(
      job.inputs.filter((i) => i.magnitudes !== undefined).map((i) => [i.name, i.magnitudes!]),
    );
    checked = validateProgram(job.program, {
      rows,
      magnitudes,
      requireScales: true,
      fractionalBits: job.fractionalBits,
    });
  } catch (err) {
    if (err instanceof ProgramValidationError) return fail(err.message);
    throw err;
  }
  if (job.dp !== undefined) {
    const plan = planDp(checked, jobInputBounds(job.inputs), job.fractionalBits);
    if (!plan.ok) return fail(`no differentially private release: ${plan.reasons.join('; ')}`);
  }
  return { signed: { job, signature: value.signature }, checked };
}
