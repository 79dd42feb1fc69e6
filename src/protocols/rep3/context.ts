/**
 * rep3 share type and the per-party context its primitives share.
 *
 * Replicated 2-out-of-3 sharing (Araki et al. CCS 2016; ABY3, Mohassel & Rindal CCS 2018): a value
 * x = x_0 + x_1 + x_2 mod 2^64 (kind A) or x = x_0 ^ x_1 ^ x_2 (kind B). The compute party of role
 * r (0..2) holds `cur` = x_r and `prev` = x_{r-1}; so each component is held by two parties and any
 * one party sees two uniformly random looking components. Role r+1 is "next", role r-1 "prev".
 *
 * Randomness: K_r is the PRG seeded by the x25519 agreement of roles r and r+1 (session.pairPrg),
 * so role r holds K_r (`kNext`) and K_{r-1} (`kPrev`). Both ends of a pair draw the same number of
 * words in the same order, which SPMD guarantees. Zero sharings are alpha_r = K_r - K_{r-1}
 * (arithmetic) or K_r ^ K_{r-1} (boolean): they sum to zero and each hides the value it masks from
 * the one party that does not hold K_{r-1}.
 */
import { kernel, RingTensor, type Prg, type Shape } from '../../tensor/index.js';
import { ProtocolUsageError, type Share, type ShareKind } from '../protocol.js';
import type { Session } from '../session.js';

/** One party's rep3 share: (x_r, x_{r-1}) on compute parties, nothing elsewhere. */
export class Rep3Share implements Share {
  /** The public shape. */
  readonly shape: readonly number[];
  constructor(
    shape: Shape,
    /** Arithmetic or boolean. */
    readonly kind: ShareKind,
    /** x_r (compute parties only). */
    readonly cur?: RingTensor,
    /** x_{r-1} (compute parties only). */
    readonly prev?: RingTensor,
  ) {
    this.shape = Object.freeze([...shape]);
  }
  /** Describes the share without its contents (safe to log). */
  toString(): string {
    return `Rep3Share<${this.kind}>[${this.shape.join(',')}]`;
  }
}

/** What every rep3 primitive needs to know about this party. */
export class Rep3Context {
  /** This party's role 0..2, or -1 when it is not a compute party. */
  readonly role: number;
  /** Session index of the next compute party (role+1), -1 when not a compute party. */
  readonly next: number;
  /** Session index of the previous compute party (role-1), -1 when not a compute party. */
  readonly prev: number;
  private readonly scratchWords: BigUint64Array[] = [];

  constructor(
    /** The session. */
    readonly session: Session,
    /** Session indices of the compute parties, by role. */
    readonly parties: readonly [number, number, number],
  ) {
    this.role = parties.indexOf(session.self);
    this.next = this.role < 0 ? -1 : parties[(this.role + 1) % 3]!;
    this.prev = this.role < 0 ? -1 : parties[(this.role + 2) % 3]!;
  }

  /** True on compute parties. */
  get compute(): boolean {
    return this.role >= 0;
  }

  /** K_role, shared with the next party. */
  kNext(): Prg {
    return this.session.pairPrg(this.next);
  }

  /** K_{role-1}, shared with the previous party. */
  kPrev(): Prg {
    return this.session.pairPrg(this.prev);
  }

  /**
   * A reusable scratch area of n words (never sent, never kept in a share). `slot` 0 is used by
   * zeroA/zeroB; callers use other slots for their own temporaries.
   */
  scratch(n: number, slot = 0): BigUint64Array {
    let b = this.scratchWords[slot];
    if (b === undefined || b.length < n) {
      b = kernel().alloc(Math.max(n, 2 * (b?.length ?? 0)));
      this.scratchWords[slot] = b;
    }
    return b.subarray(0, n);
  }

  /** Overwrites `out` with this party's arithmetic zero-share K_r - K_{r-1}. */
  zeroA(out: BigUint64Array): void {
    const t = this.scratch(out.length);
    this.kNext().fillWords(out);
    this.kPrev().fillWords(t);
    kernel().sub(out, t, out);
  }

  /** Overwrites `out` with this party's boolean zero-share K_r ^ K_{r-1}. */
  zeroB(out: BigUint64Array): void {
    const t = this.scratch(out.length);
    this.kNext().fillWords(out);
    this.kPrev().fillWords(t);
    kernel().xor(out, t, out);
  }

  /** Allocates a step and counts the round (every party, compute or not, in lockstep). */
  step(): number {
    const s = this.session.nextStep();
    this.session.countRound();
    return s;
  }

  /** x's components, or a usage error on a party that holds none. */
  parts(x: Rep3Share, what: string): [RingTensor, RingTensor] {
    if (x.cur === undefined || x.prev === undefined) {
      throw new ProtocolUsageError(`${what}: party ${this.session.self} holds no share of ${x}`);
    }
    return [x.cur, x.prev];
  }
}

/** Throws unless `x` is a rep3 share of the given kind. */
export function expectKind(x: Rep3Share, kind: ShareKind, what: string): void {
  if (!(x instanceof Rep3Share)) throw new ProtocolUsageError(`${what}: not a rep3 share`);
  if (x.kind !== kind) throw new ProtocolUsageError(`${what} needs a ${kind} share, got ${x}`);
}
