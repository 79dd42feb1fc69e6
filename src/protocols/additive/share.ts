/**
 * The share type of the `additive` protocol: party i's summand x_i of an n-out-of-n additive
 * sharing x = x_0 + ... + x_{n-1} mod 2^64 (kind A), or of an XOR sharing x = x_0 ^ ... ^ x_{n-1}
 * of 64-bit words (kind B). Parties that hold no shares (the dealer, data owners, the requester)
 * carry the public shape and kind only, so every party runs the same program (SPMD).
 */
import type { RingTensor } from '../../tensor/index.js';
import { ProtocolUsageError, type Share, type ShareKind } from '../protocol.js';

/** One party's share of a tensor under the `additive` protocol. */
export class AdditiveShare implements Share {
  /** The shape of the shared tensor (public). */
  readonly shape: readonly number[];

  constructor(
    shape: readonly number[],
    /** Arithmetic (sum mod 2^64) or boolean (XOR of words). */
    readonly kind: ShareKind,
    /** This party's summand; undefined on parties that hold no shares. */
    readonly local: RingTensor | undefined,
  ) {
    this.shape = Object.freeze([...shape]);
  }

  /** Describes the share without its contents (safe to log). */
  toString(): string {
    return `AdditiveShare<${this.kind}>[${this.shape.join(',')}]`;
  }
}

/** The local summand of `x`, or a ProtocolUsageError when this party holds none. */
export function own(x: AdditiveShare, what: string): RingTensor {
  if (x.local === undefined) throw new ProtocolUsageError(`${what}: this party holds no share of ${x}`);
  return x.local;
}

/** Throws unless `x` has the expected kind. */
export function expectKind(x: AdditiveShare, kind: ShareKind, what: string): void {
  if (!(x instanceof AdditiveShare)) throw new ProtocolUsageError(`${what}: not an additive share`);
  if (x.kind !== kind) throw new ProtocolUsageError(`${what} needs a ${kind} share, got ${x}`);
}
