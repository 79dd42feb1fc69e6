/**
 * The `rep3` protocol: replicated 2-out-of-3 secret sharing over Z_2^64 for three compute parties,
 * secure against one semi-honest (passively) corrupted party; dealer-free. References: Araki,
 * Furukawa, Lindell, Nof, Ohara, "High-throughput semi-honest secure three-party computation with
 * an honest majority", CCS 2016; Mohassel & Rindal, "ABY3: a mixed protocol framework for machine
 * learning", CCS 2018.
 *
 * Steps (details in each file): context.ts (shares, PRGs, zero sharings), io.ts (input, reveal),
 * arith.ts (mul, matmul, truncation), bool.ts (AND, a2b, bitToA), bounded.ts (comparisons within
 * `bits`, ReLU by bit injection; carry.ts, planes.ts, inject.ts). Local ops below act on both
 * components of a share; a public constant is added (or XORed) into component x_0 only, which
 * roles 0 (as cur) and 1 (as prev) hold. Costs per party are in cost.ts and checked by tests.
 *
 * Not secure against a malicious party (it can add errors to any value it touches), nor against
 * two colluding parties (together they hold all three components). See docs/PROTOCOLS.md.
 */
import { RingTensor, type Conv2dGeometry, type Shape } from '../../tensor/index.js';
import {
  ProtocolUsageError,
  type Cost,
  type CostedPrimitive,
  type CostExtra,
  type Protocol,
  type ShareKind,
} from '../protocol.js';
import type { Session } from '../session.js';
import * as shapes from '../shapes.js';
import { matmul, matmulTrunc, mul, mulTrunc } from './arith.js';
import { truncate } from './trunc.js';
import { a2b, a2bSummands, andBMany, bitToA } from './bool.js';
import { expectKind, Rep3Context, Rep3Share } from './context.js';
import { rep3Cost } from './cost.js';
import { input, reveal } from './io.js';
import { sliceView } from './local.js';
import { signBit, signBitCost } from './sign.js';
import { boundedMsb, boundedMsbCost, reluInject, reluInjectCost } from './bounded.js';

export { Rep3Share } from './context.js';

/** Options of {@link rep3Protocol}. */
export interface Rep3Options {
  /** Session indices of the three compute parties, by role (default [0, 1, 2]). */
  computeParties?: readonly number[];
}

type Comp = (t: RingTensor, role: number) => RingTensor;

/** The rep3 protocol on one party. */
export class Rep3Protocol implements Protocol<Rep3Share> {
  /** Protocol name. */
  readonly name = 'rep3' as const;
  /** Session indices of the compute parties, by role. */
  readonly computeParties: readonly number[];
  /** True on the three compute parties. */
  readonly isComputeParty: boolean;
  /** This party's role (0..2), or -1. */
  readonly role: number;
  private readonly ctx: Rep3Context;

  constructor(
    /** The session. */
    readonly session: Session,
    options: Rep3Options = {},
  ) {
    const cps = options.computeParties ?? [0, 1, 2];
    if (
      cps.length !== 3 ||
      new Set(cps).size !== 3 ||
      cps.some((p) => !Number.isInteger(p) || p < 0 || p >= session.parties)
    ) {
      throw new RangeError(
        `rep3 needs three distinct compute parties among ${session.parties}, got [${cps.join(',')}]`,
      );
    }
    this.computeParties = Object.freeze([...cps]);
    this.ctx = new Rep3Context(session, cps as [number, number, number]);
    this.role = this.ctx.role;
    this.isComputeParty = this.role >= 0;
  }

  /** Applies `f` to each component (with the component's index: 0 = cur, 1 = prev). */
  private map(
    x: Rep3Share,
    shape: Shape,
    kind: ShareKind,
    f: (t: RingTensor, which: number) => RingTensor,
  ): Rep3Share {
    if (!this.isComputeParty) return new Rep3Share(shape, kind);
    const [c, p] = this.ctx.parts(x, 'local op');
    return new Rep3Share(shape, kind, f(c, 0), f(p, 1));
  }

  /** True when this party's component `which` (0 = cur, 1 = prev) is x_0. */
  private holdsX0(which: number): boolean {
    return (this.role === 0 && which === 0) || (this.role === 1 && which === 1);
  }

  input(owner: number, value: RingTensor | undefined, shape: Shape): Promise<Rep3Share> {
    return input(this.ctx, owner, value, shape);
  }
  reveal(x: Rep3Share, to: readonly number[]): Promise<RingTensor | undefined> {
    return reveal(this.ctx, x, to);
  }
  fromPublic(p: RingTensor, kind: ShareKind): Rep3Share {
    if (!this.isComputeParty) return new Rep3Share(p.shape, kind);
    const part = (w: number): RingTensor => (this.holdsX0(w) ? p : RingTensor.zeros(p.shape));
    return new Rep3Share(p.shape, kind, part(0), part(1));
  }
  reshape(x: Rep3Share, shape: Shape): Rep3Share {
    const sh = shapes.reshapeShape(x.shape, shape);
    return this.map(x, sh, x.kind, (t) => t.reshape(sh));
  }
  transpose(x: Rep3Share, perm?: readonly number[]): Rep3Share {
    return this.map(x, shapes.transposeShape(x.shape, perm), x.kind, (t) => t.transpose(perm));
  }
  slice(x: Rep3Share, axis: number, start: number, end: number): Rep3Share {
    return this.map(x, shapes.sliceShape(x.shape, axis, start, end), x.kind, (t) =>
      sliceView(t, axis, start, end),
    );
  }
  concat(xs: readonly Rep3Share[], axis: number): Rep3Share {
    const sh = shapes.concatShape(
      xs.map((x) => x.shape),
      axis,
    );
    const kind = xs[0]!.kind;
    for (const x of xs) expectKind(x, kind, 'concat');
    if (!this.isComputeParty) return new Rep3Share(sh, kind);
    const parts = xs.map((x) => this.ctx.parts(x, 'concat'));
    return new Rep3Share(
      sh,
      kind,
      RingTensor.concat(
        parts.map((p) => p[0]),
        axis,
      ),
      RingTensor.concat(
        parts.map((p) => p[1]),
        axis,
      ),
    );
  }
  broadcastTo(x: Rep3Share, shape: Shape): Rep3Share {
    return this.map(x, shapes.broadcastShapes(x.shape, shape), x.kind, (t) => t.broadcastTo(shape));
  }
  im2col(x: Rep3Share, g: Conv2dGeometry): { patches: Rep3Share; oh: number; ow: number } {
    const r = shapes.im2colShape(x.shape, g);
    return { patches: this.map(x, r.shape, x.kind, (t) => t.im2col(g).patches), oh: r.oh, ow: r.ow };
  }
  sum(x: Rep3Share, axis?: number, keepDims = false): Rep3Share {
    expectKind(x, 'A', 'sum');
    return this.map(x, shapes.sumShape(x.shape, axis, keepDims), 'A', (t) => t.sum(axis, keepDims));
  }

  private zip(
    a: Rep3Share,
    b: Rep3Share,
    kind: ShareKind,
    what: string,
    f: (x: RingTensor, y: RingTensor) => RingTensor,
  ): Rep3Share {
    expectKind(a, kind, what);
    expectKind(b, kind, what);
    const sh = shapes.broadcastShapes(a.shape, b.shape);
    if (!this.isComputeParty) return new Rep3Share(sh, kind);
    const [ac, ap] = this.ctx.parts(a, what);
    const [bc, bp] = this.ctx.parts(b, what);
    return new Rep3Share(sh, kind, f(ac, bc), f(ap, bp));
  }
  /** A public operand applied to x_0 only (`onX0`) or to both components (`onBoth`). */
  private pub(
    a: Rep3Share,
    p: RingTensor | bigint,
    kind: ShareKind,
    what: string,
    onX0: Comp | undefined,
    onBoth?: Comp,
  ): Rep3Share {
    expectKind(a, kind, what);
    const sh = typeof p === 'bigint' ? [...a.shape] : shapes.broadcastShapes(a.shape, p.shape);
    return this.map(a, sh, kind, (t, w) => {
      if (onBoth !== undefined) return onBoth(t, w);
      return this.holdsX0(w) ? onX0!(t, w) : t.broadcastTo(sh);
    });
  }

  add(a: Rep3Share, b: Rep3Share): Rep3Share {
    return this.zip(a, b, 'A', 'add', (x, y) => x.add(y));
  }
  sub(a: Rep3Share, b: Rep3Share): Rep3Share {
    return this.zip(a, b, 'A', 'sub', (x, y) => x.sub(y));
  }
  neg(a: Rep3Share): Rep3Share {
    expectKind(a, 'A', 'neg');
    return this.map(a, a.shape, 'A', (t) => t.neg());
  }
  addPublic(a: Rep3Share, p: RingTensor | bigint): Rep3Share {
    return this.pub(a, p, 'A', 'addPublic', (t) => t.add(p));
  }
  mulPublic(a: Rep3Share, p: RingTensor | bigint): Rep3Share {
    return this.pub(a, p, 'A', 'mulPublic', undefined, (t) => t.mul(p));
  }
  shlA(a: Rep3Share, k: number): Rep3Share {
    expectKind(a, 'A', 'shlA');
    return this.map(a, a.shape, 'A', (t) => t.shl(k));
  }
  mul(a: Rep3Share, b: Rep3Share): Promise<Rep3Share> {
    return mul(this.ctx, a, b);
  }
  matmul(a: Rep3Share, b: Rep3Share): Promise<Rep3Share> {
    return matmul(this.ctx, a, b);
  }
  truncate(a: Rep3Share, bits: number): Promise<Rep3Share> {
    return truncate(this.ctx, a, bits);
  }
  mulTrunc(a: Rep3Share, b: Rep3Share, bits: number): Promise<Rep3Share> {
    return mulTrunc(this.ctx, a, b, bits);
  }
  matmulTrunc(a: Rep3Share, b: Rep3Share, bits: number): Promise<Rep3Share> {
    return matmulTrunc(this.ctx, a, b, bits);
  }

  xorB(a: Rep3Share, b: Rep3Share): Rep3Share {
    return this.zip(a, b, 'B', 'xorB', (x, y) => x.xor(y));
  }
  xorPublicB(a: Rep3Share, p: RingTensor | bigint): Rep3Share {
    return this.pub(a, p, 'B', 'xorPublicB', (t) => t.xor(p));
  }
  andPublicB(a: Rep3Share, p: RingTensor | bigint): Rep3Share {
    return this.pub(a, p, 'B', 'andPublicB', undefined, (t) => t.and(p));
  }
  notB(a: Rep3Share): Rep3Share {
    return this.pub(a, 0n, 'B', 'notB', (t) => t.not());
  }
  shlB(a: Rep3Share, k: number): Rep3Share {
    expectKind(a, 'B', 'shlB');
    return this.map(a, a.shape, 'B', (t) => t.shl(k));
  }
  shrB(a: Rep3Share, k: number): Rep3Share {
    expectKind(a, 'B', 'shrB');
    return this.map(a, a.shape, 'B', (t) => t.shr(k));
  }
  async andB(a: Rep3Share, b: Rep3Share): Promise<Rep3Share> {
    const [r] = await andBMany(this.ctx, [[a, b]]);
    return r!;
  }
  andBMany(pairs: readonly (readonly [Rep3Share, Rep3Share])[]): Promise<Rep3Share[]> {
    if (pairs.length === 0) throw new ProtocolUsageError('andBMany needs at least one pair');
    return andBMany(this.ctx, pairs);
  }
  a2b(a: Rep3Share): Promise<Rep3Share> {
    return a2b(this.ctx, this, a);
  }
  bitToA(b: Rep3Share): Promise<Rep3Share> {
    return bitToA(this.ctx, b);
  }
  /** The carry-save summands of a2b (1 round, n words to the next party). */
  a2bSummands(a: Rep3Share): Promise<[Rep3Share, Rep3Share]> {
    return a2bSummands(this.ctx, this, a);
  }
  /** The sign bit, by the packed carry tree fused on the share words (8 rounds). */
  signBit(a: Rep3Share): Promise<Rep3Share> {
    return signBit(this.ctx, a);
  }
  /** Cost of {@link signBit}. */
  signBitCost(elements: number): Cost {
    return signBitCost(this.ctx, elements);
  }
  /** A shares of msb(a), or 1 - msb(a), for a in [-2^(bits-1), 2^(bits-1)), bits < 64 (bounded.ts). */
  msbBounded(a: Rep3Share, bits: number, negate: boolean): Promise<Rep3Share> {
    return boundedMsb(this.ctx, a, bits, negate);
  }
  /** Cost of {@link msbBounded}. */
  msbBoundedCost(elements: number, bits: number): Cost {
    return boundedMsbCost(this.ctx, elements, bits);
  }
  /** max(a, 0) by bit injection, for a in [-2^(bits-1), 2^(bits-1)) (bits = 64: any value). */
  reluInjected(a: Rep3Share, bits: number): Promise<Rep3Share> {
    return reluInject(this.ctx, a, bits);
  }
  /** Cost of {@link reluInjected}. */
  reluInjectedCost(elements: number, bits: number): Cost {
    return reluInjectCost(this.ctx, elements, bits);
  }
  /** Cost of {@link a2bSummands}: that of an AND. */
  a2bSummandsCost(elements: number): Cost {
    return rep3Cost(this.ctx, 'andB', elements, {});
  }

  /** This party's rounds and bytes for a primitive (see cost.ts). */
  cost(primitive: CostedPrimitive, elements: number, extra: CostExtra = {}): Cost {
    return rep3Cost(this.ctx, primitive, elements, extra);
  }
}

/** Creates the rep3 protocol on a session. */
export function rep3Protocol(session: Session, options: Rep3Options = {}): Rep3Protocol {
  return new Rep3Protocol(session, options);
}
