// AVX2 level. AVX2 has no 64-bit lane multiply, so the microkernel splits words into 32-bit halves:
// a*b mod 2^64 = lo(a)*lo(b) + ((hi(a)*lo(b) + lo(a)*hi(b)) << 32), three vpmuludq per 4 products.
// The high halves are packed next to A and B (F = 2) so the inner loop does no shifting; the cross
// terms accumulate separately and are shifted once per tile.
#include "ring.h"

#if RING_X86
#include <immintrin.h>

#if defined(__clang__)
#define RING_TARGET __attribute__((target("avx2")))
#else
#define RING_TARGET __attribute__((target("avx2,prefer-vector-width=256")))
#endif

namespace ring_avx2 {

constexpr size_t MR = 4, NR = 4, F = 2, KC = 256, MC = 64, NCP = 128;

static inline u64 xf(u64 v) { return v >> 32; }

RING_TARGET static void ukernel(size_t kc, const u64* a, const u64* b, u64* c, size_t ldc, size_t mr, size_t nr,
                                bool first) {
  __m256i lo[MR], x[MR];
  for (size_t r = 0; r < MR; r++) lo[r] = x[r] = _mm256_setzero_si256();
  for (size_t p = 0; p < kc; p++) {
    const __m256i bv = _mm256_load_si256((const __m256i*)b);
    const __m256i bh = _mm256_load_si256((const __m256i*)(b + NR));
    for (size_t r = 0; r < MR; r++) {
      const __m256i av = _mm256_set1_epi64x((long long)a[r]);
      const __m256i ah = _mm256_set1_epi64x((long long)a[MR + r]);
      lo[r] = _mm256_add_epi64(lo[r], _mm256_mul_epu32(av, bv));
      x[r] = _mm256_add_epi64(x[r], _mm256_add_epi64(_mm256_mul_epu32(ah, bv), _mm256_mul_epu32(av, bh)));
    }
    a += MR * F;
    b += NR * F;
  }
  for (size_t r = 0; r < MR; r++) lo[r] = _mm256_add_epi64(lo[r], _mm256_slli_epi64(x[r], 32));
  if (mr == MR && nr == NR) {
    for (size_t r = 0; r < MR; r++) {
      __m256i* cr = (__m256i*)(c + r * ldc);
      _mm256_storeu_si256(cr, first ? lo[r] : _mm256_add_epi64(_mm256_loadu_si256(cr), lo[r]));
    }
    return;
  }
  alignas(32) u64 t[MR * NR];
  for (size_t r = 0; r < MR; r++) _mm256_store_si256((__m256i*)(t + r * NR), lo[r]);
  for (size_t r = 0; r < mr; r++) {
    u64* cr = c + r * ldc;
    for (size_t j = 0; j < nr; j++) cr[j] = first ? t[r * NR + j] : cr[j] + t[r * NR + j];
  }
}

#include "gemm_impl.h"
#include "elementwise_impl.h"

}  // namespace ring_avx2

const ElemOps* ring_elem_avx2() { return &ring_avx2::elem_ops; }
const GemmOps* ring_gemm_avx2() { return &ring_avx2::gemm_ops; }

#endif
