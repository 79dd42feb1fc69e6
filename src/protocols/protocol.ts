/**
 * The protocol interface: the primitives each MPC protocol implements over its own share type.
 *
 * Design (after SecretFlow SPU and MP-SPDZ): a protocol provides a small set of primitives on
 * arithmetic shares (A: Z_2^64, additive or replicated) and boolean shares (B: XOR sharing, 64
 * bits per word), each declaring its rounds and bytes; everything else (fixed-point multiply,
 * comparisons, ReLU, max/argmax, division, exp...) is generic code in src/protocols/ops/ written
 * once against this interface, so a new protocol gets every op by implementing these primitives,
 * and one conformance suite checks all protocols against plaintext.
 *
 * SPMD: every party of the session (compute parties, data owners, a dealer, the requester) runs the
 * same program and calls the same primitives in the same order; a party that holds no shares
 * gets a share object with no local data (`isComputeParty` false), and the step counter stays in
 * lockstep everywhere. Every primitive that communicates takes its step numbers from the session,
 * batches all its messages of one round into one payload per peer, and costs exactly the rounds
 * and bytes its `cost` declares.
 */
import type { Conv2dGeometry, RingTensor, Shape } from '../tensor/index.js';
import type { Session } from './session.js';

/** The protocols peermpc ships. */
export type ProtocolName = 'plaintext' | 'rep3' | 'additive';

/** What a share holds: an arithmetic share of values in Z_2^64, or a boolean (XOR) share of 64-bit words. */
export type ShareKind = 'A' | 'B';

/** A party's share of a tensor. Its contents are protocol-specific; shape and kind are public. */
export interface Share {
  /** The shape of the shared tensor (public). */
  readonly shape: readonly number[];
  /** Arithmetic or boolean. */
  readonly kind: ShareKind;
}

/** Communication cost of one primitive call for one party. */
export interface Cost {
  /** Communication rounds (sequential message exchanges). */
  rounds: number;
  /** Payload bytes this party sends (all peers together). */
  bytesSent: number;
}

/**
 * The primitives of a protocol over share type S. Local ops never communicate; async ops do.
 * Shapes follow RingTensor's rules (broadcasting for elementwise binary ops).
 */
export interface Protocol<S extends Share = Share> {
  /** Which protocol this is. */
  readonly name: ProtocolName;
  /** The session it runs in. */
  readonly session: Session;
  /** Session indices of the parties that hold shares. */
  readonly computeParties: readonly number[];
  /** True when this party holds shares. */
  readonly isComputeParty: boolean;

  /** Party `owner` (any session party) secret-shares `value` (given on the owner only) of `shape`, as an A share. */
  input(owner: number, value: RingTensor | undefined, shape: Shape): Promise<S>;
  /** Opens `x` (A or B) to the parties in `to` only; they get the value, everyone else `undefined`. */
  reveal(x: S, to: readonly number[]): Promise<RingTensor | undefined>;

  /** A public tensor as a share (A or B) of it, no communication. */
  fromPublic(p: RingTensor, kind: ShareKind): S;
  /** Local layout op, applied to every local component (kind is kept): as RingTensor.reshape. */
  reshape(x: S, shape: Shape): S;
  /** Permutes axes (default: reverses them), locally. */
  transpose(x: S, perm?: readonly number[]): S;
  /** Elements [start, end) along `axis`, locally. */
  slice(x: S, axis: number, start: number, end: number): S;
  /** Concatenation along `axis`, locally (all of one kind). */
  concat(xs: readonly S[], axis: number): S;
  /** Materialises a broadcast to `shape`, locally. */
  broadcastTo(x: S, shape: Shape): S;
  /** im2col patches of an NHWC share, locally (see RingTensor.im2col). */
  im2col(x: S, g: Conv2dGeometry): { patches: S; oh: number; ow: number };
  /** Sum along an axis (A shares); all elements when axis is undefined. */
  sum(x: S, axis?: number, keepDims?: boolean): S;

  /** a + b on A shares, locally. */
  add(a: S, b: S): S;
  /** a - b on A shares, locally. */
  sub(a: S, b: S): S;
  /** -a on A shares, locally. */
  neg(a: S): S;
  /** a + p for a public tensor or scalar p, locally. */
  addPublic(a: S, p: RingTensor | bigint): S;
  /** a * p for a public tensor or scalar p (no truncation), locally. */
  mulPublic(a: S, p: RingTensor | bigint): S;
  /** a << k on A shares (multiplication by 2^k). */
  shlA(a: S, k: number): S;

  /** Elementwise product of A shares. */
  mul(a: S, b: S): Promise<S>;
  /** Matrix product of A shares (2-D or batched, as RingTensor.matmul). */
  matmul(a: S, b: S): Promise<S>;
  /** Truncation of A shares by `bits` (the shared value read as signed, divided by 2^bits); see the protocol's docs for its error and range. */
  truncate(a: S, bits: number): Promise<S>;
  /** mul then truncate, fused into fewer rounds where the protocol can. */
  mulTrunc(a: S, b: S, bits: number): Promise<S>;
  /** matmul then truncate, fused where the protocol can. */
  matmulTrunc(a: S, b: S, bits: number): Promise<S>;

  /** a ^ b on B shares, locally. */
  xorB(a: S, b: S): S;
  /** a ^ p for a public p on B shares, locally. */
  xorPublicB(a: S, p: RingTensor | bigint): S;
  /** a & p for a public p on B shares, locally. */
  andPublicB(a: S, p: RingTensor | bigint): S;
  /** ~a on B shares, locally. */
  notB(a: S): S;
  /** Left shift of every word by k on B shares, locally. */
  shlB(a: S, k: number): S;
  /** Logical right shift of every word by k on B shares, locally. */
  shrB(a: S, k: number): S;
  /** Elementwise AND of B shares. */
  andB(a: S, b: S): Promise<S>;
  /** Several independent ANDs in one round (the building block of log-depth adders). */
  andBMany(pairs: readonly (readonly [S, S])[]): Promise<S[]>;

  /** Arithmetic to boolean: the same values, XOR-shared. */
  a2b(a: S): Promise<S>;
  /** Boolean to arithmetic for bit 0 of each word (other bits must be zero): A shares of 0/1. */
  bitToA(b: S): Promise<S>;

  /**
   * Optional: B shares of two values whose sum mod 2^64 is the value of `a` (a2b without its final
   * adder). Ops that need only the sign (comparisons, ReLU) then run a carry circuit that is much
   * cheaper than a full adder; protocols without it get a2b. Provide `a2bSummandsCost` with it.
   */
  a2bSummands?(a: S): Promise<[S, S]>;
  /** The cost of `a2bSummands` on this party for `elements` words. */
  a2bSummandsCost?(elements: number): Cost;
  /**
   * Optional: the sign bit (bit 63) of each element of an A share, as a B share with the bit in
   * position 0 and all other bits zero: a protocol's fastest comparison circuit. Provide
   * `signBitCost` with it. Without it, ops/msb.ts builds one from a2bSummands or a2b.
   */
  signBit?(a: S): Promise<S>;
  /** The cost of `signBit` on this party for `elements` words. */
  signBitCost?(elements: number): Cost;

  /**
   * The cost a primitive will have on this party for `elements` words (for tests and benchmarks).
   * `elements` is the number of result words (for matmul: m*n; `k` is the inner dimension).
   * Input and reveal costs depend on who sends and receives: `owner` is the input's owner,
   * `recipients` the parties a reveal opens to (`to` is their number, when the protocol only
   * needs that).
   */
  cost(primitive: CostedPrimitive, elements: number, extra?: CostExtra): Cost;
}

/** Parameters of {@link Protocol.cost} beyond the element count. */
export interface CostExtra {
  /** Inner dimension of a matmul. */
  k?: number;
  /** A second size parameter, protocol-specific. */
  n?: number;
  /** Number of reveal recipients. */
  to?: number;
  /** The party that owns an input. */
  owner?: number;
  /** The parties a reveal opens to. */
  recipients?: readonly number[];
  /** Element counts of the two operands of a matmul (protocols whose traffic depends on them). */
  operands?: readonly [number, number];
  /**
   * Bits a truncation drops (truncate, mulTrunc, matmulTrunc; default {@link DEFAULT_COST_BITS}):
   * rep3's wrap correction sends lanes sized by them.
   */
  bits?: number;
}

/** The truncation a cost assumes when none is given: f = 16 fractional bits. */
export const DEFAULT_COST_BITS = 16;

/** Primitives whose cost a protocol declares. */
export type CostedPrimitive =
  'input' | 'reveal' | 'mul' | 'matmul' | 'truncate' | 'mulTrunc' | 'matmulTrunc' | 'andB' | 'a2b' | 'bitToA';

/** Thrown when an operation is used wrongly (wrong kind, wrong shape, not a compute party...). */
export class ProtocolUsageError extends Error {
  override readonly name = 'ProtocolUsageError';
}

/**
 * Checks that `party` is a party index of a session of `parties` parties (every protocol's input
 * owner). @throws ProtocolUsageError naming `what` and the index.
 */
export function checkParty(parties: number, party: number, what: string): void {
  if (!Number.isInteger(party) || party < 0 || party >= parties)
    throw new ProtocolUsageError(`${what} ${party} is not a party of this session (0..${parties - 1})`);
}

/**
 * Checks the bit count of a truncation (`truncate`, `mulTrunc`, `matmulTrunc`): an integer in
 * [0, 62], as fractional bits are. Every protocol checks it before any step, on every party.
 * @throws RangeError naming the bit count.
 */
export function checkTruncation(bits: number): void {
  if (!Number.isInteger(bits) || bits < 0 || bits > 62)
    throw new RangeError(`truncation by ${bits} bits: not an integer in [0, 62]`);
}

/**
 * Checks the recipients of a reveal: distinct party indices of a session of `parties` parties.
 * @throws ProtocolUsageError naming the first bad or repeated recipient.
 */
export function checkRecipients(parties: number, to: readonly number[]): void {
  const seen = new Set<number>();
  for (const r of to) {
    checkParty(parties, r, 'reveal: recipient');
    if (seen.has(r)) throw new ProtocolUsageError(`reveal: recipient ${r} is named twice`);
    seen.add(r);
  }
}
