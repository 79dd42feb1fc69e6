// peermpc_prg: AES-128-CTR keystream written in place into a caller's buffer.
//
// The share PRG (src/tensor/prg.ts) is AES-128-CTR with key = seed and counter block
// = stream id (64-bit big-endian) || block index (64-bit big-endian): exactly node:crypto's
// 'aes-128-ctr' with that IV, which remains the fallback. node:crypto returns a fresh buffer per
// update, so every keystream byte was allocated, copied and garbage-collected; here it is written
// straight into the target words. Dispatch at load time: VAES + AVX-512 (16 blocks per iteration
// in four zmm registers), else AES-NI (8 blocks in flight), else unavailable (the TypeScript side
// falls back to node:crypto). Never built with -march=native.
//
// Export: fill(roundKeys: Uint8Array(176), streamId: bigint, firstBlock: bigint, skip: number,
//              out: TypedArray) -- writes out.byteLength keystream bytes starting `skip` bytes into
//              block `firstBlock`. expandKey(key: Uint8Array(16)) -> Uint8Array(176). level().
#define NAPI_VERSION 8
#include <node_api.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#define PEERMPC_X86 1
#include <immintrin.h>
#endif

namespace {

#ifdef PEERMPC_X86

#define TARGET_AESNI __attribute__((target("aes,sse4.1")))
#define TARGET_VAES __attribute__((target("aes,sse4.1,avx2,avx512f,vaes")))

TARGET_AESNI inline __m128i expand_step(__m128i key, __m128i gen) {
  gen = _mm_shuffle_epi32(gen, 0xff);
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  return _mm_xor_si128(key, gen);
}

TARGET_AESNI void expand_key(const uint8_t* key, uint8_t* out) {
  __m128i k[11];
  k[0] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
  k[1] = expand_step(k[0], _mm_aeskeygenassist_si128(k[0], 0x01));
  k[2] = expand_step(k[1], _mm_aeskeygenassist_si128(k[1], 0x02));
  k[3] = expand_step(k[2], _mm_aeskeygenassist_si128(k[2], 0x04));
  k[4] = expand_step(k[3], _mm_aeskeygenassist_si128(k[3], 0x08));
  k[5] = expand_step(k[4], _mm_aeskeygenassist_si128(k[4], 0x10));
  k[6] = expand_step(k[5], _mm_aeskeygenassist_si128(k[5], 0x20));
  k[7] = expand_step(k[6], _mm_aeskeygenassist_si128(k[6], 0x40));
  k[8] = expand_step(k[7], _mm_aeskeygenassist_si128(k[7], 0x80));
  k[9] = expand_step(k[8], _mm_aeskeygenassist_si128(k[8], 0x1b));
  k[10] = expand_step(k[9], _mm_aeskeygenassist_si128(k[9], 0x36));
  for (int i = 0; i < 11; i++) _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16 * i), k[i]);
}

// The counter block for block index i: stream id (BE) || i (BE), as a byte-order-correct __m128i.
TARGET_AESNI inline __m128i counter_block(uint64_t stream_be_swapped, uint64_t i) {
  return _mm_set_epi64x(static_cast<long long>(__builtin_bswap64(i)), static_cast<long long>(stream_be_swapped));
}

TARGET_AESNI inline __m128i encrypt1(const __m128i* rk, __m128i b) {
  b = _mm_xor_si128(b, rk[0]);
  for (int r = 1; r < 10; r++) b = _mm_aesenc_si128(b, rk[r]);
  return _mm_aesenclast_si128(b, rk[10]);
}

// Writes `nblocks` whole keystream blocks starting at block index `first` to dst.
TARGET_AESNI void ctr_aesni(const uint8_t* keys, uint64_t stream, uint64_t first, uint8_t* dst, size_t nblocks) {
  __m128i rk[11];
  for (int i = 0; i < 11; i++) rk[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(keys + 16 * i));
  const uint64_t s = __builtin_bswap64(stream);
  size_t b = 0;
  for (; b + 8 <= nblocks; b += 8) {
    __m128i x[8];
    for (int j = 0; j < 8; j++) x[j] = _mm_xor_si128(counter_block(s, first + b + j), rk[0]);
    for (int r = 1; r < 10; r++)
      for (int j = 0; j < 8; j++) x[j] = _mm_aesenc_si128(x[j], rk[r]);
    for (int j = 0; j < 8; j++)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 16 * (b + j)), _mm_aesenclast_si128(x[j], rk[10]));
  }
  for (; b < nblocks; b++)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 16 * b), encrypt1(rk, counter_block(s, first + b)));
}

TARGET_VAES void ctr_vaes(const uint8_t* keys, uint64_t stream, uint64_t first, uint8_t* dst, size_t nblocks) {
  __m512i rk[11];
  for (int i = 0; i < 11; i++)
    rk[i] = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(keys + 16 * i)));
  const uint64_t s = __builtin_bswap64(stream);
  // Counter blocks as 64-bit lanes: [stream, bswap(i)] per 128-bit lane. Build per iteration.
  size_t b = 0;
  for (; b + 16 <= nblocks; b += 16) {
    __m512i x[4];
    for (int j = 0; j < 4; j++) {
      const uint64_t i0 = first + b + 4 * j;
      x[j] = _mm512_set_epi64(static_cast<long long>(__builtin_bswap64(i0 + 3)), static_cast<long long>(s),
                              static_cast<long long>(__builtin_bswap64(i0 + 2)), static_cast<long long>(s),
                              static_cast<long long>(__builtin_bswap64(i0 + 1)), static_cast<long long>(s),
                              static_cast<long long>(__builtin_bswap64(i0)), static_cast<long long>(s));
      x[j] = _mm512_xor_si512(x[j], rk[0]);
    }
    for (int r = 1; r < 10; r++)
      for (int j = 0; j < 4; j++) x[j] = _mm512_aesenc_epi128(x[j], rk[r]);
    for (int j = 0; j < 4; j++)
      _mm512_storeu_si512(reinterpret_cast<void*>(dst + 16 * (b + 4 * j)), _mm512_aesenclast_epi128(x[j], rk[10]));
  }
  if (b < nblocks) ctr_aesni(keys, stream, first + b, dst + 16 * b, nblocks - b);
}

#endif  // PEERMPC_X86

using CtrFn = void (*)(const uint8_t*, uint64_t, uint64_t, uint8_t*, size_t);
CtrFn g_ctr = nullptr;
const char* g_level = "none";

void detect() {
#ifdef PEERMPC_X86
  __builtin_cpu_init();
  const char* forced = std::getenv("PEERMPC_PRG_LEVEL");
  const bool aes = __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1");
  const bool vaes = aes && __builtin_cpu_supports("vaes") && __builtin_cpu_supports("avx512f");
  if (vaes && !(forced && std::strcmp(forced, "aesni") == 0)) {
    g_ctr = ctr_vaes;
    g_level = "vaes-avx512";
  } else if (aes) {
    g_ctr = ctr_aesni;
    g_level = "aesni";
  }
#endif
}

napi_value throw_error(napi_env env, const char* code, const char* msg, bool range) {
  if (range) napi_throw_range_error(env, code, msg);
  else napi_throw_type_error(env, code, msg);
  return nullptr;
}

bool bytes_of(napi_env env, napi_value v, uint8_t** data, size_t* len) {
  bool is_ta = false;
  napi_is_typedarray(env, v, &is_ta);
  if (!is_ta) return false;
  napi_typedarray_type type;
  size_t length;
  void* base;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, &base, &ab, &offset) != napi_ok) return false;
  size_t elem = 1;
  switch (type) {
    case napi_int16_array:
    case napi_uint16_array:
      elem = 2;
      break;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      elem = 4;
      break;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array:
      elem = 8;
      break;
    default:
      elem = 1;
  }
  *data = static_cast<uint8_t*>(base);
  *len = length * elem;
  return true;
}

napi_value Fill(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 5) return throw_error(env, nullptr, "fill(roundKeys, streamId, firstBlock, skip, out)", false);
  if (g_ctr == nullptr) return throw_error(env, nullptr, "no AES instructions on this CPU", false);
  uint8_t* keys;
  size_t klen;
  if (!bytes_of(env, argv[0], &keys, &klen) || klen != 176)
    return throw_error(env, nullptr, "roundKeys must be 176 bytes", true);
  uint64_t stream, first;
  bool lossless;
  if (napi_get_value_bigint_uint64(env, argv[1], &stream, &lossless) != napi_ok || !lossless)
    return throw_error(env, nullptr, "streamId must be a bigint in [0, 2^64)", false);
  if (napi_get_value_bigint_uint64(env, argv[2], &first, &lossless) != napi_ok || !lossless)
    return throw_error(env, nullptr, "firstBlock must be a bigint in [0, 2^64)", false);
  uint32_t skip;
  if (napi_get_value_uint32(env, argv[3], &skip) != napi_ok || skip > 15)
    return throw_error(env, nullptr, "skip must be an integer in [0, 15]", true);
  uint8_t* out;
  size_t len;
  if (!bytes_of(env, argv[4], &out, &len)) return throw_error(env, nullptr, "out must be a typed array", false);
#ifdef PEERMPC_X86
  size_t pos = 0;
  uint64_t block = first;
  if (skip > 0 && len > 0) {
    alignas(16) uint8_t tmp[16];
    g_ctr(keys, stream, block, tmp, 1);
    const size_t n = (len < 16 - skip) ? len : 16 - skip;
    std::memcpy(out, tmp + skip, n);
    pos += n;
    block++;
  }
  const size_t whole = (len - pos) / 16;
  if (whole > 0) {
    g_ctr(keys, stream, block, out + pos, whole);
    pos += whole * 16;
    block += whole;
  }
  if (pos < len) {
    alignas(16) uint8_t tmp[16];
    g_ctr(keys, stream, block, tmp, 1);
    std::memcpy(out + pos, tmp, len - pos);
  }
#else
  (void)stream;
  (void)first;
  (void)skip;
  (void)out;
  (void)len;
#endif
  return nullptr;
}

napi_value ExpandKey(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (g_ctr == nullptr) return throw_error(env, nullptr, "no AES instructions on this CPU", false);
  uint8_t* key;
  size_t klen;
  if (argc != 1 || !bytes_of(env, argv[0], &key, &klen) || klen != 16)
    return throw_error(env, nullptr, "key must be 16 bytes", true);
  napi_value ab, result;
  void* data;
  napi_create_arraybuffer(env, 176, &data, &ab);
#ifdef PEERMPC_X86
  expand_key(key, static_cast<uint8_t*>(data));
#endif
  napi_create_typedarray(env, napi_uint8_array, 176, ab, 0, &result);
  return result;
}

napi_value Level(napi_env env, napi_callback_info) {
  napi_value s;
  napi_create_string_utf8(env, g_level, NAPI_AUTO_LENGTH, &s);
  return s;
}

}  // namespace

NAPI_MODULE_INIT() {
  detect();
  const napi_property_descriptor props[] = {
      {"fill", nullptr, Fill, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"expandKey", nullptr, ExpandKey, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"level", nullptr, Level, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
