// Shared declarations of the native Z_2^64 kernel: the per-level operation tables that ring.cc
// dispatches between at run time, and the helpers every level file uses.
//
// Every value is a 64-bit word and every operation wraps mod 2^64 (unsigned overflow is defined in
// C++). Each dispatch level lives in its own translation unit (level_*.cc) whose functions carry a
// `target` attribute, so the addon itself is built for baseline x86-64 and never for -march=native.
#ifndef PEERMPC_RING_H
#define PEERMPC_RING_H

#include <cstddef>
#include <cstdint>
#include <cstring>

typedef uint64_t u64;

// x86-64 builds with GCC or Clang get the AVX2 / AVX-512 levels; everything else (MSVC, arm64, ...)
// compiles the generic level only.
// Define RING_GENERIC_ONLY (e.g. CXXFLAGS=-DRING_GENERIC_ONLY) to build the generic level alone.
#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(RING_GENERIC_ONLY)
#define RING_X86 1
#else
#define RING_X86 0
#endif

// "This loop has no loop-carried dependence": elementwise loops stay vectorised when `out` is the
// same array as an input (distance 0). Partial overlaps are resolved by ring.cc before the call.
#if defined(__clang__)
#define RING_IVDEP _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define RING_IVDEP _Pragma("GCC ivdep")
#elif defined(_MSC_VER)
#define RING_IVDEP __pragma(loop(ivdep))
#else
#define RING_IVDEP
#endif

// Role 0's step of rep3's exact truncation (src/protocols/rep3/trunc.ts), fused: every array has
// n elements, lane arrays (masks*, msg*) have 2n lanes of `lane` bytes, little-endian, any
// alignment. t0, cur and prev may be the very same arrays as z, z2, r, ra or rb; msg* overlap nothing.
struct WrapSendArgs {
  const u64 *z, *z2, *r, *ra, *rb;
  const uint8_t *masks1, *masks2;
  u64 *t0, *cur, *prev;
  uint8_t *msg1, *msg2;
  unsigned bits, lane;
  size_t n;
};

// Elementwise operations. Arrays have n words; `o` may be the same array as any input. The fused
// ops at the end (see src/tensor/kernel.ts for their definitions) that take lanes work on
// elements [i0, i1) of n, so that a lane array of 2n lanes can be split between threads.
struct ElemOps {
  void (*add)(const u64* a, const u64* b, u64* o, size_t n);
  void (*sub)(const u64* a, const u64* b, u64* o, size_t n);
  void (*mul)(const u64* a, const u64* b, u64* o, size_t n);
  void (*band)(const u64* a, const u64* b, u64* o, size_t n);
  void (*bor)(const u64* a, const u64* b, u64* o, size_t n);
  void (*bxor)(const u64* a, const u64* b, u64* o, size_t n);
  void (*mul_add)(const u64* a, const u64* b, const u64* c, u64* o, size_t n);
  void (*neg)(const u64* a, u64* o, size_t n);
  void (*bnot)(const u64* a, u64* o, size_t n);
  void (*add_scalar)(const u64* a, u64 s, u64* o, size_t n);
  void (*mul_scalar)(const u64* a, u64 s, u64* o, size_t n);
  void (*shl)(const u64* a, unsigned k, u64* o, size_t n);
  void (*shr)(const u64* a, unsigned k, u64* o, size_t n);
  void (*sar)(const u64* a, unsigned k, u64* o, size_t n);
  // o = (x0*y0 + x0*y1 + x1*y0 + plus - minus) >> k; plus and minus may be null (zero).
  void (*mul_add3)(const u64* x0, const u64* x1, const u64* y0, const u64* y1, const u64* plus, const u64* minus,
                   u64* o, unsigned k, size_t n);
  // o = a - b*s
  void (*sub_mul_scalar)(const u64* a, const u64* b, u64 s, u64* o, size_t n);
  // o lane i = v lane (bit ? n + i : i), bit = (c[i] >> k) & 1
  void (*select_lanes)(const u64* c, unsigned k, const uint8_t* v, unsigned lane, uint8_t* o, size_t i0, size_t i1,
                       size_t n);
  // o[i] = t[i] - (sender lane (bit ? n + i : i) - other lane i) * s, bit = (t[i] >> k) & 1
  void (*unwrap_lanes)(const u64* t, unsigned k, const uint8_t* sender, const uint8_t* other, unsigned lane, u64 s,
                       u64* o, size_t i0, size_t i1, size_t n);
  void (*wrap_send)(const WrapSendArgs& a, size_t i0, size_t i1);
};

// Cache-blocked matmul (BLIS-style). B is packed once into NR-column panels (k rows each, NR*bf
// words per row: the words, then for bf == 2 a transformed copy the microkernel needs). Each worker
// then runs `block` on a rectangle of C, packing its own MR-row micro-panels of A into `abuf`.
struct GemmOps {
  size_t mr, nr;     // microkernel tile (rows of A, columns of B)
  size_t bf;         // words per packed B element (1, or 2 with a transformed copy)
  size_t kc, mc;     // depth block, rows of A per packed block
  size_t ncp;        // NR-panels per column block
  size_t abuf_words; // size of the per-thread A buffer
  // Packs column panels [jp0, jp1) of the k x n matrix B into Bp (panel jp at jp * k * nr * bf).
  void (*pack_b)(const u64* B, size_t k, size_t n, size_t jp0, size_t jp1, u64* Bp);
  // C[r0:r1, panel columns jp0:jp1] = A[r0:r1, :] . B  (k >= 1). C row stride is n.
  void (*block)(const u64* A, const u64* Bp, u64* C, size_t r0, size_t r1, size_t jp0, size_t jp1, size_t k,
                size_t n, u64* abuf);
  // Unblocked i-k-j product for thin or tiny shapes: C = A . B, C must not overlap A or B.
  void (*naive)(const u64* A, const u64* B, u64* C, size_t m, size_t k, size_t n);
};

const ElemOps* ring_elem_generic();
const GemmOps* ring_gemm_generic();
#if RING_X86
const ElemOps* ring_elem_avx2();
const GemmOps* ring_gemm_avx2();
const ElemOps* ring_elem_avx512();
const GemmOps* ring_gemm_avx512();
const GemmOps* ring_gemm_avx512ifma();
#endif

#endif
