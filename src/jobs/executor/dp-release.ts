/**
 * Differentially private outputs on shares (the table in src/jobs/dp/plan.ts): every input column
 * with public bounds is clipped inside the MPC, each DP output's released vector is formed from the
 * clipped table, each noise party secret-shares its own integer noise (exact discrete Gaussian or
 * Laplace, src/jobs/dp/sampler.ts) and the sum is added before the vector is opened to the
 * recipient, who finishes it (src/jobs/dp/finish.ts). No party ever sees the exact value. Nothing
 * here logs a value or a draw.
 */
import { msb } from '../../protocols/ops/compare.js';
import type { Protocol, Share } from '../../protocols/protocol.js';
import { RingTensor } from '../../tensor/index.js';
import { upperPairs } from '../dp/plan-gram.js';
import { finishDp, publicCount, type FinishedDp } from '../dp/finish.js';
import {
  encodedBounds,
  jobInputBounds,
  noisyOutputs,
  planDp,
  type DpOutputPlan,
  type InputBounds,
} from '../dp/plan.js';
import { cryptoRandom, type RandomSource } from '../dp/random.js';
import { noisePartyCount, outputNoise, type OutputNoise } from '../dp/request.js';
import type { Job } from '../job/types.js';
import type { DpRequest } from '../dp/types.js';
import type { JobOutputValue } from '../store.js';
import { sampleNoise } from '../dp/sampler.js';
import type { CheckedProgram } from '../program/validate.js';

/** A ring value of 2^62: clip bounds of a column without declared bounds (no clipping). */
const OPEN = 1n << 62n;

/**
 * Clips every column of every input with declared bounds to them, in the column's encoding. The
 * result is lo, hi or x, picked by the two signs so that it lies in [lo, hi] even for a ring value
 * a malicious owner shared near 2^63 (where x - lo wraps): x is kept only when both x - lo and
 * hi - x are non-negative, which for hi - lo < 2^63 means lo <= x <= hi.
 */
export async function clipInputs(
  p: Protocol,
  checked: CheckedProgram,
  values: Map<string, Share>,
  bounds: InputBounds,
  f: number,
): Promise<void> {
  // Every bounded input at once: one sign computation and two multiplications in all.
  const parts: { name: string; x: Share; lo: RingTensor; hi: RingTensor }[] = [];
  for (const inp of checked.program.inputs) {
    const b = bounds[inp.name];
    if (b === undefined || inp.columns.every((c) => (b[c] ?? null) === null)) continue;
    const x = values.get(inp.name)!;
    const [rows, cols] = x.shape as [number, number];
    const exps = checked.types.get(inp.name)!.exps;
    const pair = inp.columns.map((c, j) => {
      const cb = b[c] ?? null;
      return cb === null ? [-OPEN, OPEN] : encodedBounds(cb[0], cb[1], exps?.[j] ?? 0, f);
    });
    const tile = (k: 0 | 1): RingTensor =>
      RingTensor.fromBigInts(Array.from({ length: rows }, () => pair.map((v) => v[k]!)).flat(), [
        rows * cols,
      ]);
    parts.push({ name: inp.name, x: p.reshape(x, [rows * cols]), lo: tile(0), hi: tile(1) });
  }
  if (parts.length === 0) return;
  const x = p.concat(
    parts.map((q) => q.x),
    0,
  );
  const lo = RingTensor.concat(parts.map((q) => q.lo));
  const hi = RingTensor.concat(parts.map((q) => q.hi));
  const n = x.shape[0]!;
  const belowLo = p.addPublic(x, lo.neg()); // x - lo
  const aboveHi = p.addPublic(p.neg(x), hi); // hi - x
  const signs = await msb(p, p.concat([belowLo, aboveHi], 0));
  const a = p.slice(signs, 0, 0, n); // x < lo
  const c = p.slice(signs, 0, n, 2 * n); // x > hi
  const inner = p.add(x, await p.mul(c, aboveHi)); // hi where x > hi, else x
  const clipped = p.add(inner, await p.mul(a, p.addPublic(p.neg(inner), lo))); // lo where x < lo
  let at = 0;
  for (const q of parts) {
    const size = q.x.shape[0]!;
    values.set(q.name, p.reshape(p.slice(clipped, 0, at, at + size), [...values.get(q.name)!.shape]));
    at += size;
  }
}

/** The vector released under noise for `plan`: column sums, sums and squares, or the op's counts. */
export async function releasedVector(
  p: Protocol,
  plan: DpOutputPlan,
  values: Map<string, Share>,
  f: number,
): Promise<Share> {
  if (plan.kind === 'counts') {
    const v = values.get(plan.node)!;
    return p.reshape(v, [v.shape.reduce((a, b) => a * b, 1)]);
  }
  const x = values.get(plan.arg!)!;
  if (plan.kind === 'gram') return gramVector(p, x, plan.columns!, f);
  const sums = p.sum(x, 0);
  if (plan.kind === 'sums') return sums;
  // Squares of integers of at most 2^22 summed over at most 2^18 rows stay below 2^62 (plan.ts).
  const squares = await p.truncate(p.sum(await p.mul(x, x), 0), f);
  return p.concat([sums, squares], 0);
}

/**
 * Column sums, then the cross products floor(sum x_j x_k / 2^f), j <= k, of `columns` of `x`: the
 * products of integers of at most 2^22 summed over at most 2^18 rows stay below 2^62 (exact).
 */
async function gramVector(p: Protocol, x: Share, columns: readonly number[], f: number): Promise<Share> {
  const picked = p.concat(
    columns.map((j) => p.slice(x, 1, j, j + 1)),
    1,
  );
  const c = columns.length;
  const gram = await p.truncate(await p.matmul(p.transpose(picked), picked), f);
  const upper = upperPairs(c).map(([j, k]) =>
    p.reshape(p.slice(p.slice(gram, 0, j, j + 1), 1, k, k + 1), [1]),
  );
  return p.concat([p.sum(picked, 0), ...upper], 0);
}

/** Ring noise of one party for `plan`: per element, scale c * ringSensitivity[i]. */
function drawNoise(plan: DpOutputPlan, noise: OutputNoise, rng: RandomSource): RingTensor {
  const out: bigint[] = [];
  for (const d of plan.ringSensitivity) out.push(...sampleNoise(noise.mechanism, noise.c * d, 1, rng));
  return RingTensor.fromBigInts(
    out.map((z) => BigInt.asUintN(64, z)),
    [out.length],
  );
}

/**
 * `vector` plus one noise draw from each of `noiseParties` (session indices), each secret-shared
 * by the party that drew it; every party launches the same inputs in the same order.
 */
export async function addNoise(
  p: Protocol,
  vector: Share,
  plan: DpOutputPlan,
  noise: OutputNoise,
  noiseParties: readonly number[],
  rng: RandomSource = cryptoRandom(),
): Promise<Share> {
  // the inputs run together (each party's own draw; the others' PRG words are drawn at the call)
  const draws = await Promise.all(
    noiseParties.map((party) =>
      p.input(party, p.session.self === party ? drawNoise(plan, noise, rng) : undefined, [...vector.shape]),
    ),
  );
  return draws.reduce((acc, d) => p.add(acc, d), vector);
}

/** What a DP job adds to a run (RunProgramInput.dp): the plan and who draws noise. */
export interface RunDp {
  /** The job's request. */
  request: DpRequest;
  /** The plan of every output, in output order. */
  plan: DpOutputPlan[];
  /** Public bounds of the inputs' columns. */
  bounds: InputBounds;
  /** Session indices of the parties that draw noise. */
  noiseParties: number[];
  /** Randomness of this party's draws (default: node:crypto). */
  rng?: RandomSource;
}

/** Nodes the plan releases itself: their op's exact computation never runs. */
export function skippedNodes(dp: RunDp | undefined): Set<string> {
  return new Set((dp?.plan ?? []).filter((o) => o.kind !== 'counts').map((o) => o.node));
}

/** Opens one DP output to the recipient and finishes it there (undefined elsewhere). */
export async function revealDp(
  p: Protocol,
  dp: RunDp,
  plan: DpOutputPlan,
  out: CheckedProgram['outputs'][number],
  values: Map<string, Share>,
  f: number,
  recipient: number,
): Promise<JobOutputValue | undefined> {
  const base = (finished: FinishedDp): JobOutputValue => {
    const o: JobOutputValue = {
      name: out.name,
      shape: out.type.shape as number[],
      values: finished.values,
      dp: finished.dp,
    };
    if (out.type.labels !== undefined) o.labels = out.type.labels.map((l) => l ?? null);
    return o;
  };
  if (plan.kind === 'public')
    return p.session.self === recipient ? base(publicCount(plan.rows ?? 0)) : undefined;
  const noise = outputNoise(dp.request, plan, noisyOutputs(dp.plan).length);
  const vector = await releasedVector(p, plan, values, f);
  const noisy = await addNoise(p, vector, plan, noise, dp.noiseParties, dp.rng);
  const opened = await p.reveal(noisy, [recipient]);
  if (opened === undefined) return undefined;
  return base(finishDp(plan, noise, opened.toSignedBigInts(), f, dp.noiseParties.length));
}

/**
 * The DP part of a run of `job` (undefined without `job.dp`).
 * @throws RangeError when the program has no DP plan (every peer refused such a job before).
 */
export function runDpOf(job: Job, checked: CheckedProgram, p: Protocol): RunDp | undefined {
  if (job.dp === undefined) return undefined;
  const bounds = jobInputBounds(job.inputs);
  const plan = planDp(checked, bounds, job.fractionalBits);
  if (!plan.ok) throw new RangeError(`the job cannot run under DP: ${plan.reasons.join('; ')}`);
  const count = noisePartyCount(job.protocol, p.computeParties.length);
  return { request: job.dp, plan: plan.outputs, bounds, noiseParties: p.computeParties.slice(0, count) };
}
