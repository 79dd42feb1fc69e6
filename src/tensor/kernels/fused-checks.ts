/**
 * The argument checks of the fused ops (kernel.ts FusedOps), once for every TypeScript kernel:
 * each method takes an op's arguments and throws the RangeError the native kernel throws for the
 * same mistake (operand lengths, lane widths and counts, shift and truncation width); it computes
 * nothing. The reference loops and the WebAssembly kernel's composed chains call them first.
 */
import { assertLanes, assertShift, assertWords, type FusedOps } from '../kernel.js';

/** Checks the truncation width of wrapSend. */
export function assertBits(op: string, bits: number): void {
  if (!Number.isInteger(bits) || bits < 0 || bits > 62)
    throw new RangeError(`${op}: bits ${bits} is not an integer in [0, 62]`);
}

/** The checks, shaped as the ops they check. */
export const fusedChecks: FusedOps = {
  mulAdd3(x0, x1, y0, y1, plus, minus, out, shift) {
    assertWords('mulAdd3', x0.length, [
      [1, x1],
      [2, y0],
      [3, y1],
      [4, plus],
      [5, minus],
      [6, out],
    ]);
    assertShift(shift);
  },
  subMulScalar(a, b, _s, out) {
    assertWords('subMulScalar', a.length, [
      [1, b],
      [3, out],
    ]);
  },
  selectLanes(c, shift, v, lane, out) {
    assertShift(shift);
    assertLanes('selectLanes', 'v', v, 2 * c.length, lane);
    assertLanes('selectLanes', 'out', out, c.length, lane);
  },
  unwrapLanes(t, shift, sender, other, lane, _s, out) {
    const n = t.length;
    assertShift(shift);
    assertLanes('unwrapLanes', 'sender', sender, 2 * n, lane);
    assertLanes('unwrapLanes', 'other', other, n, lane);
    assertWords('unwrapLanes', n, [[6, out]]);
  },
  wrapSend(z, z2, r, ra, rb, masks1, masks2, bits, lane, t0, msg1, msg2, cur, prev) {
    const n = z.length;
    assertWords('wrapSend', n, [
      [1, z2],
      [2, r],
      [3, ra],
      [4, rb],
    ]);
    assertBits('wrapSend', bits);
    assertLanes('wrapSend', 'masks1', masks1, 2 * n, lane);
    assertLanes('wrapSend', 'masks2', masks2, 2 * n, lane);
    assertWords('wrapSend', n, [[9, t0]]);
    assertLanes('wrapSend', 'msg1', msg1, 2 * n, lane);
    assertLanes('wrapSend', 'msg2', msg2, 2 * n, lane);
    assertWords('wrapSend', n, [
      [12, cur],
      [13, prev],
    ]);
  },
};
