// AVX-512 IFMA level (AVX-512F/DQ + AVX-512IFMA, Ice Lake and later, Zen 4): matmul only; the
// elementwise ops are the AVX-512 level's.
//
// vpmadd52{lo,hi}uq multiply the low 52 bits of two lanes and add the low / high 52 bits of the
// 104-bit product to an accumulator, in one uop each (vpmullq is three). With a = a0 + 2^52 a1 and
// b = b0 + 2^52 b1 (a0, b0 < 2^52; a1, b1 < 2^12):
//   a*b mod 2^64 = lo52(a0 b0) + 2^52 (hi52(a0 b0) + a1 b0 + a0 b1)          (mod 2^64)
// and only (a1 b0 + a0 b1) mod 2^12 matters, which depends on the low 12 bits of a0 and b0 alone.
// With xf(v) = (v mod 2^12) << 12 | (v >> 52) << 40, both below 2^52,
//   xf(a) * xf(b) = a0' b0' 2^24 + 2^52 (a0' b1 + a1 b0') + 2^80 a1 b1,   a0' b0' 2^24 < 2^52,
// so hi52(xf(a) xf(b)) = (a0' b1 + a1 b0') + 2^28 a1 b1 = the cross term mod 2^12. Three IFMAs per
// 8 products: lo += lo52(a b); hi += hi52(a b); hi += hi52(xf(a) xf(b)); C = lo + (hi << 52).
#include "ring.h"

#if RING_X86
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12's _mm512_slli_epi64 trips a false -Wuninitialized inside avx512fintrin.h.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#if defined(__clang__)
#define RING_TARGET __attribute__((target("avx512f,avx512dq,avx512ifma")))
#else
#define RING_TARGET __attribute__((target("avx512f,avx512dq,avx512ifma,prefer-vector-width=512")))
#endif

namespace ring_avx512ifma {

constexpr size_t MR = 6, NR = 16, F = 2, KC = 256, MC = 60, NCP = 64;
constexpr size_t NV = NR / 8;

static inline u64 xf(u64 v) { return ((v & 0xfff) << 12) | ((v >> 52) << 40); }

RING_TARGET static void ukernel(size_t kc, const u64* a, const u64* b, u64* c, size_t ldc, size_t mr, size_t nr,
                                bool first) {
  __m512i lo[MR][NV], hi[MR][NV];
  for (size_t r = 0; r < MR; r++)
    for (size_t v = 0; v < NV; v++) lo[r][v] = hi[r][v] = _mm512_setzero_si512();
  for (size_t p = 0; p < kc; p++) {
    __m512i bv[NV], yv[NV];
    for (size_t v = 0; v < NV; v++) {
      bv[v] = _mm512_load_si512((const void*)(b + 8 * v));
      yv[v] = _mm512_load_si512((const void*)(b + NR + 8 * v));
    }
    for (size_t r = 0; r < MR; r++) {
      const __m512i av = _mm512_set1_epi64((long long)a[r]);
      const __m512i xv = _mm512_set1_epi64((long long)a[MR + r]);
      for (size_t v = 0; v < NV; v++) {
        lo[r][v] = _mm512_madd52lo_epu64(lo[r][v], av, bv[v]);
        hi[r][v] = _mm512_madd52hi_epu64(hi[r][v], av, bv[v]);
        hi[r][v] = _mm512_madd52hi_epu64(hi[r][v], xv, yv[v]);
      }
    }
    a += MR * F;
    b += NR * F;
  }
  for (size_t r = 0; r < MR; r++)
    for (size_t v = 0; v < NV; v++) lo[r][v] = _mm512_add_epi64(lo[r][v], _mm512_slli_epi64(hi[r][v], 52));
  if (mr == MR && nr == NR) {
    for (size_t r = 0; r < MR; r++) {
      u64* cr = c + r * ldc;
      for (size_t v = 0; v < NV; v++) {
        void* p = cr + 8 * v;
        _mm512_storeu_si512(p, first ? lo[r][v] : _mm512_add_epi64(_mm512_loadu_si512(p), lo[r][v]));
      }
    }
    return;
  }
  alignas(64) u64 t[MR * NR];
  for (size_t r = 0; r < MR; r++)
    for (size_t v = 0; v < NV; v++) _mm512_store_si512((void*)(t + r * NR + 8 * v), lo[r][v]);
  for (size_t r = 0; r < mr; r++) {
    u64* cr = c + r * ldc;
    for (size_t j = 0; j < nr; j++) cr[j] = first ? t[r * NR + j] : cr[j] + t[r * NR + j];
  }
}

#include "gemm_impl.h"

}  // namespace ring_avx512ifma

const GemmOps* ring_gemm_avx512ifma() { return &ring_avx512ifma::gemm_ops; }

#endif
