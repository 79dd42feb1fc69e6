/**
 * The fused rep3 ops (kernel.ts FusedOps) composed from a kernel's elementwise ops, for a kernel
 * that has no single-pass loops of its own (the WebAssembly kernel): the same chains the protocols
 * ran before the fused ops existed, in temporaries from the kernel's `alloc` (resident, so its ops
 * copy nothing), with the lanes moved in JavaScript through typed views. Several passes, but
 * exactly the results of the definitions (tested against the reference kernel's loops).
 */
import { type FusedOps, type LaneWidth, type RingKernel } from '../kernel.js';
import { fusedChecks } from './fused-checks.js';
import { wrapUnit } from './fused-reference.js';
import { largeBytes } from '../../util/large-buffers.js';

type Primitive = Omit<RingKernel, keyof FusedOps>;
type LaneArray = Uint8Array | Uint16Array | Uint32Array;

function laneView(bytes: Uint8Array, lane: 1 | 2 | 4): LaneArray {
  // A typed view needs an aligned offset; a misaligned payload is read from an aligned copy.
  const b = bytes.byteOffset % lane === 0 ? bytes : bytes.slice();
  const n = b.byteLength / lane;
  if (lane === 1) return b;
  return lane === 2 ? new Uint16Array(b.buffer, b.byteOffset, n) : new Uint32Array(b.buffer, b.byteOffset, n);
}

/** out[j] = lane (first + j) of `bytes`, zero-extended, for j < out.length. */
function unpack(bytes: Uint8Array, lane: LaneWidth, first: number, out: BigUint64Array): void {
  const n = out.length;
  const dst = new Uint8Array(out.buffer, out.byteOffset, 8 * n);
  if (lane === 8) {
    dst.set(bytes.subarray(8 * first, 8 * (first + n)));
    return;
  }
  dst.fill(0);
  const src = laneView(bytes, lane);
  const per = 8 / lane; // lane-sized units per word, the low one first (little-endian)
  const words =
    lane === 1
      ? dst
      : lane === 2
        ? new Uint16Array(dst.buffer, dst.byteOffset, 4 * n)
        : new Uint32Array(dst.buffer, dst.byteOffset, 2 * n);
  for (let j = 0; j < n; j++) words[j * per] = src[first + j]!;
}

/** Lane (first + j) of `out` = the low `lane` bytes of words[j]. */
function pack(words: BigUint64Array, lane: LaneWidth, out: Uint8Array, first: number): void {
  const n = words.length;
  const src8 = new Uint8Array(words.buffer, words.byteOffset, 8 * n);
  if (lane === 8) {
    out.set(src8, 8 * first);
    return;
  }
  if (out.byteOffset % lane !== 0) {
    const tmp = largeBytes(n * lane);
    pack(words, lane, tmp, 0);
    out.set(tmp, first * lane);
    return;
  }
  const per = 8 / lane;
  const src =
    lane === 1
      ? src8
      : lane === 2
        ? new Uint16Array(src8.buffer, src8.byteOffset, 4 * n)
        : new Uint32Array(src8.buffer, src8.byteOffset, 2 * n);
  const dst = laneView(out, lane);
  for (let j = 0; j < n; j++) dst[first + j] = src[j * per]!;
}

/**
 * Fused ops built on `k`'s elementwise ops. `free`, when given, releases each temporary at the end
 * of the op (the WebAssembly kernel's blocks would otherwise wait for garbage collection).
 */
export function composedFused(k: Primitive, free?: (a: BigUint64Array) => unknown): FusedOps {
  const temps: BigUint64Array[] = [];
  const tmp = (n: number): BigUint64Array => {
    const a = k.alloc(n);
    temps.push(a);
    return a;
  };
  /** Runs `body`, then frees the temporaries it took. */
  const scoped =
    <A extends unknown[]>(body: (...args: A) => void) =>
    (...args: A): void => {
      try {
        body(...args);
      } finally {
        if (free !== undefined) for (const t of temps) free(t);
        temps.length = 0;
      }
    };
  /** 0/1 words: (c >>> shift) & 1. */
  const bits = (c: BigUint64Array, shift: number): BigUint64Array => {
    const b = tmp(c.length);
    k.shrLogical(c, shift, b);
    k.and(b, tmp(c.length).fill(1n), b);
    return b;
  };
  /** v0 + bit*(v1 - v0) on words, into v0. */
  const select = (bit: BigUint64Array, v0: BigUint64Array, v1: BigUint64Array): void => {
    k.sub(v1, v0, v1);
    k.mulAdd(bit, v1, v0, v0);
  };
  return {
    mulAdd3: scoped<Parameters<FusedOps['mulAdd3']>>((x0, x1, y0, y1, plus, minus, out, shift) => {
      fusedChecks.mulAdd3(x0, x1, y0, y1, plus, minus, out, shift);
      const n = x0.length;
      const t = tmp(n);
      k.add(y0, y1, t);
      k.mul(x0, t, t);
      k.mulAdd(x1, y0, t, t);
      if (plus !== null) k.add(t, plus, t);
      if (minus !== null) k.sub(t, minus, t);
      k.shrLogical(t, shift, out);
    }),
    subMulScalar: scoped<Parameters<FusedOps['subMulScalar']>>((a, b, s, out) => {
      fusedChecks.subMulScalar(a, b, s, out);
      const t = k.alloc(a.length);
      k.mulScalar(b, s, t);
      k.sub(a, t, out);
    }),
    selectLanes: scoped<Parameters<FusedOps['selectLanes']>>((c, shift, v, lane, out) => {
      fusedChecks.selectLanes(c, shift, v, lane, out);
      const n = c.length;
      const [v0, v1] = [tmp(n), tmp(n)];
      unpack(v, lane, 0, v0);
      unpack(v, lane, n, v1);
      select(bits(c, shift), v0, v1);
      pack(v0, lane, out, 0);
    }),
    unwrapLanes: scoped<Parameters<FusedOps['unwrapLanes']>>((t, shift, sender, other, lane, s, out) => {
      fusedChecks.unwrapLanes(t, shift, sender, other, lane, s, out);
      const n = t.length;
      const [v0, v1, o] = [tmp(n), tmp(n), tmp(n)];
      unpack(sender, lane, 0, v0);
      unpack(sender, lane, n, v1);
      unpack(other, lane, 0, o);
      select(bits(t, shift), v0, v1);
      k.sub(v0, o, v0);
      k.mulScalar(v0, s, v0);
      k.sub(t, v0, out);
    }),
    wrapSend: scoped<Parameters<FusedOps['wrapSend']>>(
      (z, z2, r, ra, rb, masks1, masks2, d, lane, t0, msg1, msg2, cur, prev) => {
        fusedChecks.wrapSend(z, z2, r, ra, rb, masks1, masks2, d, lane, t0, msg1, msg2, cur, prev);
        const n = z.length;
        const low = (1n << BigInt(d)) - 1n;
        const [a, T, x, R, m] = [tmp(n), tmp(n), tmp(n), tmp(n), tmp(n)];
        k.add(z, z2, a);
        k.addScalar(a, 1n << 62n, a); // A
        k.shrLogical(a, d, T);
        k.and(a, tmp(n).fill(low), x);
        k.addScalar(x, low, x);
        k.shrLogical(x, d, x);
        k.add(T, x, T);
        k.addScalar(T, -(1n << BigInt(62 - d)), T);
        k.sub(T, r, T); // T
        k.add(ra, rb, R);
        k.shrLogical(a, 63, x);
        k.sub(x, R, x); // f - R
        k.neg(R, a);
        k.addScalar(a, 1n, a); // 1 - R
        for (const [masks, msg] of [
          [masks1, msg1],
          [masks2, msg2],
        ] as const) {
          for (const [words, first] of [
            [x, 0],
            [a, n],
          ] as const) {
            unpack(masks, lane, first, m);
            k.add(words, m, m);
            pack(m, lane, msg, first);
          }
        }
        const u = wrapUnit(d);
        k.mulScalar(rb, u, x);
        k.mulScalar(ra, u, a);
        k.sub(r, a, a); // every input is read: the outputs may be written now
        k.sub(T, x, cur);
        t0.set(T);
        prev.set(a);
      },
    ),
  };
}
