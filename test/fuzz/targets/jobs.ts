/**
 * The jobs layer's network decoders: programs (src/jobs/program/parse.ts parseProgram,
 * validateProgram; hash.ts programHash), signed jobs (src/jobs/job/verify.ts verifySignedJob;
 * mutated jobs are re-signed with the requester's test key so they get past the signature), and
 * the jobs protocol's messages and replies (src/jobs/service/messages.ts), each from the bytes the
 * request handler reads (JSON.parse first, as src/node/request-protocol.ts does).
 */
import { JobVerificationError, ProgramValidationError } from '../../../src/jobs/errors.js';
import { createJob, signJob } from '../../../src/jobs/job/sign.js';
import type { Job } from '../../../src/jobs/job/types.js';
import { verifySignedJob } from '../../../src/jobs/job/verify.js';
import { programHash } from '../../../src/jobs/program/hash.js';
import { parseProgram, validateProgram } from '../../../src/jobs/program/validate.js';
import { parseMessage, parseReply } from '../../../src/jobs/service/messages.js';
import { MESSAGE_MAX, OUTSIDE_TEXT_MAX } from '../../../src/util/bound.js';
import { serialize } from '../lib/mutate-json.js';
import { expectErrors, InvariantError, jsonTarget } from '../lib/target.js';
import { COLS, CREATED, dictionary, identities, NOW, seedPrograms } from './world.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const parse = (bytes: Uint8Array): unknown => JSON.parse(dec.decode(bytes));
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `src/jobs/program/parse.ts` parseProgram, `validate.ts` validateProgram (with and without bindings), programHash. */
export const programTarget = jsonTarget({
  name: 'program',
  summary:
    'programs: parseProgram, programHash, validateProgram (bare, and with rows, magnitudes, requireScales)',
  seeds: seedPrograms,
  dictionary: await dictionary(),
  run(bytes) {
    const value = parse(bytes);
    parseProgram(value);
    programHash(value);
    validateProgram(value);
    const inputs = isObj(value) && Array.isArray(value.inputs) ? (value.inputs as unknown[]) : [];
    const named = inputs.filter(
      (i): i is { name: string; columns: unknown[] } =>
        isObj(i) && typeof i.name === 'string' && Array.isArray(i.columns),
    );
    return validateProgram(value, {
      rows: Object.fromEntries(named.map((i) => [i.name, 100])),
      magnitudes: Object.fromEntries(named.map((i) => [i.name, i.columns.map(() => 10)])),
      requireScales: true,
      fractionalBits: 16,
    }).outputs.length;
  },
  expected: expectErrors(ProgramValidationError, SyntaxError),
});

/** Unsigned seed jobs over the seed programs (rep3, additive, plaintext). */
async function seedJobs(): Promise<Job[]> {
  const [req, o1, o2, o3, dealer] = await identities();
  const owners = [o1!, o2!, o3!];
  return seedPrograms().map((program, k) => {
    const protocol = (['rep3', 'additive', 'plaintext'] as const)[k % 3];
    return createJob({
      requester: req!.peerId,
      program,
      inputs: program.inputs.map((input, i) => ({
        name: input.name,
        owner: owners[i % 3]!.peerId,
        dataset: 'patients',
        columns: input.columns,
        rows: 100,
        magnitudes: input.columns.map(() => 10),
      })),
      computeParties: protocol === 'plaintext' ? [o1!.peerId] : owners.map((o) => o.peerId),
      protocol,
      ...(protocol === 'additive' ? { dealer: dealer!.peerId } : {}),
      now: CREATED,
      id: (k + 1).toString(16).padStart(32, '0'),
    });
  });
}

/** A job tree as a signed job: re-signed by the requester's key (a bogus signature when unsignable). */
async function signedJobText(tree: unknown): Promise<string> {
  const text = serialize(tree);
  const [req] = await identities();
  let signature = 'AAAA';
  try {
    signature = (await signJob(JSON.parse(text) as Job, req!.key)).signature;
  } catch {
    // not canonicalizable (a non-finite number, a nest too deep): the verifier must refuse it anyway
  }
  return `{"job":${text},"signature":${JSON.stringify(signature)}}`;
}

/** `src/jobs/job/verify.ts` verifySignedJob on re-signed mutated jobs. */
export const jobTarget = jsonTarget({
  name: 'job',
  summary: 'signed jobs: verifySignedJob, mutated jobs re-signed with the requester test key',
  seeds: seedJobs,
  dictionary: await dictionary(),
  encode: async (tree) => enc.encode(await signedJobText(tree)),
  async run(bytes) {
    const { checked } = await verifySignedJob(parse(bytes), { now: NOW });
    return checked.outputs.length;
  },
  expected: expectErrors(JobVerificationError, SyntaxError),
});

/** Room for boundText's "…(N more characters)". */
const SUFFIX = 32;

/** Every string kept from the wire is bounded: names and reasons by OUTSIDE_TEXT_MAX, reply messages by 2 x MESSAGE_MAX (src/util/bound.ts). */
function checkBounded(v: unknown, path: string, max: number): void {
  if (typeof v === 'string' && v.length > max + SUFFIX)
    throw new InvariantError(`${path} keeps ${v.length} characters from the wire`);
  if (Array.isArray(v)) v.forEach((x, i) => checkBounded(x, `${path}[${i}]`, max));
  if (isObj(v))
    for (const [k, x] of Object.entries(v))
      if (k !== 'signed')
        checkBounded(x, `${path}.${k}`, path === 'reply.error' && k === 'message' ? 2 * MESSAGE_MAX : max);
}

/** `src/jobs/service/messages.ts` parseMessage (+ verifySignedJob for `propose`) and parseReply. */
export const jobsMessageTarget = jsonTarget({
  name: 'jobs-message',
  summary: 'jobs protocol envelopes: parseMessage (+ verifySignedJob of propose), parseReply',
  async seeds() {
    const [job] = await seedJobs();
    const signed = JSON.parse(await signedJobText(job)) as unknown;
    const id = '0123456789abcdef0123456789abcdef';
    return [
      { type: 'propose', signed },
      { type: 'decision', jobId: id, decision: 'rejected', reason: 'not today' },
      { type: 'start', jobId: id, attempt: 2 },
      { type: 'end', jobId: id, state: 'failed', reason: 'party 2 vanished', party: COLS[0] },
      { type: 'probe', jobId: id },
      { ok: true, decision: 'pending' },
      { ok: false, error: { name: 'PolicyDeniedError', message: 'job refused by policy' } },
    ];
  },
  dictionary: [
    ...(await dictionary()),
    'propose',
    'decision',
    'start',
    'end',
    'probe',
    'approved',
    'rejected',
    'pending',
    'ok',
    'error',
    'expired',
    'cancelled',
  ],
  async run(bytes) {
    const value = parse(bytes);
    checkBounded(parseReply(value), 'reply', OUTSIDE_TEXT_MAX);
    const m = parseMessage(value);
    checkBounded(m, 'message', OUTSIDE_TEXT_MAX);
    if (m.type === 'propose') await verifySignedJob(m.signed, { now: NOW });
    return m.type;
  },
  expected: expectErrors(TypeError, SyntaxError, JobVerificationError),
});
