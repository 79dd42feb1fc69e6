/**
 * Beaver multiplication (Beaver 1991, "Efficient multiparty protocols using circuit
 * randomization"; as in CrypTen, Knott et al. 2021, crypten/mpc/primitives/beaver.py) for the
 * `additive` protocol, elementwise, matrix (SecureML's matrix triples) and boolean.
 *
 * Steps of z = x ∘ y (∘ = elementwise product, matrix product, or AND), one opening (wire.ts: one
 * round all-to-all, two through kings):
 * 1. The dealer deals a triple (a, b, c = a ∘ b) of the operands' shapes for step s.
 * 2. Every compute party P_i opens e_i = x_i - a_i and f_i = y_i - b_i (XOR for booleans), both in
 *    one payload (to every other compute party, or to the kings of its chunks); all get e = x - a
 *    and f = y - b.
 * 3. P_i sets z_i = c_i + e ∘ b_i + x_i ∘ f; the sum is c + e∘b + x∘f = a∘b + (x-a)∘b + x∘(y-b) = x∘y.
 *    (For AND: z_i = c_i ^ (e & b_i) ^ (x_i & f).) No party adds a special term.
 * Cost per compute party: one opening of W = |x| + |y| words (cost.ts; elementwise operands are
 * broadcast to the result first: W = 2|z|); the dealer: 8·|z| bytes to one party. e_i and f_i are
 * uniform to any coalition that misses P_i, since they are masked by a_i and b_i, free summands P_i
 * draws from the seed it shares with the dealer alone: whoever receives them (every party, or the
 * kings) learns nothing from them beyond e and f, which are uniform too.
 */
import { RingTensor, broadcastShapes, shapesEqual, sizeOf } from '../../tensor/index.js';
import type { AdditiveContext } from './context.js';
import { andTriple, matmulTriple, mulTriple, type CorrelationSpec } from './correlations.js';
import type { Summands } from './dealer.js';
import { AdditiveShare, own } from './share.js';
import { matmulShape } from '../shapes.js';
import { openAmong, openSteps, type OpenSteps } from './wire.js';

/** A view of `words[off, off + size)` as a tensor of `shape`. */
export function view(words: BigUint64Array, off: number, shape: readonly number[]): RingTensor {
  return new RingTensor(shape, words.subarray(off, off + sizeOf(shape)));
}

/** Opened masks of a Beaver round: e = x - a and f = y - b (or XOR), flat. */
interface Opened {
  e: RingTensor;
  f: RingTensor;
  /** The pooled buffer e and f live in (give it back once done). */
  words: BigUint64Array;
}

/**
 * Step 2: masks this party's operands into one payload (the xs, then the ys, back to back, each
 * broadcast to its pair's shape), opens it among the compute parties, and returns the opened e
 * and f as flat tensors of the total size.
 */
async function openMasks(
  ctx: AdditiveContext,
  steps: OpenSteps,
  xs: readonly RingTensor[],
  ys: readonly RingTensor[],
  a: RingTensor,
  b: RingTensor,
  xor: boolean,
): Promise<Opened> {
  const buf = new RingTensor([a.size + b.size]);
  const mask = (ts: readonly RingTensor[], r: RingTensor, base: number): void => {
    let off = 0;
    for (const t of ts) {
      const rs = view(r.data, off, t.shape);
      const out = view(buf.data, base + off, t.shape);
      if (xor) t.xor(rs, out);
      else t.sub(rs, out);
      off += t.size;
    }
  };
  mask(xs, a, 0);
  mask(ys, b, a.size);
  const opened = await openAmong(ctx, steps, buf.data, xor);
  return { e: view(opened.data, 0, [a.size]), f: view(opened.data, a.size, [b.size]), words: opened.data };
}

/**
 * One Beaver multiplication round for `kind`, with `extra` correlations dealt in the same dealer
 * message (their summands are returned for a following step, e.g. a truncation pair; call
 * `release` once they are used, to recycle the free summands' buffers).
 */
export async function beaver(
  ctx: AdditiveContext,
  kind: 'mul' | 'matmul',
  x: AdditiveShare,
  y: AdditiveShare,
  extra: readonly CorrelationSpec[] = [],
): Promise<{ z: AdditiveShare; extra: Summands[]; release: () => void }> {
  const shape = kind === 'mul' ? broadcastShapes(x.shape, y.shape) : matmulShape(x.shape, y.shape);
  if (kind === 'mul' && !(shapesEqual(x.shape, shape) && shapesEqual(y.shape, shape))) {
    // Elementwise operands are broadcast first, so a mul's traffic depends on its result size only.
    const widen = (v: AdditiveShare): AdditiveShare =>
      new AdditiveShare(shape, 'A', v.local === undefined ? undefined : v.local.broadcastTo(shape));
    return beaver(ctx, kind, widen(x), widen(y), extra);
  }
  const steps = openSteps(ctx);
  const spec = kind === 'mul' ? mulTriple(shape, shape) : matmulTriple(x.shape, y.shape);
  const dealt = ctx.dealer.deal(steps.first, [spec, ...extra]);
  if (!ctx.isCompute) {
    await dealt.ready;
    return { z: new AdditiveShare(shape, 'A', undefined), extra: [], release: dealt.release };
  }
  const xi = own(x, kind);
  const yi = own(y, kind);
  const [a, b] = dealt.free[0]!;
  const opened = await openMasks(ctx, steps, [xi], [yi], a!, b!, false);
  const e = opened.e.reshape(x.shape);
  const f = opened.f.reshape(y.shape);
  const all = await dealt.ready;
  const c = all[0]!.fixed[0]!;
  let z: RingTensor;
  if (kind === 'matmul') {
    z = c.add(e.matmul(b!), c);
    z.add(xi.matmul(f), z);
  } else {
    z = e.mulAdd(b!, c, c);
    xi.mulAdd(f, z, z);
  }
  ctx.pool.give(opened.words);
  if (extra.length === 0) dealt.release();
  const release = extra.length === 0 ? () => undefined : dealt.release;
  return { z: new AdditiveShare(shape, 'A', z), extra: all.slice(1), release };
}

/** Elementwise AND of B shares, all pairs in one round with one dealer message (andBMany). */
export async function andMany(
  ctx: AdditiveContext,
  pairs: readonly (readonly [AdditiveShare, AdditiveShare])[],
): Promise<AdditiveShare[]> {
  const shapes = pairs.map(([x, y]) => broadcastShapes(x.shape, y.shape));
  const offsets: number[] = [];
  let total = 0;
  for (const s of shapes) {
    offsets.push(total);
    total += sizeOf(s);
  }
  const steps = openSteps(ctx);
  const dealt = ctx.dealer.deal(steps.first, [andTriple(total)]);
  if (!ctx.isCompute) {
    await dealt.ready;
    return shapes.map((s) => new AdditiveShare(s, 'B', undefined));
  }
  const [a, b] = dealt.free[0]!;
  const xs = pairs.map(([x], i) => own(x, 'andB').broadcastTo(shapes[i]!));
  const ys = pairs.map(([, y], i) => own(y, 'andB').broadcastTo(shapes[i]!));
  const { e, f, words } = await openMasks(ctx, steps, xs, ys, a!, b!, true);
  const c = (await dealt.ready)[0]!.fixed[0]!;
  // z = c ^ (e & b) ^ (x & f): the first term over the whole batch, the second per pair.
  const t = e.and(b!, new RingTensor([total], ctx.pool.take(total)));
  c.xor(t, c);
  const out = shapes.map((s, i) => {
    const z = view(c.data, offsets[i]!, s);
    const tz = view(t.data, offsets[i]!, s);
    xs[i]!.and(view(f.data, offsets[i]!, s), tz);
    z.xor(tz, z);
    return new AdditiveShare(s, 'B', z);
  });
  ctx.pool.give(words, t.data);
  dealt.release();
  return out;
}
