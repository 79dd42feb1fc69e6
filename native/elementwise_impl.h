// Elementwise Z_2^64 loops, included once per dispatch level inside that level's namespace (so no
// include guard) with RING_TARGET set to the level's target attribute. The compiler vectorises them for the level
// (vpmullq for AVX-512DQ, a vpmuludq sequence for AVX2, SSE2 or scalar for generic).
// Defines `elem_ops`.

RING_TARGET static void e_add(const u64* a, const u64* b, u64* o, size_t n) {
  RING_IVDEP for (size_t i = 0; i < n; i++) o[i] = a[i] + b[i];
}
RING_TARGET static void e_sub(const u64* a, const u64* b, u64* o, size_t n) {
  RING_IVDEP for (size_t i = 0; i < n; i++) o[i] = a[i] - b[i];
}
RING_TARGET static void e_mul(const u64* a, const u64* b, u64* o, size_t n) {
  RING_IVDEP for (size_t i = 0; i < n; i++) o[i] = a[i] * b[i];
}
RING_TARGET static void e_and(const u64* a, const u64* b, u64* o, size_t n) {
  RING_IVDEP for (size_t i = 0; i < n; i++) o[i] = a[i] & b[i];
}
RING_TARGET static void e_or(const u64* a, const u64* b, u64* o, size_t n) {
  RING_IVDEP for (size_t i = 0; i < n; i++) o[i] = a[i] | b[i];
}
RING_TARGET static void e_xor(const u64* a, const u64* b, u64* o, size_t n) {
  RING_IVDEP for (size_t i = 0; i < n; i++) o[i] = a[i] ^ b[i];
}
RING_TARGET static void e_mul_add(const u64* a, const u64* b, const u64* c, u64* o, size_t n) {
  RING_IVDEP for (size_t i = 0; i < n; i++) o[i] = a[i] * b[i] + c[i];
}
RING_TARGET static void e_neg(const u64* a, u64* o, size_t n) {
  RING_IVDEP for (size_t i = 0; i < n; i++) o[i] = (u64)0 - a[i];
}
RING_TARGET static void e_not(const u64* a, u64* o, size_t n) {
  RING_IVDEP for (size_t i = 0; i < n; i++) o[i] = ~a[i];
}
RING_TARGET static void e_add_scalar(const u64* a, u64 s, u64* o, size_t n) {
  RING_IVDEP for (size_t i = 0; i < n; i++) o[i] = a[i] + s;
}
RING_TARGET static void e_mul_scalar(const u64* a, u64 s, u64* o, size_t n) {
  RING_IVDEP for (size_t i = 0; i < n; i++) o[i] = a[i] * s;
}
RING_TARGET static void e_shl(const u64* a, unsigned k, u64* o, size_t n) {
  RING_IVDEP for (size_t i = 0; i < n; i++) o[i] = a[i] << k;
}
RING_TARGET static void e_shr(const u64* a, unsigned k, u64* o, size_t n) {
  RING_IVDEP for (size_t i = 0; i < n; i++) o[i] = a[i] >> k;
}
// Arithmetic shift of the word read as int64 (GCC, Clang and MSVC shift signed values arithmetically;
// C++20 makes it the rule).
RING_TARGET static void e_sar(const u64* a, unsigned k, u64* o, size_t n) {
  RING_IVDEP for (size_t i = 0; i < n; i++) o[i] = (u64)((int64_t)a[i] >> k);
}

// Fused rep3 steps (ring.h FusedOps): one pass over the words instead of a chain of the ops above.
#include "fused_impl.h"

static const ElemOps elem_ops = {
    e_add,        e_sub,      e_mul,         e_and,         e_or,         e_xor,        e_mul_add,
    e_neg,        e_not,      e_add_scalar,  e_mul_scalar,  e_shl,        e_shr,        e_sar,
    e_mul_add3,   e_sub_mul_scalar, e_select_lanes, e_unwrap_lanes, e_wrap_send,
};
