/**
 * SharedTensor: the user-facing secret-shared tensor, in the spirit of TF Encrypted's
 * PondPrivateTensor and CrypTen's MPCTensor. Methods read like tfjs:
 *
 *   const x = await SharedTensor.input(proto, 0, xs, [64, 784]);   // party 0 owns xs
 *   const w = await SharedTensor.input(proto, 1, ws, [784, 10]);
 *   const y = await x.matmul(w).add(b).relu();                     // chains, one await
 *   const out = await y.reveal([3]);                                // tfjs tensor on party 3 only
 *
 * Local methods (add, sub, neg, sum, reshape...) return a SharedTensor at once; methods that
 * communicate return a {@link PendingShared}, which is awaitable and has the same methods, so a
 * chain runs op after op. SPMD: every party runs the same program; do not start two chains on one
 * session concurrently (their steps would interleave differently on different parties).
 *
 * Values carry a scale: `fractionalBits` f (default 16) for reals, 0 for integers (comparison
 * results, argmax). Public operands (tfjs tensors or numbers) are encoded at the tensor's scale.
 */
import {
  DEFAULT_FRACTIONAL_BITS,
  decodeFixed,
  encodeFixed,
  loadTf,
  type RingTensor,
  type Shape,
  type TensorLike,
  type Tf,
} from '../tensor/index.js';
import { eq, ge, gt, le, lt, relu } from './ops/compare.js';
import { maxArgmax } from './ops/max.js';
import { mean } from './ops/reduce.js';
import type { Protocol, Share } from './protocol.js';

/** A tfjs tensor. */
export type TfTensor = ReturnType<Tf['tensor']>;
/** A public operand: a tfjs tensor (or anything with shape and dataSync) or a number. */
export type PublicOperand = TensorLike | number;
/** Any operand of a binary method. */
export type Operand<S extends Share> = SharedTensor<S> | PublicOperand;

/** Options of {@link SharedTensor.input}. */
export interface InputOptions {
  /** Fractional bits (default 16); 0 shares integers. */
  fractionalBits?: number;
}

/** A secret-shared tensor on one party. */
export class SharedTensor<S extends Share = Share> {
  constructor(
    /** The protocol (and through it the session). */
    readonly protocol: Protocol<S>,
    /** This party's share. */
    readonly share: S,
    /** Fractional bits of the values (0: integers). */
    readonly scale: number,
  ) {}

  /** Party `owner` shares `value` (given on the owner only; others pass undefined) of `shape`. */
  static async input<S extends Share>(
    protocol: Protocol<S>,
    owner: number,
    value: TensorLike | ArrayLike<number> | undefined,
    shape: Shape,
    options: InputOptions = {},
  ): Promise<SharedTensor<S>> {
    const f = options.fractionalBits ?? DEFAULT_FRACTIONAL_BITS;
    let ring: RingTensor | undefined;
    if (protocol.session.self === owner) {
      if (value === undefined) throw new TypeError('SharedTensor.input: the owner must give the value');
      ring = (isTensorLike(value) ? encodeFixed(value, f) : encodeFixed(value, shape, f)).reshape(shape);
    }
    return new SharedTensor(protocol, await protocol.input(owner, ring, shape), f);
  }

  /** A public tensor as a shared one (no communication). */
  static fromPublic<S extends Share>(
    protocol: Protocol<S>,
    value: PublicOperand,
    options: InputOptions = {},
  ): SharedTensor<S> {
    const f = options.fractionalBits ?? DEFAULT_FRACTIONAL_BITS;
    return new SharedTensor(protocol, protocol.fromPublic(encodePublic(value, f), 'A'), f);
  }

  /** The public shape. */
  get shape(): readonly number[] {
    return this.share.shape;
  }

  private wrap(share: S, scale = this.scale): SharedTensor<S> {
    return new SharedTensor(this.protocol, share, scale);
  }

  /** Brings this tensor to `scale` (>= its own) by a left shift: exact. */
  private rescaled(scale: number): S {
    return scale === this.scale ? this.share : this.protocol.shlA(this.share, scale - this.scale);
  }

  private aligned(o: SharedTensor<S>): [S, S, number] {
    const s = Math.max(this.scale, o.scale);
    return [this.rescaled(s), o.rescaled(s), s];
  }

  /** this + o. */
  add(o: Operand<S>): SharedTensor<S> {
    const p = this.protocol;
    if (o instanceof SharedTensor) {
      const [a, b, s] = this.aligned(o);
      return this.wrap(p.add(a, b), s);
    }
    return this.wrap(p.addPublic(this.share, encodePublic(o, this.scale)));
  }

  /** this - o. */
  sub(o: Operand<S>): SharedTensor<S> {
    const p = this.protocol;
    if (o instanceof SharedTensor) {
      const [a, b, s] = this.aligned(o);
      return this.wrap(p.sub(a, b), s);
    }
    return this.wrap(p.addPublic(this.share, encodePublic(o, this.scale).neg()));
  }

  /** -this. */
  neg(): SharedTensor<S> {
    return this.wrap(this.protocol.neg(this.share));
  }

  /** this * o elementwise (truncated back to the larger scale when both are fixed point). */
  mul(o: Operand<S>): PendingShared<S> {
    return pending(this.mulNow(o));
  }

  private async mulNow(o: Operand<S>): Promise<SharedTensor<S>> {
    const p = this.protocol;
    if (o instanceof SharedTensor) {
      if (this.scale > 0 && o.scale > 0) {
        const t = Math.min(this.scale, o.scale);
        return this.wrap(await p.mulTrunc(this.share, o.share, t), this.scale + o.scale - t);
      }
      return this.wrap(await p.mul(this.share, o.share), this.scale + o.scale);
    }
    if (typeof o === 'number' && Number.isSafeInteger(o))
      return this.wrap(p.mulPublic(this.share, BigInt(o)));
    const f = this.scale > 0 ? this.scale : DEFAULT_FRACTIONAL_BITS;
    const prod = p.mulPublic(this.share, encodePublic(o, f));
    return this.scale > 0 ? this.wrap(await p.truncate(prod, f)) : this.wrap(prod, f);
  }

  /** Matrix product (2-D or batched), truncated like {@link mul}. */
  matmul(o: SharedTensor<S>): PendingShared<S> {
    return pending(this.matmulNow(o));
  }

  private async matmulNow(o: SharedTensor<S>): Promise<SharedTensor<S>> {
    const p = this.protocol;
    if (this.scale > 0 && o.scale > 0) {
      const t = Math.min(this.scale, o.scale);
      return this.wrap(await p.matmulTrunc(this.share, o.share, t), this.scale + o.scale - t);
    }
    return this.wrap(await p.matmul(this.share, o.share), this.scale + o.scale);
  }

  /** Sum along `axis` (all elements when undefined). */
  sum(axis?: number, keepDims = false): SharedTensor<S> {
    return this.wrap(this.protocol.sum(this.share, axis, keepDims));
  }

  /** Mean along `axis` (all elements when undefined); see ops/reduce.ts for its error. */
  mean(axis?: number, keepDims = false): PendingShared<S> {
    const f = this.scale > 0 ? this.scale : DEFAULT_FRACTIONAL_BITS;
    const x = this.scale > 0 ? this : this.wrap(this.rescaled(f), f);
    return pending(mean(this.protocol, x.share, axis, f, keepDims).then((s) => this.wrap(s, f)));
  }

  /** max(this, 0). */
  relu(): PendingShared<S> {
    return pending(relu(this.protocol, this.share).then((s) => this.wrap(s)));
  }

  private compare(o: Operand<S>, f: typeof lt): PendingShared<S> {
    const run = async (): Promise<SharedTensor<S>> => {
      if (o instanceof SharedTensor) {
        const [a, b] = this.aligned(o);
        return this.wrap(await f(this.protocol, a, b), 0);
      }
      return this.wrap(await f(this.protocol, this.share, encodePublic(o, this.scale)), 0);
    };
    return pending(run());
  }

  /** this < o: integer 0/1. */
  lt(o: Operand<S>): PendingShared<S> {
    return this.compare(o, lt);
  }
  /** this > o. */
  gt(o: Operand<S>): PendingShared<S> {
    return this.compare(o, gt);
  }
  /** this <= o. */
  le(o: Operand<S>): PendingShared<S> {
    return this.compare(o, le);
  }
  /** this >= o. */
  ge(o: Operand<S>): PendingShared<S> {
    return this.compare(o, ge);
  }
  /** this == o (exact equality of the encoded values). */
  eq(o: Operand<S>): PendingShared<S> {
    return this.compare(o, eq);
  }
  /** tfjs name of {@link eq}. */
  equal(o: Operand<S>): PendingShared<S> {
    return this.eq(o);
  }

  /** Maximum along `axis` (default: the last). */
  max(axis = -1, keepDims = false): PendingShared<S> {
    return pending(maxArgmax(this.protocol, this.share, axis, { keepDims }).then((r) => this.wrap(r.max)));
  }

  /** Index of the maximum along `axis` (default: the last); integers, first index on ties. */
  argMax(axis = -1): PendingShared<S> {
    return pending(
      maxArgmax(this.protocol, this.share, axis, { withIndex: true }).then((r) => this.wrap(r.argmax!, 0)),
    );
  }

  /** Same values, new shape. */
  reshape(shape: Shape): SharedTensor<S> {
    return this.wrap(this.protocol.reshape(this.share, shape));
  }
  /** Permuted axes (default: reversed). */
  transpose(perm?: readonly number[]): SharedTensor<S> {
    return this.wrap(this.protocol.transpose(this.share, perm));
  }
  /** Elements [start, end) along `axis`. */
  slice(axis: number, start: number, end: number): SharedTensor<S> {
    return this.wrap(this.protocol.slice(this.share, axis, start, end));
  }

  /** Opens the ring values to `to` (recipients get them, others undefined). */
  revealRing(to: readonly number[]): Promise<RingTensor | undefined> {
    return this.protocol.reveal(this.share, to);
  }

  /** Opens to `to` and decodes: a float64 array on recipients, undefined elsewhere. */
  async revealValues(to: readonly number[]): Promise<Float64Array | undefined> {
    const r = await this.revealRing(to);
    return r === undefined ? undefined : decodeFixed(r, this.scale);
  }

  /** Opens to `to`: a tfjs tensor on recipients (int32 for integers, else float32), undefined elsewhere. */
  async reveal(to: readonly number[]): Promise<TfTensor | undefined> {
    const values = await this.revealValues(to);
    if (values === undefined) return undefined;
    const tf = await loadTf();
    const int = this.scale === 0 && values.every((v) => v >= -(2 ** 31) && v < 2 ** 31);
    return int
      ? tf.tensor(Int32Array.from(values), [...this.shape], 'int32')
      : tf.tensor(Float32Array.from(values), [...this.shape], 'float32');
  }

  /** Describes the tensor without its values. */
  toString(): string {
    return `SharedTensor(${this.protocol.name})[${this.shape.join(',')}] scale 2^-${this.scale}`;
  }
}

/** A SharedTensor being computed: awaitable, with the same methods (they run after it resolves). */
export class PendingShared<S extends Share = Share> implements PromiseLike<SharedTensor<S>> {
  constructor(private readonly promise: Promise<SharedTensor<S>>) {}

  then<A = SharedTensor<S>, B = never>(
    onfulfilled?: ((value: SharedTensor<S>) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.promise.then(onfulfilled, onrejected);
  }

  private chain(
    f: (t: SharedTensor<S>, o?: Operand<S>) => SharedTensor<S> | PromiseLike<SharedTensor<S>>,
    o?: PendingOperand<S>,
  ): PendingShared<S> {
    return pending(
      this.promise.then(async (t) => f(t, o === undefined ? undefined : await resolveOperand(o))),
    );
  }

  /** See {@link SharedTensor.add}. */
  add(o: PendingOperand<S>): PendingShared<S> {
    return this.chain((t, x) => t.add(x!), o);
  }
  /** See {@link SharedTensor.sub}. */
  sub(o: PendingOperand<S>): PendingShared<S> {
    return this.chain((t, x) => t.sub(x!), o);
  }
  /** See {@link SharedTensor.neg}. */
  neg(): PendingShared<S> {
    return this.chain((t) => t.neg());
  }
  /** See {@link SharedTensor.mul}. */
  mul(o: PendingOperand<S>): PendingShared<S> {
    return this.chain((t, x) => t.mul(x!), o);
  }
  /** See {@link SharedTensor.matmul}. */
  matmul(o: SharedTensor<S> | PendingShared<S>): PendingShared<S> {
    return this.chain((t, x) => t.matmul(x as SharedTensor<S>), o);
  }
  /** See {@link SharedTensor.sum}. */
  sum(axis?: number, keepDims = false): PendingShared<S> {
    return this.chain((t) => t.sum(axis, keepDims));
  }
  /** See {@link SharedTensor.mean}. */
  mean(axis?: number, keepDims = false): PendingShared<S> {
    return this.chain((t) => t.mean(axis, keepDims));
  }
  /** See {@link SharedTensor.relu}. */
  relu(): PendingShared<S> {
    return this.chain((t) => t.relu());
  }
  /** See {@link SharedTensor.lt}. */
  lt(o: PendingOperand<S>): PendingShared<S> {
    return this.chain((t, x) => t.lt(x!), o);
  }
  /** See {@link SharedTensor.gt}. */
  gt(o: PendingOperand<S>): PendingShared<S> {
    return this.chain((t, x) => t.gt(x!), o);
  }
  /** See {@link SharedTensor.max}. */
  max(axis = -1, keepDims = false): PendingShared<S> {
    return this.chain((t) => t.max(axis, keepDims));
  }
  /** See {@link SharedTensor.argMax}. */
  argMax(axis = -1): PendingShared<S> {
    return this.chain((t) => t.argMax(axis));
  }
  /** See {@link SharedTensor.reshape}. */
  reshape(shape: Shape): PendingShared<S> {
    return this.chain((t) => t.reshape(shape));
  }
  /** See {@link SharedTensor.transpose}. */
  transpose(perm?: readonly number[]): PendingShared<S> {
    return this.chain((t) => t.transpose(perm));
  }
  /** See {@link SharedTensor.reveal}. */
  reveal(to: readonly number[]): Promise<TfTensor | undefined> {
    return this.promise.then((t) => t.reveal(to));
  }
}

/** An operand of a pending chain: also a pending tensor. */
export type PendingOperand<S extends Share> = Operand<S> | PendingShared<S>;

async function resolveOperand<S extends Share>(o: PendingOperand<S>): Promise<Operand<S>> {
  return o instanceof PendingShared ? await o : o;
}

function pending<S extends Share>(p: Promise<SharedTensor<S>>): PendingShared<S> {
  return new PendingShared(p);
}

function encodePublic(v: PublicOperand, f: number): RingTensor {
  return typeof v === 'number' ? encodeFixed([v], [], f) : encodeFixed(v, f);
}

function isTensorLike(v: unknown): v is TensorLike {
  return typeof v === 'object' && v !== null && typeof (v as TensorLike).dataSync === 'function';
}
