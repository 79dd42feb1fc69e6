// Cache-blocked Z_2^64 matmul driver, included once per dispatch level inside that level's namespace
// (so no include guard).
// The includer defines RING_TARGET and, before the include:
//   constexpr size_t MR, NR  microkernel tile (rows x columns of C held in registers)
//   constexpr size_t F       words per packed element: 1, or 2 when the microkernel also wants xf(v)
//   constexpr size_t KC, MC  depth block and rows of A per packed block (A block ~ L2)
//   constexpr size_t NCP     NR-panels per column block (B block ~ L2/L3)
//   u64 xf(u64)              the transform packed next to each word when F == 2
//   void ukernel(kc, a, b, c, ldc, mr, nr, first)
//       C[0:mr, 0:nr] (=|+=) A-micro-panel . B-micro-panel over kc steps; `first` stores, otherwise adds.
// Defines `gemm_ops`.
//
// Packed layouts. B: panel jp (columns jp*NR ...) holds k rows of NR*F words: NR words of B (zero
// padded past n), then, when F == 2, their xf transforms. A: micro-panel ir holds kc steps of MR*F
// words: MR words down a column of A (zero padded past the block), then their xf transforms.

static inline size_t g_min(size_t a, size_t b) { return a < b ? a : b; }

RING_TARGET static void g_pack_b(const u64* B, size_t k, size_t n, size_t jp0, size_t jp1, u64* Bp) {
  for (size_t jp = jp0; jp < jp1; jp++) {
    const size_t j0 = jp * NR;
    const size_t nr = g_min(NR, n - j0);
    u64* dst = Bp + jp * k * NR * F;
    for (size_t p = 0; p < k; p++) {
      const u64* src = B + p * n + j0;
      for (size_t j = 0; j < nr; j++) dst[j] = src[j];
      for (size_t j = nr; j < NR; j++) dst[j] = 0;
      if (F == 2) {
        for (size_t j = 0; j < NR; j++) dst[NR + j] = xf(dst[j]);
      }
      dst += NR * F;
    }
  }
}

// Packs A[i0:i0+mc, p0:p0+kc] (row stride lda) into MR-row micro-panels.
RING_TARGET static void g_pack_a(const u64* A, size_t lda, size_t i0, size_t mc, size_t p0, size_t kc, u64* dst) {
  for (size_t ir = 0; ir < mc; ir += MR) {
    const size_t mr = g_min(MR, mc - ir);
    const u64* src = A + (i0 + ir) * lda + p0;
    for (size_t r = 0; r < mr; r++) {
      const u64* row = src + r * lda;
      u64* d = dst + r;
      for (size_t p = 0; p < kc; p++) {
        const u64 v = row[p];
        d[p * MR * F] = v;
        if (F == 2) d[p * MR * F + MR] = xf(v);
      }
    }
    for (size_t r = mr; r < MR; r++) {
      u64* d = dst + r;
      for (size_t p = 0; p < kc; p++) {
        d[p * MR * F] = 0;
        if (F == 2) d[p * MR * F + MR] = 0;
      }
    }
    dst += kc * MR * F;
  }
}

RING_TARGET static void g_block(const u64* A, const u64* Bp, u64* C, size_t r0, size_t r1, size_t jp0, size_t jp1,
                                size_t k, size_t n, u64* abuf) {
  for (size_t jc = jp0; jc < jp1; jc += NCP) {
    const size_t jce = g_min(jp1, jc + NCP);
    for (size_t pc = 0; pc < k; pc += KC) {
      const size_t kc = g_min(KC, k - pc);
      const bool first = pc == 0;
      for (size_t ic = r0; ic < r1; ic += MC) {
        const size_t mc = g_min(MC, r1 - ic);
        g_pack_a(A, k, ic, mc, pc, kc, abuf);
        for (size_t jp = jc; jp < jce; jp++) {
          const u64* bp = Bp + (jp * k + pc) * NR * F;
          const size_t j0 = jp * NR;
          const size_t nr = g_min(NR, n - j0);
          for (size_t ir = 0; ir < mc; ir += MR) {
            ukernel(kc, abuf + (ir / MR) * kc * MR * F, bp, C + (ic + ir) * n + j0, n, g_min(MR, mc - ir), nr, first);
          }
        }
      }
    }
  }
}

RING_TARGET static void g_naive(const u64* A, const u64* B, u64* C, size_t m, size_t k, size_t n) {
  if (n == 1) {
    for (size_t i = 0; i < m; i++) {
      const u64* a = A + i * k;
      u64 s = 0;
      for (size_t p = 0; p < k; p++) s += a[p] * B[p];
      C[i] = s;
    }
    return;
  }
  for (size_t i = 0; i < m; i++) {
    u64* c = C + i * n;
    for (size_t j = 0; j < n; j++) c[j] = 0;
    for (size_t p = 0; p < k; p++) {
      const u64 a = A[i * k + p];
      const u64* b = B + p * n;
      RING_IVDEP for (size_t j = 0; j < n; j++) c[j] += a * b[j];
    }
  }
}

static const GemmOps gemm_ops = {
    MR, NR, F, KC, MC, NCP, ((MC + MR - 1) / MR) * MR * KC * F, g_pack_b, g_block, g_naive,
};
