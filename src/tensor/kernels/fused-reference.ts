/**
 * The fused rep3 ops (kernel.ts FusedOps) of the reference kernel: BigInt loops that follow the
 * definitions literally, one element at a time, so they are the oracle the native kernel's single
 * passes and the WebAssembly kernel's composed chains are tested against. Lanes are read and
 * written through a DataView (little-endian, any byte offset).
 */
import type { FusedOps, LaneWidth } from '../kernel.js';
import { fusedChecks } from './fused-checks.js';

const MASK = (1n << 64n) - 1n;

/** Lane i of `bytes`, zero-extended. */
function laneAt(view: DataView, lane: LaneWidth, i: number): bigint {
  const at = i * lane;
  if (lane === 1) return BigInt(view.getUint8(at));
  if (lane === 2) return BigInt(view.getUint16(at, true));
  if (lane === 4) return BigInt(view.getUint32(at, true));
  return view.getBigUint64(at, true);
}

/** Writes the low `lane` bytes of v as lane i. */
function setLane(view: DataView, lane: LaneWidth, i: number, v: bigint): void {
  const at = i * lane;
  if (lane === 1) view.setUint8(at, Number(v & 0xffn));
  else if (lane === 2) view.setUint16(at, Number(v & 0xffffn), true);
  else if (lane === 4) view.setUint32(at, Number(v & 0xffffffffn), true);
  else view.setBigUint64(at, v & MASK, true);
}

const dataView = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** 2^(64-d) mod 2^64: the weight of the truncation's wrap bit. */
export function wrapUnit(bits: number): bigint {
  return (1n << BigInt(64 - bits)) & MASK;
}

/** The fused ops as plain BigInt loops (the reference kernel's). */
export function referenceFused(): FusedOps {
  return {
    mulAdd3(x0, x1, y0, y1, plus, minus, out, shift) {
      fusedChecks.mulAdd3(x0, x1, y0, y1, plus, minus, out, shift);
      const n = x0.length;
      const k = BigInt(shift);
      for (let i = 0; i < n; i++) {
        const v =
          x0[i]! * y0[i]! + x0[i]! * y1[i]! + x1[i]! * y0[i]! + (plus?.[i] ?? 0n) - (minus?.[i] ?? 0n);
        out[i] = BigInt.asUintN(64, v) >> k;
      }
    },
    subMulScalar(a, b, s, out) {
      fusedChecks.subMulScalar(a, b, s, out);
      for (let i = 0; i < a.length; i++) out[i] = BigInt.asUintN(64, a[i]! - b[i]! * s);
    },
    selectLanes(c, shift, v, lane, out) {
      fusedChecks.selectLanes(c, shift, v, lane, out);
      const n = c.length;
      const [vv, ov, k] = [dataView(v), dataView(out), BigInt(shift)];
      for (let i = 0; i < n; i++)
        setLane(ov, lane, i, laneAt(vv, lane, ((c[i]! >> k) & 1n) === 1n ? n + i : i));
    },
    unwrapLanes(t, shift, sender, other, lane, s, out) {
      fusedChecks.unwrapLanes(t, shift, sender, other, lane, s, out);
      const n = t.length;
      const [sv, tv, k] = [dataView(sender), dataView(other), BigInt(shift)];
      for (let i = 0; i < n; i++) {
        const ti = t[i]!;
        const sel = laneAt(sv, lane, ((ti >> k) & 1n) === 1n ? n + i : i);
        out[i] = BigInt.asUintN(64, ti - (sel - laneAt(tv, lane, i)) * s);
      }
    },
    wrapSend(z, z2, r, ra, rb, masks1, masks2, bits, lane, t0, msg1, msg2, cur, prev) {
      fusedChecks.wrapSend(z, z2, r, ra, rb, masks1, masks2, bits, lane, t0, msg1, msg2, cur, prev);
      const n = z.length;
      const d = BigInt(bits);
      const low = (1n << d) - 1n;
      const u = wrapUnit(bits);
      const [k1, k2, m1, m2] = [masks1, masks2, msg1, msg2].map(dataView) as [
        DataView,
        DataView,
        DataView,
        DataView,
      ];
      for (let i = 0; i < n; i++) {
        const A = BigInt.asUintN(64, z[i]! + z2[i]! + (1n << 62n));
        const [ri, rai, rbi] = [r[i]!, ra[i]!, rb[i]!];
        const T = BigInt.asUintN(64, (A >> d) + (((A & low) + low) >> d) - (1n << (62n - d)) - ri);
        const R = rai + rbi;
        const [f0, f1] = [(A >> 63n) - R, 1n - R];
        setLane(m1, lane, i, f0 + laneAt(k1, lane, i));
        setLane(m1, lane, n + i, f1 + laneAt(k1, lane, n + i));
        setLane(m2, lane, i, f0 + laneAt(k2, lane, i));
        setLane(m2, lane, n + i, f1 + laneAt(k2, lane, n + i));
        t0[i] = T;
        cur[i] = BigInt.asUintN(64, T - rbi * u);
        prev[i] = BigInt.asUintN(64, ri - rai * u);
      }
    },
  };
}
