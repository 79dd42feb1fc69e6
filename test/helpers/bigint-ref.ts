/** A BigInt oracle for ring ops: independent of every kernel, written for clarity, not speed. */
export const MOD = 1n << 64n;
export const M = (v: bigint): bigint => ((v % MOD) + MOD) % MOD;
export const signed = (v: bigint): bigint => BigInt.asIntN(64, v);

/** Edge values every kernel must handle. */
export const EDGES: bigint[] = [
  0n,
  1n,
  2n,
  (1n << 63n) - 1n,
  1n << 63n,
  (1n << 63n) + 1n,
  MOD - 2n,
  MOD - 1n,
  0xdeadbeefn,
  1n << 32n,
  (1n << 32n) - 1n,
];

/** Deterministic random 64-bit words (xorshift), mixed with edge values. */
export function randomWords(n: number, seed = 1): bigint[] {
  let s = BigInt(seed) * 0x9e3779b97f4a7c15n + 1n;
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) {
    s ^= (s << 13n) & (MOD - 1n);
    s ^= s >> 7n;
    s ^= (s << 17n) & (MOD - 1n);
    s = M(s);
    out.push(i % 7 === 3 ? EDGES[(i * 5) % EDGES.length]! : s);
  }
  return out;
}

/** Row-major matmul over Z_2^64. */
export function matmulRef(a: bigint[], b: bigint[], m: number, k: number, n: number): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0n;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
      out.push(M(s));
    }
  }
  return out;
}
