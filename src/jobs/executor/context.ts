/**
 * The executor's context: the protocol of the session plus the fixed-point helpers every op
 * implementation shares. Values are A shares of fixed-point numbers with `f` fractional bits.
 *
 * Magnitudes (docs/PROTOCOLS.md): a truncation fails with probability about |x| / 2^64 per element
 * where x is the value being truncated, read as an integer. The helpers keep that value small:
 * {@link ExecContext.scalePublic} truncates large operands before multiplying by a small factor,
 * and the statistics pre-scale centred data before summing products (see moments.ts).
 */
import { encodeFixed, RingTensor, type Shape } from '../../tensor/index.js';
import { msb, oneMinus } from '../../protocols/ops/compare.js';
import type { Protocol, Share } from '../../protocols/protocol.js';
import { OpUnavailableError } from '../errors.js';

/** Bits of precision of a public factor in {@link ExecContext.scalePublic}. */
export const SCALE_BITS = 20;

/** Nonlinear functions on fixed-point A shares (from the engine's generic ops when present). */
export interface NonlinearOps {
  /** 1/sqrt(x) for positive x. */
  rsqrt?(p: Protocol, x: Share, f: number): Promise<Share>;
  /** 1/x for positive x. */
  reciprocal?(p: Protocol, x: Share, f: number): Promise<Share>;
  /** e^x. */
  exp?(p: Protocol, x: Share, f: number): Promise<Share>;
  /** 1/(1+e^-x). */
  sigmoid?(p: Protocol, x: Share, f: number): Promise<Share>;
}

/** A range guard: shares of 0/1 integers (1: in range), opened to the recipient before the outputs. */
export interface RangeGuard {
  /** The node whose result depends on it. */
  node: string;
  /** What a 0 means, for the error (ids and shapes only). */
  what: string;
  /** The bits. */
  bits: Share;
}

/** What op implementations run with. */
export class ExecContext {
  /** Range guards the ops registered (see {@link guard}). */
  readonly guards: RangeGuard[] = [];
  private readonly memos = new Map<string, Promise<unknown>>();

  constructor(
    /** The protocol (over the job's session). */
    readonly p: Protocol,
    /** Fractional bits. */
    readonly f: number,
    /** Nonlinear functions available. */
    readonly nonlinear: NonlinearOps = {},
  ) {}

  /** A public real tensor as a fixed-point ring tensor. */
  fixed(values: readonly number[], shape: Shape = [values.length]): RingTensor {
    return encodeFixed(values, shape, this.f);
  }

  /** A public real tensor as a share. */
  constant(values: readonly number[], shape: Shape = [values.length]): Share {
    return this.p.fromPublic(this.fixed(values, shape), 'A');
  }

  /** x * y with truncation (both fixed point). */
  mul(x: Share, y: Share): Promise<Share> {
    return this.p.mulTrunc(x, y, this.f);
  }

  /** x @ y with truncation (both fixed point). */
  matmul(x: Share, y: Share): Promise<Share> {
    return this.p.matmulTrunc(x, y, this.f);
  }

  /**
   * x times the public real c. When |c| < 1/2, x is first truncated by floor(log2(1/|c|)) bits
   * (exact up to one unit in the last place of the result) so that the product stays small; then
   * it is multiplied by round(c' * 2^SCALE_BITS) and truncated by SCALE_BITS. Relative error of
   * the factor: 2^-SCALE_BITS. Up to 2 rounds.
   */
  async scalePublic(x: Share, c: number): Promise<Share> {
    if (!Number.isFinite(c)) throw new RangeError('scale factor is not finite');
    if (c === 0) return this.p.mulPublic(x, 0n);
    let y = x;
    let factor = c;
    const e = Math.floor(-Math.log2(Math.abs(c)));
    if (e > 0) {
      y = await this.p.truncate(y, e);
      factor = c * 2 ** e;
    }
    if (Number.isInteger(factor) && Math.abs(factor) < 2 ** 20)
      return this.p.mulPublic(y, BigInt.asUintN(64, BigInt(factor)));
    const m = BigInt(Math.round(factor * 2 ** SCALE_BITS));
    return this.p.truncate(this.p.mulPublic(y, BigInt.asUintN(64, m)), SCALE_BITS);
  }

  /**
   * A shares of [x >= 0] as integers 0/1 (not fixed point): 1 - msb(x) (src/protocols/ops/compare).
   */
  async geZero(x: Share): Promise<Share> {
    return oneMinus(this.p, await msb(this.p, x));
  }

  /**
   * Registers bits that must all be 1 for `node`'s result to be within its stated error (e.g. an
   * rsqrt input inside its domain); the recipient opens them before any output and fails the job
   * with ImpreciseResultError on a 0. Each bit discloses only whether an aggregate is in range.
   */
  guard(node: string, what: string, bits: Share): void {
    this.guards.push({ node, what, bits });
  }

  /**
   * `compute()` once per key (e.g. one regression solve shared by its summary and fit nodes); every
   * party asks in the same order, so the shared computation runs at the same point on all.
   */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
    let hit = this.memos.get(key) as Promise<T> | undefined;
    if (hit === undefined) {
      hit = compute();
      this.memos.set(key, hit);
    }
    return hit;
  }

  /** The nonlinear function `name`, or an error saying it is not in this build. */
  need(name: keyof NonlinearOps, op: string): (p: Protocol, x: Share, f: number) => Promise<Share> {
    const fn = this.nonlinear[name];
    if (fn === undefined) {
      throw new OpUnavailableError(
        op,
        `it needs the engine's ${name}, which src/protocols/ops does not provide yet`,
      );
    }
    return fn;
  }

  /** The diagonal of a square [p, p] share, as [p] (local). */
  diagonal(x: Share): Share {
    const n = x.shape[0]!;
    const flat = this.p.reshape(x, [n * n]);
    const parts = Array.from({ length: n }, (_, i) => this.p.slice(flat, 0, i * (n + 1), i * (n + 1) + 1));
    return n === 1 ? parts[0]! : this.p.concat(parts, 0);
  }
}
