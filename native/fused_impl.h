// Fused rep3 loops, included by elementwise_impl.h inside each level's namespace (so no include
// guard) with RING_TARGET set. Each does in one pass what the protocols did with a chain of
// elementwise ops, temporaries and lane packing (src/protocols/rep3/arith.ts and trunc.ts); the
// definitions are those of src/tensor/kernel.ts, and the results are bit-identical to the chains.
//
// Aliasing: an output may be the very same array as an input, so every loop body reads all of
// element i's inputs into locals before it writes element i.

// One lane of `sizeof(L)` bytes at index i, zero-extended (memcpy: the bytes may be unaligned; the
// compiler turns it into a plain load).
template <typename L>
static inline u64 lane_ld(const uint8_t* p, size_t i) {
  L v;
  std::memcpy(&v, p + i * sizeof(L), sizeof(L));
  return (u64)v;
}
template <typename L>
static inline void lane_st(uint8_t* p, size_t i, u64 v) {
  const L x = (L)v;
  std::memcpy(p + i * sizeof(L), &x, sizeof(L));
}

// x0*(y0 + y1) is x0*y0 + x0*y1 mod 2^64: two multiplies per element instead of three.
template <bool P, bool M>
RING_TARGET static void mul_add3_t(const u64* x0, const u64* x1, const u64* y0, const u64* y1, const u64* pl,
                                   const u64* mi, u64* o, unsigned k, size_t n) {
  RING_IVDEP for (size_t i = 0; i < n; i++) {
    u64 v = x0[i] * (y0[i] + y1[i]) + x1[i] * y0[i];
    if (P) v += pl[i];
    if (M) v -= mi[i];
    o[i] = v >> k;
  }
}
RING_TARGET static void e_mul_add3(const u64* x0, const u64* x1, const u64* y0, const u64* y1, const u64* pl,
                                   const u64* mi, u64* o, unsigned k, size_t n) {
  if (pl != nullptr && mi != nullptr) mul_add3_t<true, true>(x0, x1, y0, y1, pl, mi, o, k, n);
  else if (pl != nullptr) mul_add3_t<true, false>(x0, x1, y0, y1, pl, mi, o, k, n);
  else if (mi != nullptr) mul_add3_t<false, true>(x0, x1, y0, y1, pl, mi, o, k, n);
  else mul_add3_t<false, false>(x0, x1, y0, y1, pl, mi, o, k, n);
}

RING_TARGET static void e_sub_mul_scalar(const u64* a, const u64* b, u64 s, u64* o, size_t n) {
  RING_IVDEP for (size_t i = 0; i < n; i++) o[i] = a[i] - b[i] * s;
}

// The select is arithmetic (v0 + bit*(v1 - v0)), as the chain it replaces, and branch-free.
template <typename L>
RING_TARGET static void select_t(const u64* c, unsigned k, const uint8_t* v, uint8_t* o, size_t i0, size_t i1,
                                 size_t n) {
  RING_IVDEP for (size_t i = i0; i < i1; i++) {
    const u64 bit = (c[i] >> k) & 1;
    const u64 v0 = lane_ld<L>(v, i), v1 = lane_ld<L>(v, n + i);
    lane_st<L>(o, i, v0 + bit * (v1 - v0));
  }
}
RING_TARGET static void e_select_lanes(const u64* c, unsigned k, const uint8_t* v, unsigned lane, uint8_t* o,
                                       size_t i0, size_t i1, size_t n) {
  if (lane == 1) select_t<uint8_t>(c, k, v, o, i0, i1, n);
  else if (lane == 2) select_t<uint16_t>(c, k, v, o, i0, i1, n);
  else if (lane == 4) select_t<uint32_t>(c, k, v, o, i0, i1, n);
  else select_t<u64>(c, k, v, o, i0, i1, n);
}

template <typename L>
RING_TARGET static void unwrap_t(const u64* t, unsigned k, const uint8_t* snd, const uint8_t* oth, u64 s, u64* o,
                                 size_t i0, size_t i1, size_t n) {
  RING_IVDEP for (size_t i = i0; i < i1; i++) {
    const u64 ti = t[i];
    const u64 bit = (ti >> k) & 1;
    const u64 v0 = lane_ld<L>(snd, i), v1 = lane_ld<L>(snd, n + i);
    o[i] = ti - (v0 + bit * (v1 - v0) - lane_ld<L>(oth, i)) * s;
  }
}
RING_TARGET static void e_unwrap_lanes(const u64* t, unsigned k, const uint8_t* snd, const uint8_t* oth,
                                       unsigned lane, u64 s, u64* o, size_t i0, size_t i1, size_t n) {
  if (lane == 1) unwrap_t<uint8_t>(t, k, snd, oth, s, o, i0, i1, n);
  else if (lane == 2) unwrap_t<uint16_t>(t, k, snd, oth, s, o, i0, i1, n);
  else if (lane == 4) unwrap_t<uint32_t>(t, k, snd, oth, s, o, i0, i1, n);
  else unwrap_t<u64>(t, k, snd, oth, s, o, i0, i1, n);
}

// A = z + z2 + 2^62; T_0 = ceil(A / 2^d) - 2^(62-d) - r (ceil as (A >> d) + (((A & low) + low) >> d));
// the OT's messages f_0 - R + mask and 1 - R + mask, f_0 = msb(A), R = ra + rb, in lanes; the
// share T_0 - rb*2^(64-d), r - ra*2^(64-d).
template <typename L>
RING_TARGET static void wrap_send_t(const WrapSendArgs& a, size_t i0, size_t i1) {
  const unsigned d = a.bits;
  const u64 low = ((u64)1 << d) - 1;
  const u64 off = (u64)1 << 62;
  const u64 bias = (u64)0 - ((u64)1 << (62 - d));
  const u64 unit = d == 0 ? 0 : (u64)1 << (64 - d);
  const size_t n = a.n;
  const u64 *z = a.z, *z2 = a.z2, *r = a.r, *ra = a.ra, *rb = a.rb;
  const uint8_t *k1 = a.masks1, *k2 = a.masks2;
  u64 *t0o = a.t0, *cur = a.cur, *prev = a.prev;
  uint8_t *m1o = a.msg1, *m2o = a.msg2;
  RING_IVDEP for (size_t i = i0; i < i1; i++) {
    const u64 A = z[i] + z2[i] + off;
    const u64 ri = r[i], rai = ra[i], rbi = rb[i];
    const u64 t0 = (A >> d) + (((A & low) + low) >> d) + bias - ri;
    const u64 R = rai + rbi;
    const u64 m0 = (A >> 63) - R, m1 = (u64)1 - R;
    lane_st<L>(m1o, i, m0 + lane_ld<L>(k1, i));
    lane_st<L>(m1o, n + i, m1 + lane_ld<L>(k1, n + i));
    lane_st<L>(m2o, i, m0 + lane_ld<L>(k2, i));
    lane_st<L>(m2o, n + i, m1 + lane_ld<L>(k2, n + i));
    t0o[i] = t0;
    cur[i] = t0 - rbi * unit;
    prev[i] = ri - rai * unit;
  }
}
RING_TARGET static void e_wrap_send(const WrapSendArgs& a, size_t i0, size_t i1) {
  if (a.lane == 1) wrap_send_t<uint8_t>(a, i0, i1);
  else if (a.lane == 2) wrap_send_t<uint16_t>(a, i0, i1);
  else if (a.lane == 4) wrap_send_t<uint32_t>(a, i0, i1);
  else wrap_send_t<u64>(a, i0, i1);
}
