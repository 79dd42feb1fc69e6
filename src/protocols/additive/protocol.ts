/**
 * The `additive` protocol: n >= 2 compute parties hold n-out-of-n additive shares over Z_2^64 (and
 * XOR shares of 64-bit words), and a dealer party, which is not a compute party, produces the
 * correlated randomness: Beaver triples (Beaver 1991), matrix triples, boolean triples,
 * truncation pairs and daBits, with seed compression (CrypTen's TTP provider, Knott et al. 2021).
 *
 * Security: semi-honest, against any coalition of compute parties (and other parties) that
 * excludes the dealer. A corrupted dealer, or a dealer that colludes with any compute party,
 * learns everything; deviations from the protocol are not detected. See docs/PROTOCOLS.md.
 *
 * Linear ops are local: every compute party applies them to its summand, and the leader (the
 * first compute party) alone adds public constants. Interactive primitives live in beaver.ts,
 * truncation.ts, convert.ts and io.ts, which open values through wire.ts (all-to-all for up to 3
 * compute parties, through kings beyond: the `openings` option); their costs in cost.ts.
 */
import { RingTensor, broadcastShapes, type Conv2dGeometry, type Shape } from '../../tensor/index.js';
import {
  checkTruncation,
  ProtocolUsageError,
  type Cost,
  type CostedPrimitive,
  type Protocol,
  type ShareKind,
} from '../protocol.js';
import type { Session } from '../session.js';
import { andMany, beaver } from './beaver.js';
import { pairPrgCache, type AdditiveContext } from './context.js';
import { a2b, a2bSummands, bitToA } from './convert.js';
import { additiveCost, type AdditiveCostExtra, type CostParty } from './cost.js';
import { truncPair } from './correlations.js';
import { SeededDealer } from './dealer.js';
import { ScratchPool } from './pool.js';
import { input, reveal } from './io.js';
import { AdditiveShare, expectKind, own } from './share.js';
import { signBit, signBitCost } from './sign.js';
import * as shapes from '../shapes.js';
import { truncateLocal, truncatePair, truncateWithPair, type TruncationMode } from './truncation.js';
import { openingKings, openSteps, type OpeningMode } from './wire.js';

/** Who plays which role in an `additive` session. */
export interface AdditiveOptions {
  /** Session indices of the compute parties (at least two, distinct). */
  computeParties: readonly number[];
  /** Session index of the dealer (not a compute party). */
  dealer: number;
  /**
   * 'pair' (default): truncation pairs from the dealer, one round, exact for |x| < 2^62;
   * 'local': SecureML local truncation, no communication (two compute parties only), but it
   * fails with probability about |x| / 2^64 per element (off by 2^(64-d)): opt in only where
   * that is acceptable and stated.
   */
  truncation?: TruncationMode;
  /**
   * How values are opened among the compute parties (wire.ts): 'all', all-to-all, one round,
   * 8W(N-1) bytes per party for W words; 'king', through kings (each compute party the king of
   * 1/N of the words), two rounds, about 16W bytes per party; 'auto' (default): 'all' for up to 3
   * compute parties, 'king' beyond.
   */
  openings?: OpeningMode;
}

/** One party's instance of the `additive` protocol. */
export class AdditiveProtocol implements Protocol<AdditiveShare> {
  /** Which protocol this is. */
  readonly name = 'additive' as const;
  /** Session indices of the compute parties. */
  readonly computeParties: readonly number[];
  /** True when this party holds shares. */
  readonly isComputeParty: boolean;
  /** Session index of the dealer. */
  readonly dealer: number;
  /** How this instance truncates. */
  readonly truncation: TruncationMode;
  /** True when openings go through kings ({@link AdditiveOptions.openings} resolved). */
  readonly kings: boolean;
  private readonly ctx: AdditiveContext;

  constructor(
    /** The session it runs in. */
    readonly session: Session,
    options: AdditiveOptions,
  ) {
    const { computeParties, dealer } = options;
    const valid = (p: number): boolean => Number.isInteger(p) && p >= 0 && p < session.parties;
    if (computeParties.length < 2)
      throw new ProtocolUsageError('additive needs at least two compute parties');
    if (!computeParties.every(valid) || new Set(computeParties).size !== computeParties.length) {
      throw new ProtocolUsageError('additive: compute parties must be distinct parties of the session');
    }
    if (!valid(dealer) || computeParties.includes(dealer)) {
      throw new ProtocolUsageError(
        'additive: the dealer must be a party of the session and not a compute party',
      );
    }
    const truncation = options.truncation ?? 'pair';
    if (truncation === 'local' && computeParties.length !== 2) {
      throw new ProtocolUsageError('additive: local truncation needs exactly two compute parties');
    }
    const openings = options.openings ?? 'auto';
    if (!['all', 'king', 'auto'].includes(openings)) {
      throw new ProtocolUsageError(
        `additive: openings must be 'all', 'king' or 'auto', not ${String(openings)}`,
      );
    }
    this.kings = openingKings(openings, computeParties.length);
    this.computeParties = Object.freeze([...computeParties]);
    this.dealer = dealer;
    this.truncation = truncation;
    this.isComputeParty = computeParties.includes(session.self);
    const pairPrg = pairPrgCache(session);
    const pool = new ScratchPool();
    this.ctx = {
      session,
      parties: this.computeParties,
      isCompute: this.isComputeParty,
      kings: this.kings,
      leader: computeParties[0]!,
      dealer: new SeededDealer(session, this.computeParties, dealer, pairPrg, pool),
      pool,
      pairPrg,
    };
  }

  /** Party `owner` secret-shares `value` (given on the owner only) as an A share. */
  async input(owner: number, value: RingTensor | undefined, shape: Shape): Promise<AdditiveShare> {
    return input(this.ctx, owner, value, shape);
  }

  /** Opens `x` to the parties in `to` only (never the dealer). */
  async reveal(x: AdditiveShare, to: readonly number[]): Promise<RingTensor | undefined> {
    return reveal(this.ctx, x, to);
  }

  /** A public tensor as a share: the leader holds it, the other compute parties zeros. */
  fromPublic(p: RingTensor, kind: ShareKind): AdditiveShare {
    if (!this.isComputeParty) return new AdditiveShare(p.shape, kind, undefined);
    return new AdditiveShare(p.shape, kind, this.isLeader() ? p.clone() : new RingTensor(p.shape));
  }

  /** Reshape (one -1 is inferred). */
  reshape(x: AdditiveShare, shape: Shape): AdditiveShare {
    return this.local(x, shapes.reshapeShape(x.shape, shape), (t) => t.reshape(shape));
  }

  /** Permutes axes. */
  transpose(x: AdditiveShare, perm?: readonly number[]): AdditiveShare {
    return this.local(x, shapes.transposeShape(x.shape, perm), (t) => t.transpose(perm));
  }

  /** Elements [start, end) along `axis`. */
  slice(x: AdditiveShare, axis: number, start: number, end: number): AdditiveShare {
    return this.local(x, shapes.sliceShape(x.shape, axis, start, end), (t) => t.slice(axis, start, end));
  }

  /** Concatenation along `axis` (all of one kind). */
  concat(xs: readonly AdditiveShare[], axis: number): AdditiveShare {
    const kind = xs[0]?.kind ?? 'A';
    for (const x of xs) expectKind(x, kind, 'concat');
    const shape = shapes.concatShape(
      xs.map((x) => x.shape),
      axis,
    );
    if (!this.isComputeParty) return new AdditiveShare(shape, kind, undefined);
    return new AdditiveShare(
      shape,
      kind,
      RingTensor.concat(
        xs.map((x) => own(x, 'concat')),
        axis,
      ),
    );
  }

  /** Materialises `x` at a broadcast shape. */
  broadcastTo(x: AdditiveShare, shape: Shape): AdditiveShare {
    return this.local(x, [...shape], (t) => t.broadcastTo(shape));
  }

  /** im2col of an NHWC share. */
  im2col(x: AdditiveShare, g: Conv2dGeometry): { patches: AdditiveShare; oh: number; ow: number } {
    const { shape, oh, ow } = shapes.im2colShape(x.shape, g);
    return { patches: this.local(x, shape, (t) => t.im2col(g).patches), oh, ow };
  }

  /** Sum along an axis (A shares). */
  sum(x: AdditiveShare, axis?: number, keepDims = false): AdditiveShare {
    expectKind(x, 'A', 'sum');
    return this.local(x, shapes.sumShape(x.shape, axis, keepDims), (t) => t.sum(axis, keepDims));
  }

  /** a + b. */
  add(a: AdditiveShare, b: AdditiveShare): AdditiveShare {
    return this.binary(a, b, 'A', 'add', (x, y) => x.add(y));
  }

  /** a - b. */
  sub(a: AdditiveShare, b: AdditiveShare): AdditiveShare {
    return this.binary(a, b, 'A', 'sub', (x, y) => x.sub(y));
  }

  /** -a. */
  neg(a: AdditiveShare): AdditiveShare {
    expectKind(a, 'A', 'neg');
    return this.local(a, a.shape, (t) => t.neg());
  }

  /** a + p (the leader adds p). */
  addPublic(a: AdditiveShare, p: RingTensor | bigint): AdditiveShare {
    expectKind(a, 'A', 'addPublic');
    return this.leaderOp(a, p, (t, q) => t.add(q));
  }

  /** a * p (every party multiplies its summand). */
  mulPublic(a: AdditiveShare, p: RingTensor | bigint): AdditiveShare {
    expectKind(a, 'A', 'mulPublic');
    return this.everyOp(a, p, (t, q) => t.mul(q));
  }

  /** a << k. */
  shlA(a: AdditiveShare, k: number): AdditiveShare {
    expectKind(a, 'A', 'shlA');
    return this.local(a, a.shape, (t) => t.shl(k));
  }

  /** Elementwise product (Beaver triple, one opening). */
  async mul(a: AdditiveShare, b: AdditiveShare): Promise<AdditiveShare> {
    this.checkBinary(a, b, 'A', 'mul');
    return (await beaver(this.ctx, 'mul', a, b)).z;
  }

  /** Matrix product (matrix triple, one opening). */
  async matmul(a: AdditiveShare, b: AdditiveShare): Promise<AdditiveShare> {
    this.checkBinary(a, b, 'A', 'matmul');
    return (await beaver(this.ctx, 'matmul', a, b)).z;
  }

  /** Probabilistic truncation by `bits` (see truncation.ts for the error). */
  async truncate(a: AdditiveShare, bits: number): Promise<AdditiveShare> {
    expectKind(a, 'A', 'truncate');
    checkTruncation(bits);
    if (this.truncation === 'local') return Promise.resolve(truncateLocal(this.ctx, a, bits));
    return truncatePair(this.ctx, a, bits);
  }

  /** mul then truncate; with pairs, the triple and the pair come in one dealer message. */
  async mulTrunc(a: AdditiveShare, b: AdditiveShare, bits: number): Promise<AdditiveShare> {
    this.checkBinary(a, b, 'A', 'mulTrunc');
    return this.productTrunc('mul', a, b, bits);
  }

  /** matmul then truncate, as mulTrunc. */
  async matmulTrunc(a: AdditiveShare, b: AdditiveShare, bits: number): Promise<AdditiveShare> {
    this.checkBinary(a, b, 'A', 'matmulTrunc');
    return this.productTrunc('matmul', a, b, bits);
  }

  /** a ^ b. */
  xorB(a: AdditiveShare, b: AdditiveShare): AdditiveShare {
    return this.binary(a, b, 'B', 'xorB', (x, y) => x.xor(y));
  }

  /** a ^ p (the leader). */
  xorPublicB(a: AdditiveShare, p: RingTensor | bigint): AdditiveShare {
    expectKind(a, 'B', 'xorPublicB');
    return this.leaderOp(a, p, (t, q) => t.xor(q));
  }

  /** a & p (every party). */
  andPublicB(a: AdditiveShare, p: RingTensor | bigint): AdditiveShare {
    expectKind(a, 'B', 'andPublicB');
    return this.everyOp(a, p, (t, q) => t.and(q));
  }

  /** ~a (the leader flips its summand). */
  notB(a: AdditiveShare): AdditiveShare {
    expectKind(a, 'B', 'notB');
    return this.local(a, a.shape, (t) => (this.isLeader() ? t.not() : t));
  }

  /** a << k on words. */
  shlB(a: AdditiveShare, k: number): AdditiveShare {
    expectKind(a, 'B', 'shlB');
    return this.local(a, a.shape, (t) => t.shl(k));
  }

  /** a >>> k on words. */
  shrB(a: AdditiveShare, k: number): AdditiveShare {
    expectKind(a, 'B', 'shrB');
    return this.local(a, a.shape, (t) => t.shr(k));
  }

  /** a & b (boolean triple, one opening). */
  async andB(a: AdditiveShare, b: AdditiveShare): Promise<AdditiveShare> {
    return (await this.andBMany([[a, b]]))[0]!;
  }

  /** Independent ANDs in one opening and one dealer message. */
  async andBMany(pairs: readonly (readonly [AdditiveShare, AdditiveShare])[]): Promise<AdditiveShare[]> {
    for (const [a, b] of pairs) this.checkBinary(a, b, 'B', 'andB');
    if (pairs.length === 0) return Promise.resolve([]);
    return andMany(this.ctx, pairs);
  }

  /** Arithmetic to boolean: carry-save tree and Kogge-Stone adder. */
  async a2b(a: AdditiveShare): Promise<AdditiveShare> {
    expectKind(a, 'A', 'a2b');
    return a2b(this.ctx, this, a);
  }

  /** B shares of two values summing to `a` (the carry-save levels of a2b; free for two compute parties). */
  async a2bSummands(a: AdditiveShare): Promise<[AdditiveShare, AdditiveShare]> {
    expectKind(a, 'A', 'a2bSummands');
    return a2bSummands(this.ctx, this, a);
  }

  /** The cost of {@link a2bSummands} on this party. */
  a2bSummandsCost(elements: number): Cost {
    return additiveCost(this.costParty(), 'a2bSummands', elements);
  }

  /** The sign bit as a B share (bit 0): the packed carry tree of ops/msb.ts, fused on the summands. */
  async signBit(a: AdditiveShare): Promise<AdditiveShare> {
    expectKind(a, 'A', 'signBit');
    return signBit(this.ctx, this, a);
  }

  /** The cost of {@link signBit} on this party. */
  signBitCost(elements: number): Cost {
    const who = this.costParty();
    return signBitCost(
      additiveCost(who, 'a2bSummands', elements),
      (w) => additiveCost(who, 'andB', w),
      elements,
    );
  }

  /** Bit 0 of B shares as A shares of 0/1 (daBits, one opening). */
  async bitToA(b: AdditiveShare): Promise<AdditiveShare> {
    expectKind(b, 'B', 'bitToA');
    return bitToA(this.ctx, b);
  }

  /**
   * The cost of a primitive on this party (see cost.ts). A matmul's traffic depends on its
   * operands' sizes: pass them as `extra.operands` (see AdditiveCostExtra).
   */
  cost(primitive: CostedPrimitive, elements: number, extra?: AdditiveCostExtra): Cost {
    return additiveCost(this.costParty(), primitive, elements, extra);
  }

  private costParty(): CostParty {
    return {
      self: this.session.self,
      parties: this.computeParties,
      dealer: this.dealer,
      truncation: this.truncation,
      kings: this.kings,
    };
  }

  private async productTrunc(
    kind: 'mul' | 'matmul',
    a: AdditiveShare,
    b: AdditiveShare,
    bits: number,
  ): Promise<AdditiveShare> {
    checkTruncation(bits);
    if (this.truncation === 'local')
      return truncateLocal(this.ctx, (await beaver(this.ctx, kind, a, b)).z, bits);
    const outShape = kind === 'mul' ? undefined : shapes.matmulShape(a.shape, b.shape);
    const pair = truncPair(outShape ?? broadcast(a.shape, b.shape), bits);
    const { z, extra, release } = await beaver(this.ctx, kind, a, b, [pair]);
    const out = await truncateWithPair(this.ctx, openSteps(this.ctx), z, bits, extra[0]);
    release();
    return out;
  }

  private isLeader(): boolean {
    return this.session.self === this.ctx.leader;
  }

  private local(x: AdditiveShare, shape: readonly number[], f: (t: RingTensor) => RingTensor): AdditiveShare {
    if (!(x instanceof AdditiveShare)) throw new ProtocolUsageError('not an additive share');
    if (!this.isComputeParty) return new AdditiveShare(shape, x.kind, undefined);
    return new AdditiveShare(shape, x.kind, f(own(x, 'local op')));
  }

  private leaderOp(
    a: AdditiveShare,
    p: RingTensor | bigint,
    f: (t: RingTensor, p: RingTensor | bigint) => RingTensor,
  ): AdditiveShare {
    const shape = typeof p === 'bigint' ? a.shape : broadcast(a.shape, p.shape);
    if (!this.isComputeParty) return new AdditiveShare(shape, a.kind, undefined);
    const t = own(a, 'public op');
    return new AdditiveShare(shape, a.kind, this.isLeader() ? f(t, p) : t.broadcastTo(shape));
  }

  private everyOp(
    a: AdditiveShare,
    p: RingTensor | bigint,
    f: (t: RingTensor, p: RingTensor | bigint) => RingTensor,
  ): AdditiveShare {
    const shape = typeof p === 'bigint' ? a.shape : broadcast(a.shape, p.shape);
    return this.local(a, shape, (t) => f(t, p));
  }

  private checkBinary(a: AdditiveShare, b: AdditiveShare, kind: ShareKind, what: string): void {
    expectKind(a, kind, what);
    expectKind(b, kind, what);
  }

  private binary(
    a: AdditiveShare,
    b: AdditiveShare,
    kind: ShareKind,
    what: string,
    f: (x: RingTensor, y: RingTensor) => RingTensor,
  ): AdditiveShare {
    this.checkBinary(a, b, kind, what);
    const shape = broadcast(a.shape, b.shape);
    if (!this.isComputeParty) return new AdditiveShare(shape, kind, undefined);
    return new AdditiveShare(shape, kind, f(own(a, what), own(b, what)));
  }
}

function broadcast(a: readonly number[], b: readonly number[]): number[] {
  return broadcastShapes(a, b);
}

/** The registry's default setup: every session party computes but the last, which deals. */
export function additiveWithDealer(session: Session): Protocol<AdditiveShare> {
  const n = session.parties - 1;
  return new AdditiveProtocol(session, { computeParties: [...Array(n).keys()], dealer: n });
}
