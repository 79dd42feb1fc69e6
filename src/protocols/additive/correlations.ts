/**
 * The correlations the dealer of the `additive` protocol produces, each described once so that
 * the dealer and every compute party derive the same tensors in the same order:
 *
 * - `mulTriple` (Beaver 1991): uniform a, b; c = a * b (elementwise, broadcast).
 * - `matmulTriple`: uniform A, B of the operands' shapes; C = A · B (Mohassel & Zhang, SecureML
 *   2017, matrix triples).
 * - `andTriple`: uniform words a, b; c = a & b, all XOR-shared (the boolean Beaver triple).
 * - `truncPair` (Escudero et al. 2020; ABY3's pairs): uniform r; r' = r >>> d (logical) and the
 *   wrap correction msb(r)·2^(64-d), for exact truncation (truncation.ts).
 * - `daBits` (Rotaru & Wood 2019; Escudero et al. 2020): random bits r, shared both arithmetically
 *   (one word per bit) and as XOR shares packed 64 bits per word.
 *
 * A correlation has `free` tensors (uniform: every compute party's summand comes from the PRG
 * seed it shares with the dealer) and `fixed` tensors (a function of the free totals: every
 * compute party but one draws its summand from the seed, the last one gets a correction from the
 * dealer). `xor` says whether the summands combine by XOR (boolean) or addition mod 2^64.
 */
import { RingTensor, broadcastShapes, sizeOf, type Prg, type Shape } from '../../tensor/index.js';
import { matmulShape } from '../shapes.js';
import { largeWords } from '../../util/large-buffers.js';

/** One tensor of a correlation. */
export interface PartSpec {
  /** Its shape. */
  readonly shape: readonly number[];
  /** Summands combine by XOR (true) or addition mod 2^64 (false). */
  readonly xor: boolean;
}

/** A correlation: its parts and how the dealer derives the fixed totals. */
export interface CorrelationSpec {
  /** Uniform parts: every compute party draws its summand from its dealer seed. */
  readonly free: readonly PartSpec[];
  /** Parts that depend on the free totals. */
  readonly fixed: readonly PartSpec[];
  /** Dealer only: the fixed totals from the free totals (it may draw from its own PRG); fresh tensors. */
  derive(free: readonly RingTensor[], own: Prg): RingTensor[];
}

const arith = (shape: Shape): PartSpec => ({ shape: [...shape], xor: false });
const bool = (shape: Shape): PartSpec => ({ shape: [...shape], xor: true });

/** An elementwise Beaver triple for operands of shapes `sa` and `sb`: c = a * b (broadcast). */
export function mulTriple(sa: Shape, sb: Shape): CorrelationSpec {
  return {
    free: [arith(sa), arith(sb)],
    fixed: [arith(broadcastShapes(sa, sb))],
    derive: ([a, b]) => [a!.mul(b!)],
  };
}

/** A matrix triple for operands of shapes `sa` and `sb`: C = A · B. */
export function matmulTriple(sa: Shape, sb: Shape): CorrelationSpec {
  return {
    free: [arith(sa), arith(sb)],
    fixed: [arith(matmulShape(sa, sb))],
    derive: ([a, b]) => [a!.matmul(b!)],
  };
}

/** A boolean triple of `words` 64-bit words: c = a & b, XOR-shared. */
export function andTriple(words: number): CorrelationSpec {
  return {
    free: [bool([words]), bool([words])],
    fixed: [bool([words])],
    derive: ([a, b]) => [a!.and(b!)],
  };
}

/**
 * A truncation pair of `shape` for exact truncation: uniform r, r' = r >>> bits (logical shift),
 * and msb(r)·2^(64-bits) (the wrap correction, truncation.ts).
 */
export function truncPair(shape: Shape, bits: number): CorrelationSpec {
  return {
    free: [arith(shape)],
    fixed: [arith(shape), arith(shape)],
    derive: ([r]) => {
      const shifted = r!.shr(bits);
      const wrap = r!.shr(63);
      wrap.mul((1n << BigInt(64 - bits)) & ((1n << 64n) - 1n), wrap);
      return [shifted, wrap];
    },
  };
}

/** Words needed to pack `bits` bits, 64 per word. */
export function packedWords(bits: number): number {
  return Math.ceil(bits / 64);
}

/** `count` daBits: random bits r, as arithmetic 0/1 words [count] and packed XOR words [ceil(count/64)]. */
export function daBits(count: number): CorrelationSpec {
  return {
    free: [],
    fixed: [arith([count]), bool([packedWords(count)])],
    derive: (_free, own) => {
      const packed = own.ring([packedWords(count)]);
      return [unpackBits(packed.data, count), packed];
    },
  };
}

/** Bit i of the packed words (bit i%64 of word i/64) as word i (0 or 1), for i < count. */
export function unpackBits(packed: BigUint64Array, count: number): RingTensor {
  const out = new RingTensor([count]);
  const src = new Uint32Array(packed.buffer, packed.byteOffset, packed.length * 2);
  const dst = new Uint32Array(out.data.buffer, out.data.byteOffset, count * 2);
  for (let i = 0; i < count; i++) dst[2 * i] = (src[i >>> 5]! >>> (i & 31)) & 1;
  return out;
}

/** Bit 0 of each word of `words`, packed 64 per word (bit i%64 of word i/64), padding bits zero. */
export function packBits(words: BigUint64Array): BigUint64Array {
  const count = words.length;
  const out = largeWords(packedWords(count));
  const src = new Uint32Array(words.buffer, words.byteOffset, count * 2);
  const dst = new Uint32Array(out.buffer);
  for (let i = 0; i < count; i++) dst[i >>> 5] |= (src[2 * i]! & 1) << (i & 31);
  return out;
}

/** Total words of the fixed parts of `specs` (the size of the dealer's correction). */
export function correctionWords(specs: readonly CorrelationSpec[]): number {
  let n = 0;
  for (const s of specs) for (const p of s.fixed) n += sizeOf(p.shape);
  return n;
}
