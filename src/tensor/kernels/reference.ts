/**
 * The reference Z_2^64 kernel: plain TypeScript on BigUint64Array, exact, no dependencies.
 *
 * It is the oracle every other kernel is tested against, and the fallback when neither the native
 * nor the WebAssembly kernel loads. Loops are written in the forms V8 lowers to native 64-bit
 * integer instructions (STACK-NOTES: the i-k-j matmul with BigInt.asUintN is ~30x a naive BigInt
 * dot product).
 */
import { assertMatmul, assertSameLength, assertShift, type RingKernel } from '../kernel.js';
import { referenceFused } from './fused-reference.js';
import { largeWords } from '../../util/large-buffers.js';

const MASK = (1n << 64n) - 1n;

/** Creates the reference kernel. */
export function referenceKernel(): RingKernel {
  return {
    name: 'reference',
    description: 'TypeScript BigUint64Array',
    alloc: largeWords,
    ...referenceFused(),
    add(a, b, out) {
      assertSameLength('add', a, b, out);
      for (let i = 0; i < out.length; i++) out[i] = a[i]! + b[i]!;
    },
    sub(a, b, out) {
      assertSameLength('sub', a, b, out);
      for (let i = 0; i < out.length; i++) out[i] = a[i]! - b[i]!;
    },
    mul(a, b, out) {
      assertSameLength('mul', a, b, out);
      for (let i = 0; i < out.length; i++) out[i] = BigInt.asUintN(64, a[i]! * b[i]!);
    },
    mulAdd(a, b, c, out) {
      assertSameLength('mulAdd', a, b, c, out);
      for (let i = 0; i < out.length; i++) out[i] = BigInt.asUintN(64, a[i]! * b[i]! + c[i]!);
    },
    neg(a, out) {
      assertSameLength('neg', a, out);
      for (let i = 0; i < out.length; i++) out[i] = -a[i]!;
    },
    addScalar(a, s, out) {
      assertSameLength('addScalar', a, out);
      const v = s & MASK;
      for (let i = 0; i < out.length; i++) out[i] = a[i]! + v;
    },
    mulScalar(a, s, out) {
      assertSameLength('mulScalar', a, out);
      const v = s & MASK;
      for (let i = 0; i < out.length; i++) out[i] = BigInt.asUintN(64, a[i]! * v);
    },
    and(a, b, out) {
      assertSameLength('and', a, b, out);
      for (let i = 0; i < out.length; i++) out[i] = a[i]! & b[i]!;
    },
    or(a, b, out) {
      assertSameLength('or', a, b, out);
      for (let i = 0; i < out.length; i++) out[i] = a[i]! | b[i]!;
    },
    xor(a, b, out) {
      assertSameLength('xor', a, b, out);
      for (let i = 0; i < out.length; i++) out[i] = a[i]! ^ b[i]!;
    },
    not(a, out) {
      assertSameLength('not', a, out);
      for (let i = 0; i < out.length; i++) out[i] = ~a[i]!;
    },
    shl(a, k, out) {
      assertSameLength('shl', a, out);
      assertShift(k);
      const s = BigInt(k);
      for (let i = 0; i < out.length; i++) out[i] = a[i]! << s;
    },
    shrLogical(a, k, out) {
      assertSameLength('shrLogical', a, out);
      assertShift(k);
      const s = BigInt(k);
      for (let i = 0; i < out.length; i++) out[i] = a[i]! >> s;
    },
    shrArithmetic(a, k, out) {
      assertSameLength('shrArithmetic', a, out);
      assertShift(k);
      const s = BigInt(k);
      for (let i = 0; i < out.length; i++) out[i] = BigInt.asIntN(64, a[i]!) >> s;
    },
    matmul(a, b, out, m, k, n) {
      assertMatmul(a, b, out, m, k, n);
      out.fill(0n);
      for (let i = 0; i < m; i++) {
        const row = out.subarray(i * n, (i + 1) * n);
        for (let p = 0; p < k; p++) {
          const aip = a[i * k + p]!;
          if (aip === 0n) continue;
          const bo = p * n;
          for (let j = 0; j < n; j++) row[j] = BigInt.asUintN(64, row[j]! + aip * b[bo + j]!);
        }
      }
    },
  };
}
