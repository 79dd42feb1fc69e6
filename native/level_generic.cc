// Generic level: portable C++ (baseline x86-64 = SSE2 on x86, whatever the compiler targets
// elsewhere). The only level built on non-x86 machines and with MSVC.
#include "ring.h"

#define RING_TARGET

namespace ring_generic {

constexpr size_t MR = 4, NR = 4, F = 1, KC = 256, MC = 64, NCP = 128;

static inline u64 xf(u64 v) { return v; }

// Scalar 4x4 register tile.
static void ukernel(size_t kc, const u64* a, const u64* b, u64* c, size_t ldc, size_t mr, size_t nr, bool first) {
  u64 acc[MR][NR] = {};
  for (size_t p = 0; p < kc; p++) {
    for (size_t r = 0; r < MR; r++) {
      const u64 av = a[r];
      for (size_t j = 0; j < NR; j++) acc[r][j] += av * b[j];
    }
    a += MR;
    b += NR;
  }
  for (size_t r = 0; r < mr; r++) {
    u64* cr = c + r * ldc;
    for (size_t j = 0; j < nr; j++) cr[j] = first ? acc[r][j] : cr[j] + acc[r][j];
  }
}

#include "gemm_impl.h"
#include "elementwise_impl.h"

}  // namespace ring_generic

const ElemOps* ring_elem_generic() { return &ring_generic::elem_ops; }
const GemmOps* ring_gemm_generic() { return &ring_generic::gemm_ops; }
