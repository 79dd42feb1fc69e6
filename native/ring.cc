// peermpc_ring: the native Z_2^64 kernel as a plain N-API addon (no node-addon-api).
//
// Every op takes BigUint64Array arguments (views of an ArrayBuffer or a SharedArrayBuffer, e.g.
// WebAssembly shared memory) and works on their memory in place. The loops are compiled for several
// x86 levels (level_*.cc, via target attributes) and one level is picked at load time with
// __builtin_cpu_supports: generic, avx2, avx512 (F+DQ: vpmullq), avx512-ifma (IFMA matmul).
// PEERMPC_NATIVE_LEVEL=<name> (or setLevel) forces a lower one, for tests. Large matmuls and long
// elementwise ops are split across a persistent thread pool (pool.h): min(hardware threads,
// PEERMPC_THREADS) threads, the caller included.
//
// Exports: add sub mul mulAdd neg addScalar mulScalar and or xor not shl shrLogical shrArithmetic
// matmul, the fused rep3 ops mulAdd3 subMulScalar selectLanes unwrapLanes wrapSend (fused_napi.h)
// (the RingKernel ops), level() levels() setLevel(name) threads() setThreads(n) blocking() poolSize().
// Argument errors throw TypeError (not a BigUint64Array, scalar not a bigint) or RangeError (lengths,
// shift amounts, dimensions), with the reference kernel's messages.
#define NAPI_VERSION 8
#include <node_api.h>

#include "napi_errors.h"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <system_error>
#include <thread>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <vector>

#include "pool.h"
#include "ring.h"

#if defined(_MSC_VER)
#include <malloc.h>
#endif

namespace {

// ---------------------------------------------------------------------------------------------
// Dispatch levels

struct Level {
  const char* name;
  const ElemOps* elem;
  const GemmOps* gemm;
};

Level g_levels[4];  // supported levels, lowest first
int g_level_count = 0;
std::atomic<int> g_level{0};
std::atomic<unsigned> g_threads{1};

// Products with fewer multiply-adds than this run on the calling thread only.
constexpr double kThreadMinMacs = 1 << 21;
// Products with fewer multiply-adds than this skip packing (the i-k-j loop wins).
constexpr double kBlockedMinMacs = 1 << 14;
// Elementwise ops give each thread at least this many words (they are memory-bound: one core
// streams ~25-30 GB/s here, two nearly twice that).
constexpr size_t kElemWordsPerThread = 1 << 17;

void detect_levels() {
  if (g_level_count > 0) return;
  g_levels[g_level_count++] = Level{"generic", ring_elem_generic(), ring_gemm_generic()};
#if RING_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) {
    g_levels[g_level_count++] = Level{"avx2", ring_elem_avx2(), ring_gemm_avx2()};
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) {
      g_levels[g_level_count++] = Level{"avx512", ring_elem_avx512(), ring_gemm_avx512()};
      if (__builtin_cpu_supports("avx512ifma")) {
        g_levels[g_level_count++] = Level{"avx512-ifma", ring_elem_avx512(), ring_gemm_avx512ifma()};
      }
    }
  }
#endif
  int chosen = g_level_count - 1;
  const char* forced = std::getenv("PEERMPC_NATIVE_LEVEL");
  if (forced != nullptr && forced[0] != '\0') {
    for (int i = 0; i < g_level_count; i++) {
      if (std::strcmp(g_levels[i].name, forced) == 0) chosen = i;
    }
  }
  g_level.store(chosen);

  unsigned hw = std::thread::hardware_concurrency();
  if (hw == 0) hw = 1;
  const char* env = std::getenv("PEERMPC_THREADS");
  if (env != nullptr && env[0] != '\0') {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v >= 1 && (unsigned long)v < hw) hw = (unsigned)v;
  }
  g_threads.store(hw);
}

const Level& current() { return g_levels[g_level.load(std::memory_order_relaxed)]; }

// ---------------------------------------------------------------------------------------------
// Memory

struct Buffer {
  u64* p = nullptr;
  explicit Buffer(size_t words) {
    if (words == 0) words = 1;
    size_t bytes = ((words * sizeof(u64)) + 63) & ~(size_t)63;
#if defined(_MSC_VER)
    p = static_cast<u64*>(_aligned_malloc(bytes, 64));
#else
    void* q = nullptr;
    if (posix_memalign(&q, 64, bytes) == 0) p = static_cast<u64*>(q);
#endif
  }
  ~Buffer() {
#if defined(_MSC_VER)
    _aligned_free(p);
#else
    std::free(p);
#endif
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
};

// Whether [x, x + nx) and [y, y + ny) share a word (compared as addresses: they may be unrelated arrays).
bool overlaps2(const u64* x, size_t nx, const u64* y, size_t ny) {
  const uintptr_t px = (uintptr_t)x, py = (uintptr_t)y;
  return nx > 0 && ny > 0 && px < py + ny * sizeof(u64) && py < px + nx * sizeof(u64);
}
bool overlaps(const u64* x, const u64* y, size_t n) { return overlaps2(x, n, y, n); }

// ---------------------------------------------------------------------------------------------
// Matmul driver: packing, threading

// The persistent workers (pool.h); shut down by the environment cleanup hook and at exit.
ringpool::Pool g_pool;
// N-API environments (main thread, worker_threads) that loaded the addon and are still alive.
std::atomic<int> g_envs{0};

// Runs fn(0..count-1): fn(0) on the calling thread, the rest on the pool's workers (or, unclaimed,
// on the calling thread too).
template <typename Fn>
void parallel(unsigned count, const Fn& fn) {
  g_pool.run(count, fn);
}

// Runs fn(offset, length) over [0, n) in chunks, on several threads when n is large.
template <typename Fn>
void split(size_t n, const Fn& fn) {
  unsigned threads = g_threads.load();
  const size_t most = n / kElemWordsPerThread;
  if (threads > most) threads = (unsigned)most;
  if (threads <= 1) {
    fn(0, n);
    return;
  }
  const size_t chunk = (((n + threads - 1) / threads) + 7) & ~(size_t)7;  // whole cache lines
  parallel(threads, [&](unsigned t) {
    const size_t off = t * chunk;
    if (off < n) fn(off, n - off < chunk ? n - off : chunk);
  });
}

// out = a . b for row-major a (m x k), b (k x n); out must not overlap a or b. Returns false when
// memory runs out.
bool matmul(const Level& level, const u64* a, const u64* b, u64* out, size_t m, size_t k, size_t n) {
  if (m == 0 || n == 0) return true;
  if (k == 0) {
    std::memset(out, 0, m * n * sizeof(u64));
    return true;
  }
  const GemmOps& g = *level.gemm;
  const double macs = (double)m * (double)k * (double)n;
  // Tiny products, a single column (a dot product per row) and fewer rows than half a microkernel
  // tile (the i-k-j loop vectorises along n) skip packing.
  if (macs < kBlockedMinMacs || n == 1 || m * 2 < g.mr) {
    g.naive(a, b, out, m, k, n);
    return true;
  }
  const size_t panels = (n + g.nr - 1) / g.nr;
  const size_t row_blocks = (m + g.mr - 1) / g.mr;
  unsigned threads = macs < kThreadMinMacs ? 1 : g_threads.load();
  // Split rows when there are enough MR-row blocks, else split column panels.
  const bool split_rows = row_blocks >= panels || row_blocks >= 2 * (size_t)threads;
  const size_t units = split_rows ? row_blocks : panels;
  if (threads > units) threads = (unsigned)units;

  Buffer bp(panels * k * g.nr * g.bf);
  if (bp.p == nullptr) return false;
  std::vector<Buffer*> abufs;
  bool ok = true;
  for (unsigned t = 0; t < threads; t++) {
    abufs.push_back(new (std::nothrow) Buffer(g.abuf_words));
    if (abufs.back() == nullptr || abufs.back()->p == nullptr) ok = false;
  }
  if (ok) {
    const size_t per = (units + threads - 1) / threads;
    if (split_rows) {
      // All threads pack B together (panels handed out dynamically, so a thread that could not be
      // started costs no deadlock), wait until every panel is packed, then each takes a band of rows.
      std::atomic<size_t> next{0}, packed{0};
      const size_t grab = panels / (4 * (size_t)threads) + 1;
      parallel(threads, [&](unsigned t) {
        for (;;) {
          const size_t p0 = next.fetch_add(grab);
          if (p0 >= panels) break;
          const size_t p1 = p0 + grab < panels ? p0 + grab : panels;
          g.pack_b(b, k, n, p0, p1, bp.p);
          packed.fetch_add(p1 - p0, std::memory_order_release);
        }
        while (packed.load(std::memory_order_acquire) < panels) std::this_thread::yield();
        const size_t r0 = t * per * g.mr;
        size_t r1 = r0 + per * g.mr;
        if (r1 > m) r1 = m;
        if (r0 < r1) g.block(a, bp.p, out, r0, r1, 0, panels, k, n, abufs[t]->p);
      });
    } else {
      // Each thread packs and computes its own column panels.
      parallel(threads, [&](unsigned t) {
        const size_t p0 = t * per, p1 = p0 + per < panels ? p0 + per : panels;
        if (p0 >= p1) return;
        g.pack_b(b, k, n, p0, p1, bp.p);
        g.block(a, bp.p, out, 0, m, p0, p1, k, n, abufs[t]->p);
      });
    }
  }
  for (Buffer* buf : abufs) delete buf;
  return ok;
}

// ---------------------------------------------------------------------------------------------
// N-API helpers

std::string fmt_number(double v) {
  char s[64];
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e21) {
    std::snprintf(s, sizeof s, "%.0f", v);
  } else {
    std::snprintf(s, sizeof s, "%.17g", v);
  }
  return s;
}

using peermpc::throw_error;

struct Args {
  napi_value v[16];
  size_t argc = 16;
};

bool get_args(napi_env env, napi_callback_info info, const char* op, size_t need, Args* args) {
  if (napi_get_cb_info(env, info, &args->argc, args->v, nullptr, nullptr) != napi_ok) {
    throw_error(env, "error", std::string(op) + ": cannot read arguments");
    return false;
  }
  if (args->argc < need) {
    throw_error(env, "type", std::string(op) + ": expected " + std::to_string(need) + " arguments, got " +
                                 std::to_string(args->argc));
    return false;
  }
  return true;
}

struct Words {
  u64* p = nullptr;
  size_t n = 0;
};

bool get_words(napi_env env, napi_value v, const char* op, const char* what, Words* w) {
  bool is_ta = false;
  napi_typedarray_type type = napi_int8_array;
  void* data = nullptr;
  size_t length = 0;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_biguint64_array) {
    throw_error(env, "type", std::string(op) + ": " + what + " is not a BigUint64Array");
    return false;
  }
  w->p = static_cast<u64*>(data);
  w->n = length;
  return true;
}

const char* kOperand[] = {"operand 0", "operand 1", "operand 2", "operand 3", "operand 4", "operand 5", "operand 6"};

// Reads `count` same-length arrays from args[0..count).
bool get_same_length(napi_env env, const Args& args, const char* op, size_t count, Words* w) {
  for (size_t i = 0; i < count; i++) {
    if (!get_words(env, args.v[i], op, kOperand[i], &w[i])) return false;
  }
  for (size_t i = 1; i < count; i++) {
    if (w[i].n != w[0].n) {
      throw_error(env, "range", std::string(op) + ": operand " + std::to_string(i) + " has " + std::to_string(w[i].n) +
                                    " words, operand 0 has " + std::to_string(w[0].n));
      return false;
    }
  }
  return true;
}

// A bigint taken mod 2^64 (negative values wrap: -1n is 2^64 - 1).
bool get_scalar(napi_env env, napi_value v, const char* op, u64* out) {
  int sign = 0;
  size_t count = 1;
  u64 word = 0;
  if (napi_get_value_bigint_words(env, v, &sign, &count, &word) != napi_ok) {
    throw_error(env, "type", std::string(op) + ": the scalar is not a bigint");
    return false;
  }
  if (count == 0) word = 0;
  *out = sign ? (u64)0 - word : word;
  return true;
}

bool get_shift(napi_env env, napi_value v, unsigned* out) {
  double k = 0;
  if (napi_get_value_double(env, v, &k) != napi_ok) {
    throw_error(env, "range", "shift amount is not a number in [0, 63]");
    return false;
  }
  if (!(k >= 0 && k <= 63 && k == std::floor(k))) {
    throw_error(env, "range", "shift amount " + fmt_number(k) + " is not an integer in [0, 63]");
    return false;
  }
  *out = (unsigned)k;
  return true;
}

bool get_dim(napi_env env, napi_value v, const char* name, size_t* out) {
  double d = 0;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0 && d <= 9007199254740991.0 && d == std::floor(d))) {
    throw_error(env, "range", std::string("matmul: ") + name + " is not a non-negative integer");
    return false;
  }
  *out = (size_t)d;
  return true;
}

// Copies of inputs that partially overlap `out` (same start is fine: the loops read element i before
// writing element i; any other overlap is resolved by reading from a snapshot).
struct Snapshot {
  std::vector<Buffer*> bufs;
  bool failed = false;
  ~Snapshot() {
    for (Buffer* b : bufs) delete b;
  }
  // Returns the pointer to read `in` from; sets `failed` when out of memory.
  const u64* take(const u64* in, const u64* out, size_t n) {
    if (in == out || !overlaps(in, out, n)) return in;
    Buffer* b = new (std::nothrow) Buffer(n);
    if (b != nullptr) bufs.push_back(b);
    if (b == nullptr || b->p == nullptr) {
      failed = true;
      return in;
    }
    std::memcpy(b->p, in, n * sizeof(u64));
    return b->p;
  }
};

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// ---------------------------------------------------------------------------------------------
// Ops

typedef void (*BinFn)(const u64*, const u64*, u64*, size_t);
typedef void (*UnFn)(const u64*, u64*, size_t);
typedef void (*ScalarFn)(const u64*, u64, u64*, size_t);
typedef void (*ShiftFn)(const u64*, unsigned, u64*, size_t);

napi_value binary(napi_env env, napi_callback_info info, const char* op, BinFn ElemOps::*fn) {
  Args args;
  Words w[3];
  if (!get_args(env, info, op, 3, &args) || !get_same_length(env, args, op, 3, w)) return nullptr;
  Snapshot snap;
  const u64* a = snap.take(w[0].p, w[2].p, w[0].n);
  const u64* b = snap.take(w[1].p, w[2].p, w[0].n);
  if (snap.failed) {
    throw_error(env, "error", std::string(op) + ": out of memory");
    return nullptr;
  }
  const BinFn f = current().elem->*fn;
  u64* out = w[2].p;
  split(w[0].n, [&](size_t off, size_t len) { f(a + off, b + off, out + off, len); });
  return undefined(env);
}

napi_value unary(napi_env env, napi_callback_info info, const char* op, UnFn ElemOps::*fn) {
  Args args;
  Words w[2];
  if (!get_args(env, info, op, 2, &args) || !get_same_length(env, args, op, 2, w)) return nullptr;
  Snapshot snap;
  const u64* a = snap.take(w[0].p, w[1].p, w[0].n);
  if (snap.failed) {
    throw_error(env, "error", std::string(op) + ": out of memory");
    return nullptr;
  }
  const UnFn f = current().elem->*fn;
  u64* out = w[1].p;
  split(w[0].n, [&](size_t off, size_t len) { f(a + off, out + off, len); });
  return undefined(env);
}

// (a, scalar-or-shift, out): reads the middle argument with `get`.
template <typename Fn, typename T, typename Get>
napi_value with_scalar(napi_env env, napi_callback_info info, const char* op, Fn ElemOps::*fn, Get get) {
  Args args;
  Words w[2];
  if (!get_args(env, info, op, 3, &args) || !get_words(env, args.v[0], op, kOperand[0], &w[0]) ||
      !get_words(env, args.v[2], op, kOperand[1], &w[1])) {
    return nullptr;
  }
  if (w[1].n != w[0].n) {
    throw_error(env, "range", std::string(op) + ": operand 1 has " + std::to_string(w[1].n) + " words, operand 0 has " +
                                  std::to_string(w[0].n));
    return nullptr;
  }
  T s{};
  if (!get(env, args.v[1], &s)) return nullptr;
  Snapshot snap;
  const u64* a = snap.take(w[0].p, w[1].p, w[0].n);
  if (snap.failed) {
    throw_error(env, "error", std::string(op) + ": out of memory");
    return nullptr;
  }
  const Fn f = current().elem->*fn;
  u64* out = w[1].p;
  split(w[0].n, [&](size_t off, size_t len) { f(a + off, s, out + off, len); });
  return undefined(env);
}

#define BINARY(js, field) \
  napi_value js_##field(napi_env env, napi_callback_info info) { return binary(env, info, js, &ElemOps::field); }
#define UNARY(js, field) \
  napi_value js_##field(napi_env env, napi_callback_info info) { return unary(env, info, js, &ElemOps::field); }
#define SCALAR(js, field)                                                                                   \
  napi_value js_##field(napi_env env, napi_callback_info info) {                                           \
    return with_scalar<ScalarFn, u64>(env, info, js, &ElemOps::field,                                      \
                                      [](napi_env e, napi_value v, u64* s) { return get_scalar(e, v, js, s); }); \
  }
#define SHIFT(js, field)                                                            \
  napi_value js_##field(napi_env env, napi_callback_info info) {                    \
    return with_scalar<ShiftFn, unsigned>(env, info, js, &ElemOps::field, get_shift); \
  }

BINARY("add", add)
BINARY("sub", sub)
BINARY("mul", mul)
BINARY("and", band)
BINARY("or", bor)
BINARY("xor", bxor)
UNARY("neg", neg)
UNARY("not", bnot)
SCALAR("addScalar", add_scalar)
SCALAR("mulScalar", mul_scalar)
SHIFT("shl", shl)
SHIFT("shrLogical", shr)
SHIFT("shrArithmetic", sar)

napi_value js_mul_add(napi_env env, napi_callback_info info) {
  const char* op = "mulAdd";
  Args args;
  Words w[4];
  if (!get_args(env, info, op, 4, &args) || !get_same_length(env, args, op, 4, w)) return nullptr;
  Snapshot snap;
  const u64* a = snap.take(w[0].p, w[3].p, w[0].n);
  const u64* b = snap.take(w[1].p, w[3].p, w[0].n);
  const u64* c = snap.take(w[2].p, w[3].p, w[0].n);
  if (snap.failed) {
    throw_error(env, "error", "mulAdd: out of memory");
    return nullptr;
  }
  const auto f = current().elem->mul_add;
  u64* out = w[3].p;
  split(w[0].n, [&](size_t off, size_t len) { f(a + off, b + off, c + off, out + off, len); });
  return undefined(env);
}

#include "fused_napi.h"

// True when x * y == want (no overflow).
bool product_is(size_t x, size_t y, size_t want) {
  if (x == 0 || y == 0) return want == 0;
  if (x > SIZE_MAX / y) return false;
  return x * y == want;
}

napi_value js_matmul(napi_env env, napi_callback_info info) {
  Args args;
  Words a, b, out;
  size_t m = 0, k = 0, n = 0;
  if (!get_args(env, info, "matmul", 6, &args) || !get_words(env, args.v[0], "matmul", "a", &a) ||
      !get_words(env, args.v[1], "matmul", "b", &b) || !get_words(env, args.v[2], "matmul", "out", &out) ||
      !get_dim(env, args.v[3], "m", &m) || !get_dim(env, args.v[4], "k", &k) || !get_dim(env, args.v[5], "n", &n)) {
    return nullptr;
  }
  const std::string ms = std::to_string(m), ks = std::to_string(k), ns = std::to_string(n);
  if (!product_is(m, k, a.n)) {
    throw_error(env, "range", "matmul: a has " + std::to_string(a.n) + " words, expected " + ms + "x" + ks);
    return nullptr;
  }
  if (!product_is(k, n, b.n)) {
    throw_error(env, "range", "matmul: b has " + std::to_string(b.n) + " words, expected " + ks + "x" + ns);
    return nullptr;
  }
  if (!product_is(m, n, out.n)) {
    throw_error(env, "range", "matmul: out has " + std::to_string(out.n) + " words, expected " + ms + "x" + ns);
    return nullptr;
  }
  // The contract forbids out aliasing a or b; this kernel tolerates it by computing into a temporary.
  const bool alias = overlaps2(out.p, out.n, a.p, a.n) || overlaps2(out.p, out.n, b.p, b.n);
  bool ok;
  if (alias) {
    Buffer tmp(out.n);
    ok = tmp.p != nullptr && matmul(current(), a.p, b.p, tmp.p, m, k, n);
    if (ok) std::memcpy(out.p, tmp.p, out.n * sizeof(u64));
  } else {
    ok = matmul(current(), a.p, b.p, out.p, m, k, n);
  }
  if (!ok) {
    throw_error(env, "error", "matmul: out of memory");
    return nullptr;
  }
  return undefined(env);
}

// ---------------------------------------------------------------------------------------------
// Dispatch control

napi_value make_string(napi_env env, const char* s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

napi_value make_number(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

napi_value js_level(napi_env env, napi_callback_info) { return make_string(env, current().name); }

napi_value js_levels(napi_env env, napi_callback_info) {
  napi_value arr;
  napi_create_array_with_length(env, (size_t)g_level_count, &arr);
  for (int i = 0; i < g_level_count; i++) napi_set_element(env, arr, (uint32_t)i, make_string(env, g_levels[i].name));
  return arr;
}

napi_value js_set_level(napi_env env, napi_callback_info info) {
  Args args;
  if (!get_args(env, info, "setLevel", 1, &args)) return nullptr;
  char name[64] = {0};
  size_t len = 0;
  if (napi_get_value_string_utf8(env, args.v[0], name, sizeof name, &len) != napi_ok) {
    throw_error(env, "type", "setLevel: the level must be a string");
    return nullptr;
  }
  for (int i = 0; i < g_level_count; i++) {
    if (std::strcmp(g_levels[i].name, name) == 0) {
      g_level.store(i);
      return undefined(env);
    }
  }
  throw_error(env, "range", std::string("setLevel: level \"") + name + "\" is not supported on this CPU");
  return nullptr;
}

napi_value js_threads(napi_env env, napi_callback_info) { return make_number(env, g_threads.load()); }

napi_value js_set_threads(napi_env env, napi_callback_info info) {
  Args args;
  double d = 0;
  if (!get_args(env, info, "setThreads", 1, &args)) return nullptr;
  if (napi_get_value_double(env, args.v[0], &d) != napi_ok || !(d >= 1 && d <= 256 && d == std::floor(d))) {
    throw_error(env, "range", "setThreads: the count must be an integer in [1, 256]");
    return nullptr;
  }
  g_threads.store((unsigned)d);
  return undefined(env);
}

// The current level's matmul blocking, for tests that want sizes around the block edges.
napi_value js_blocking(napi_env env, napi_callback_info) {
  const GemmOps& g = *current().gemm;
  napi_value obj;
  napi_create_object(env, &obj);
  napi_set_named_property(env, obj, "mr", make_number(env, (double)g.mr));
  napi_set_named_property(env, obj, "nr", make_number(env, (double)g.nr));
  napi_set_named_property(env, obj, "kc", make_number(env, (double)g.kc));
  napi_set_named_property(env, obj, "mc", make_number(env, (double)g.mc));
  napi_set_named_property(env, obj, "nc", make_number(env, (double)(g.ncp * g.nr)));
  napi_set_named_property(env, obj, "blockedMinMacs", make_number(env, kBlockedMinMacs));
  napi_set_named_property(env, obj, "threadMinMacs", make_number(env, kThreadMinMacs));
  napi_set_named_property(env, obj, "elementwiseWordsPerThread", make_number(env, (double)kElemWordsPerThread));
  return obj;
}

// Gives the allocator's free memory back to the operating system (glibc keeps freed pages of
// large buffers for later allocations); true when some was returned. A no-op elsewhere.
napi_value js_trim_heap(napi_env env, napi_callback_info) {
#if defined(__GLIBC__)
  napi_value out;
  napi_get_boolean(env, malloc_trim(0) != 0, &out);
  return out;
#else
  napi_value out;
  napi_get_boolean(env, false, &out);
  return out;
#endif
}

// Narrow lanes (src/protocols/lanes.ts): packLanes(words, lane, out) writes the low `lane` bytes
// of each word (lane 1, 2 or 4) into the Uint8Array `out` (words * lane bytes);
// unpackLanes(bytes, lane, out) zero-extends each lane of the Uint8Array `bytes` into a word.
// Little-endian bytes, like every payload. `bytes`/`out` may start at any offset.
bool get_lane_args(napi_env env, napi_callback_info info, const char* op, Words* w, uint8_t** bytes,
                   size_t* nbytes, unsigned* lane) {
  Args args;
  if (!get_args(env, info, op, 3, &args)) return false;
  const bool pack = op[0] == 'p';
  if (!get_words(env, args.v[pack ? 0 : 2], op, "words", w)) return false;
  double l = 0;
  if (napi_get_value_double(env, args.v[1], &l) != napi_ok || !(l == 1 || l == 2 || l == 4)) {
    throw_error(env, "range", std::string(op) + ": lane must be 1, 2 or 4 bytes");
    return false;
  }
  *lane = (unsigned)l;
  bool is_ta = false;
  napi_typedarray_type type = napi_int8_array;
  void* data = nullptr;
  if (napi_is_typedarray(env, args.v[pack ? 2 : 0], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, args.v[pack ? 2 : 0], &type, nbytes, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array) {
    throw_error(env, "type", std::string(op) + ": bytes are not a Uint8Array");
    return false;
  }
  *bytes = static_cast<uint8_t*>(data);
  if (*nbytes != w->n * *lane) {
    throw_error(env, "range", std::string(op) + ": " + std::to_string(*nbytes) + " bytes for " +
                                  std::to_string(w->n) + " lanes of " + std::to_string(*lane));
    return false;
  }
  return true;
}

template <typename T>
void pack_lanes(const u64* w, size_t n, uint8_t* out) {
  for (size_t i = 0; i < n; i++) {
    T v = (T)w[i];
    std::memcpy(out + i * sizeof(T), &v, sizeof(T));
  }
}

template <typename T>
void unpack_lanes(const uint8_t* in, size_t n, u64* w) {
  for (size_t i = 0; i < n; i++) {
    T v;
    std::memcpy(&v, in + i * sizeof(T), sizeof(T));
    w[i] = (u64)v;
  }
}

// packLanes / unpackLanes: the same arguments, moved one way or the other.
napi_value lanes(napi_env env, napi_callback_info info, bool pack) {
  Words w;
  uint8_t* bytes = nullptr;
  size_t nbytes = 0;
  unsigned lane = 0;
  if (!get_lane_args(env, info, pack ? "packLanes" : "unpackLanes", &w, &bytes, &nbytes, &lane)) return nullptr;
  if (lane == 1) pack ? pack_lanes<uint8_t>(w.p, w.n, bytes) : unpack_lanes<uint8_t>(bytes, w.n, w.p);
  else if (lane == 2) pack ? pack_lanes<uint16_t>(w.p, w.n, bytes) : unpack_lanes<uint16_t>(bytes, w.n, w.p);
  else pack ? pack_lanes<uint32_t>(w.p, w.n, bytes) : unpack_lanes<uint32_t>(bytes, w.n, w.p);
  return undefined(env);
}

napi_value js_pack_lanes(napi_env env, napi_callback_info info) { return lanes(env, info, true); }
napi_value js_unpack_lanes(napi_env env, napi_callback_info info) { return lanes(env, info, false); }

// Keeps large freed buffers inside the process for the next allocation (glibc): a share buffer is
// allocated, filled and freed many times per op, and with glibc's defaults each 8 MB buffer is a
// fresh mmap whose first touch page-faults 2,048 times (about 2-6 ms per 8 MB here against 0.3 ms
// to fill a warm one). mallopt(M_MMAP_THRESHOLD, bytes) serves buffers below `bytes` from the heap
// and M_TRIM_THRESHOLD keeps up to that much free memory at its top; trimHeap() gives it back when
// the process goes idle. Returns whether both were set (false off glibc or when glibc refuses a
// value, as it refuses an mmap threshold above its maximum; then nothing changes).
napi_value js_tune_heap(napi_env env, napi_callback_info info) {
  Args args;
  double mmap_bytes = 0, trim_bytes = 0;
  if (!get_args(env, info, "tuneHeap", 2, &args)) return nullptr;
  if (napi_get_value_double(env, args.v[0], &mmap_bytes) != napi_ok ||
      napi_get_value_double(env, args.v[1], &trim_bytes) != napi_ok || !(mmap_bytes >= 0) ||
      !(trim_bytes >= 0) || mmap_bytes > 2147483647.0 || trim_bytes > 2147483647.0) {
    throw_error(env, "range", "tuneHeap: thresholds must be byte counts in [0, 2^31)");
    return nullptr;
  }
  bool ok = false;
#if defined(__GLIBC__)
  ok = mallopt(M_MMAP_THRESHOLD, (int)mmap_bytes) == 1;
  if (ok) ok = mallopt(M_TRIM_THRESHOLD, (int)trim_bytes) == 1;
#endif
  napi_value out;
  napi_get_boolean(env, ok, &out);
  return out;
}

// Workers the pool holds now (tests: it keeps them between calls and grows with setThreads).
napi_value js_pool_size(napi_env env, napi_callback_info) { return make_number(env, g_pool.size()); }

// When the last environment that loaded the addon is torn down (process exit, or the end of the
// only worker_thread using it), the workers are joined; a later call would start them again.
void on_env_cleanup(void*) {
  if (g_envs.fetch_sub(1) == 1) g_pool.shutdown();
}

const char* addon_name() { return "peermpc_ring"; }

// Keeps C++ exceptions from unwinding into Node (napi_errors.h).
template <napi_value (*F)(napi_env, napi_callback_info)>
napi_value guarded(napi_env env, napi_callback_info info) {
  return peermpc::guarded<addon_name, F>(env, info);
}

}  // namespace

NAPI_MODULE_INIT() {
  detect_levels();
  g_envs.fetch_add(1);
  if (napi_add_env_cleanup_hook(env, on_env_cleanup, nullptr) != napi_ok) g_envs.fetch_sub(1);
  const napi_property_descriptor props[] = {
      {"add", nullptr, guarded<js_add>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sub", nullptr, guarded<js_sub>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"mul", nullptr, guarded<js_mul>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"mulAdd", nullptr, guarded<js_mul_add>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"neg", nullptr, guarded<js_neg>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"addScalar", nullptr, guarded<js_add_scalar>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"mulScalar", nullptr, guarded<js_mul_scalar>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"and", nullptr, guarded<js_band>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"or", nullptr, guarded<js_bor>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"xor", nullptr, guarded<js_bxor>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"not", nullptr, guarded<js_bnot>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"shl", nullptr, guarded<js_shl>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"shrLogical", nullptr, guarded<js_shr>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"shrArithmetic", nullptr, guarded<js_sar>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"matmul", nullptr, guarded<js_matmul>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"mulAdd3", nullptr, guarded<js_mul_add3>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"subMulScalar", nullptr, guarded<js_sub_mul_scalar>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"selectLanes", nullptr, guarded<js_select_lanes>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"unwrapLanes", nullptr, guarded<js_unwrap_lanes>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"wrapSend", nullptr, guarded<js_wrap_send>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"poolSize", nullptr, guarded<js_pool_size>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"level", nullptr, guarded<js_level>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"levels", nullptr, guarded<js_levels>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setLevel", nullptr, guarded<js_set_level>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"threads", nullptr, guarded<js_threads>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setThreads", nullptr, guarded<js_set_threads>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"blocking", nullptr, guarded<js_blocking>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"trimHeap", nullptr, guarded<js_trim_heap>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"tuneHeap", nullptr, guarded<js_tune_heap>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"packLanes", nullptr, guarded<js_pack_lanes>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"unpackLanes", nullptr, guarded<js_unpack_lanes>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return nullptr;
  return exports;
}
