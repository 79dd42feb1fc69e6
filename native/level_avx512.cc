// AVX-512 level (AVX-512F + AVX-512DQ): vpmullq, 8 products per instruction, 8x16 register tile.
#include "ring.h"

#if RING_X86
#include <immintrin.h>

#if defined(__clang__)
#define RING_TARGET __attribute__((target("avx512f,avx512dq")))
#else
#define RING_TARGET __attribute__((target("avx512f,avx512dq,prefer-vector-width=512")))
#endif

namespace ring_avx512 {

constexpr size_t MR = 8, NR = 16, F = 1, KC = 256, MC = 64, NCP = 64;
constexpr size_t NV = NR / 8;

static inline u64 xf(u64 v) { return v; }

RING_TARGET static void ukernel(size_t kc, const u64* a, const u64* b, u64* c, size_t ldc, size_t mr, size_t nr,
                                bool first) {
  __m512i acc[MR][NV];
  for (size_t r = 0; r < MR; r++)
    for (size_t v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_si512();
  for (size_t p = 0; p < kc; p++) {
    __m512i bv[NV];
    for (size_t v = 0; v < NV; v++) bv[v] = _mm512_load_si512((const void*)(b + 8 * v));
    for (size_t r = 0; r < MR; r++) {
      const __m512i av = _mm512_set1_epi64((long long)a[r]);
      for (size_t v = 0; v < NV; v++) acc[r][v] = _mm512_add_epi64(acc[r][v], _mm512_mullo_epi64(av, bv[v]));
    }
    a += MR;
    b += NR;
  }
  if (mr == MR && nr == NR) {
    for (size_t r = 0; r < MR; r++) {
      u64* cr = c + r * ldc;
      for (size_t v = 0; v < NV; v++) {
        void* p = cr + 8 * v;
        _mm512_storeu_si512(p, first ? acc[r][v] : _mm512_add_epi64(_mm512_loadu_si512(p), acc[r][v]));
      }
    }
    return;
  }
  alignas(64) u64 t[MR * NR];
  for (size_t r = 0; r < MR; r++)
    for (size_t v = 0; v < NV; v++) _mm512_store_si512((void*)(t + r * NR + 8 * v), acc[r][v]);
  for (size_t r = 0; r < mr; r++) {
    u64* cr = c + r * ldc;
    for (size_t j = 0; j < nr; j++) cr[j] = first ? t[r * NR + j] : cr[j] + t[r * NR + j];
  }
}

#include "gemm_impl.h"
#include "elementwise_impl.h"

}  // namespace ring_avx512

const ElemOps* ring_elem_avx512() { return &ring_avx512::elem_ops; }
const GemmOps* ring_gemm_avx512() { return &ring_avx512::gemm_ops; }

#endif
