// peermpc_aead: ChaCha20-Poly1305 (RFC 8439: IETF, 96-bit nonce, 128-bit tag) for libp2p's Noise,
// through the OpenSSL EVP API of the Node binary itself (no system libssl is linked: the node
// executable exports the EVP_* symbols, and node-gyp puts its OpenSSL headers on the include path).
//
// node:crypto builds a cipher object per message, returns fresh buffers from update/final/getAuthTag
// and Noise concatenates them; here one EVP_CIPHER_CTX per thread and direction is re-keyed per call
// and the ciphertext is written straight into a buffer the caller provides. The bytes are exactly
// node:crypto's (the same OpenSSL code): src/node/noise-crypto.ts checks that at load and falls back
// to Noise's default crypto when this addon is missing or disagrees.
//
// Exports:
//   seal(key: Uint8Array(32), nonce: Uint8Array(12), ad: Uint8Array, parts: Uint8Array | Uint8Array[],
//        out: Uint8Array) -> undefined
//     encrypts the concatenation of `parts` and writes ciphertext || tag (plaintext length + 16 bytes)
//     into `out`, which must have exactly that length.
//   open(key, nonce, ad, parts: Uint8Array | Uint8Array[], out: Uint8Array) -> boolean
//     `parts` hold ciphertext || tag; `out` (ciphertext length - 16 bytes) receives the plaintext and
//     may be the ciphertext's own memory (in-place decryption). Returns false when the tag does not
//     verify, and then `out` is zeroed: no unverified plaintext stays readable.
//   openInPlace(key, nonce, ad, parts: Uint8Array[]) -> boolean
//     as open, with each part's ciphertext bytes decrypted where they are: the plaintext is the
//     parts' bytes before the tag, in order (a Noise message cut between two socket reads needs no
//     buffer of its own). The parts must not overlap each other or `ad`. On a bad tag those bytes
//     are zeroed. At most 16 parts.
// Any input may overlap `out`: an input that is not exactly at its own place in `out` is copied
// first. Argument errors throw TypeError (not a Uint8Array) or RangeError (lengths); an OpenSSL
// failure throws Error. OpenSSL's error queue is left empty (node:crypto reads it).
//
// Without Node's OpenSSL headers (a node built against a shared libssl may not ship them) this
// compiles to a module with no exports rather than failing the whole native build; the TypeScript
// side then uses Noise's default crypto.
#define NAPI_VERSION 8
#include <node_api.h>

#include "napi_errors.h"

#if defined(__has_include)
#if !__has_include(<openssl/evp.h>)
#define PEERMPC_AEAD_STUB 1
#endif
#endif

#ifdef PEERMPC_AEAD_STUB
NAPI_MODULE_INIT() {
  (void)env;
  return exports;
}
#else

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <climits>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <vector>

namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
// EVP_*Update take an int length: associated data goes in pieces of at most this many bytes.
constexpr size_t kMaxUpdate = size_t{1} << 30;
// The plaintext or ciphertext goes in pieces of this many bytes (see stream()).
constexpr size_t kPiece = 4096;

// ---------------------------------------------------------------------------------------------
// Errors (the pattern of native/ring.cc)

using peermpc::throw_error;

// ---------------------------------------------------------------------------------------------
// Arguments

struct Bytes {
  uint8_t* p = nullptr;
  size_t n = 0;
};

// A Uint8Array's memory (a Buffer is one). A detached one reads as empty.
bool get_bytes(napi_env env, napi_value v, const char* op, const std::string& what, Bytes* b) {
  bool is_ta = false;
  napi_typedarray_type type = napi_int8_array;
  void* data = nullptr;
  size_t length = 0;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array) {
    throw_error(env, "type", std::string(op) + ": " + what + " is not a Uint8Array");
    return false;
  }
  b->p = static_cast<uint8_t*>(data);
  b->n = data == nullptr ? 0 : length;
  return true;
}

bool get_sized(napi_env env, napi_value v, const char* op, const char* what, size_t need, Bytes* b) {
  if (!get_bytes(env, v, op, what, b)) return false;
  if (b->n != need) {
    throw_error(env, "range",
                std::string(op) + ": " + what + " must be " + std::to_string(need) + " bytes, got " + std::to_string(b->n));
    return false;
  }
  return true;
}

// Most elements of a `parts` array (Noise hands at most a few; a bound on what a caller makes us hold).
constexpr uint32_t kMaxParts = 1 << 16;

// `parts` as a list of byte ranges: one Uint8Array or an array of them. Empty parts are dropped.
bool get_parts(napi_env env, napi_value v, const char* op, std::vector<Bytes>* parts, size_t* total) {
  parts->clear();
  *total = 0;
  bool is_array = false;
  if (napi_is_array(env, v, &is_array) != napi_ok) {
    throw_error(env, "error", std::string(op) + ": cannot read the input parts");
    return false;
  }
  if (!is_array) {
    Bytes b;
    if (!get_bytes(env, v, op, "the input", &b)) return false;
    if (b.n > 0) parts->push_back(b);
    *total = b.n;
    return true;
  }
  uint32_t count = 0;
  if (napi_get_array_length(env, v, &count) != napi_ok) {
    throw_error(env, "error", std::string(op) + ": cannot read the input parts");
    return false;
  }
  if (count > kMaxParts) {
    throw_error(env, "range", std::string(op) + ": " + std::to_string(count) + " input parts, at most " +
                                  std::to_string(kMaxParts));
    return false;
  }
  // Two passes: reading an element may run JavaScript (a getter, a proxy) that detaches or frees
  // the buffer of a part read before, so every element is read first, and only then their memory
  // (reading a typed array's pointer runs no JavaScript).
  std::vector<napi_value> items(count);
  for (uint32_t i = 0; i < count; i++) {
    if (napi_get_element(env, v, i, &items[i]) != napi_ok) {
      throw_error(env, "error", std::string(op) + ": cannot read input part " + std::to_string(i));
      return false;
    }
  }
  for (uint32_t i = 0; i < count; i++) {
    Bytes b;
    if (!get_bytes(env, items[i], op, "input part " + std::to_string(i), &b)) return false;
    if (b.n > 0) parts->push_back(b);
    *total += b.n;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Overlap

bool intersects(const uint8_t* x, size_t nx, const uint8_t* y, size_t ny) {
  const uintptr_t px = reinterpret_cast<uintptr_t>(x), py = reinterpret_cast<uintptr_t>(y);
  return nx > 0 && ny > 0 && px < py + ny && py < px + nx;
}

// Whether the part at byte offset `off` of the input must be copied before the cipher streams the
// first `limit` input bytes into `out`: only its bytes below `limit` are read, and those may share
// memory with `out` only by being exactly at their own destination (in-place: each byte is read
// before it is written). Elsewhere they would be overwritten before being read, or overlap their
// output partially, which the cipher does not allow.
bool must_copy(const Bytes& b, size_t off, const Bytes& out, size_t limit) {
  if (off >= limit) return false;
  const size_t n = b.n < limit - off ? b.n : limit - off;
  return b.p != out.p + off && intersects(b.p, n, out.p, out.n);
}

// Copies the parts that must_copy into `bounce` and points them there.
void unalias(std::vector<Bytes>* parts, const Bytes& out, size_t limit, std::vector<uint8_t>* bounce) {
  size_t need = 0, off = 0;
  for (const Bytes& b : *parts) {
    if (must_copy(b, off, out, limit)) need += b.n;
    off += b.n;
  }
  if (need == 0) return;
  bounce->resize(need);
  size_t at = 0;
  off = 0;
  for (Bytes& b : *parts) {
    const size_t here = off;
    off += b.n;
    if (!must_copy(b, here, out, limit)) continue;
    std::memcpy(bounce->data() + at, b.p, b.n);
    b.p = bounce->data() + at;
    at += b.n;
  }
}

// ---------------------------------------------------------------------------------------------
// Cipher contexts: one per thread and direction, keyed per call

struct Ctx {
  EVP_CIPHER_CTX* ctx = nullptr;
  bool ready = false;
  ~Ctx() { EVP_CIPHER_CTX_free(ctx); }
};

thread_local Ctx t_seal;
thread_local Ctx t_open;

// The thread's context for `enc` (1 seal, 0 open), set to ChaCha20-Poly1305 with a 12-byte nonce
// and keyed with key/nonce; nullptr when OpenSSL fails.
EVP_CIPHER_CTX* keyed(int enc, const uint8_t* key, const uint8_t* nonce) {
  Ctx& c = enc ? t_seal : t_open;
  if (!c.ready) {
    if (c.ctx == nullptr) c.ctx = EVP_CIPHER_CTX_new();
    if (c.ctx == nullptr) return nullptr;
    if (EVP_CipherInit_ex(c.ctx, EVP_chacha20_poly1305(), nullptr, nullptr, nullptr, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(kNonceBytes), nullptr) != 1) {
      return nullptr;
    }
    c.ready = true;
  }
  // Key and nonce together: this also resets the AAD and length counters of the previous message.
  if (EVP_CipherInit_ex(c.ctx, nullptr, nullptr, key, nonce, enc) != 1) return nullptr;
  return c.ctx;
}

// Feeds `ad` as associated data.
bool add_ad(EVP_CIPHER_CTX* ctx, const Bytes& ad) {
  for (size_t off = 0; off < ad.n; off += kMaxUpdate) {
    const size_t len = ad.n - off < kMaxUpdate ? ad.n - off : kMaxUpdate;
    int outl = 0;
    if (EVP_CipherUpdate(ctx, nullptr, &outl, ad.p + off, static_cast<int>(len)) != 1) return false;
  }
  return true;
}

// Runs the cipher over the first `limit` bytes of the parts, writing them to out in order (or, with
// out null, each part's bytes where they are), in pieces that end on kPiece boundaries of the
// message. Measured with OpenSSL 3.0 on an EPYC: one 65,519-byte update 3.2 GB/s, 4 KiB pieces
// 4.0 GB/s (what `openssl speed` gets for 64 KiB). Likely because each update runs ChaCha20 over
// all of it and then Poly1305 over it again, which re-reads a 4 KiB piece from L1 but a 64 KiB one
// from L2.
bool stream(EVP_CIPHER_CTX* ctx, const std::vector<Bytes>& parts, size_t limit, uint8_t* out) {
  size_t done = 0;
  for (const Bytes& b : parts) {
    if (done >= limit) break;
    const size_t n = b.n < limit - done ? b.n : limit - done;
    size_t off = 0;
    while (off < n) {
      const size_t to_boundary = kPiece - (done + off) % kPiece;
      const size_t len = n - off < to_boundary ? n - off : to_boundary;
      uint8_t* dst = out == nullptr ? b.p + off : out + done + off;
      int outl = 0;
      if (EVP_CipherUpdate(ctx, dst, &outl, b.p + off, static_cast<int>(len)) != 1 ||
          static_cast<size_t>(outl) != len) {
        return false;
      }
      off += len;
    }
    done += n;
  }
  return true;
}

struct Common {
  Bytes key, nonce, ad, out;
  std::vector<Bytes> parts;  // not thread_local: reading a JS array may re-enter (a Proxy)
  size_t total = 0;
};

bool get_common(napi_env env, napi_callback_info info, const char* op, Common* c) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) {
    throw_error(env, "error", std::string(op) + ": cannot read arguments");
    return false;
  }
  if (argc < 5) {
    throw_error(env, "type", std::string(op) + ": expected 5 arguments (key, nonce, ad, parts, out), got " +
                                 std::to_string(argc));
    return false;
  }
  // the parts first: reading a JS array may run code (a getter) that could detach a buffer read before
  return get_parts(env, argv[3], op, &c->parts, &c->total) &&
         get_sized(env, argv[0], op, "key", kKeyBytes, &c->key) &&
         get_sized(env, argv[1], op, "nonce", kNonceBytes, &c->nonce) && get_bytes(env, argv[2], op, "ad", &c->ad) &&
         get_bytes(env, argv[4], op, "out", &c->out);
}

// Reports an OpenSSL failure (and empties its error queue, which node:crypto would misread later).
// The thread's context for `enc` is set up afresh on its next use.
napi_value openssl_failed(napi_env env, const char* op, int enc) {
  (enc ? t_seal : t_open).ready = false;
  ERR_clear_error();
  throw_error(env, "error", std::string(op) + ": OpenSSL ChaCha20-Poly1305 failed");
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// seal / open

// Copies of inputs that overlap the output (they must be read before it is written).
struct Unaliased {
  std::vector<uint8_t> bounce, ad;
};

// Moves the inputs of `c` out of the way of its output (the first `n` bytes of the parts are the
// text), then keys the thread's context for `enc` with the key and nonce, read first since the
// output may overlap them too. Null when OpenSSL fails.
EVP_CIPHER_CTX* prepare(Common* c, size_t n, int enc, Unaliased* u) {
  unalias(&c->parts, c->out, n, &u->bounce);
  uint8_t key[kKeyBytes], nonce[kNonceBytes];
  std::memcpy(key, c->key.p, kKeyBytes);
  std::memcpy(nonce, c->nonce.p, kNonceBytes);
  if (intersects(c->ad.p, c->ad.n, c->out.p, c->out.n)) {
    u->ad.assign(c->ad.p, c->ad.p + c->ad.n);
    c->ad.p = u->ad.data();
  }
  EVP_CIPHER_CTX* ctx = keyed(enc, key, nonce);
  OPENSSL_cleanse(key, sizeof key);
  return ctx;
}


// The 16 bytes after the first `text` across `parts` (the tag) into `tag`.
void read_tag(const std::vector<Bytes>& parts, size_t text, uint8_t* tag) {
  size_t off = 0;
  for (const Bytes& b : parts) {
    const size_t end = off + b.n;
    if (end > text) {
      const size_t from = off > text ? off : text;
      std::memcpy(tag + (from - text), b.p + (from - off), end - from);
    }
    off = end;
  }
}

// Zeroes the first `text` bytes across `parts`.
void cleanse_text(const std::vector<Bytes>& parts, size_t text) {
  size_t off = 0;
  for (const Bytes& b : parts) {
    if (off >= text) break;
    const size_t n = b.n < text - off ? b.n : text - off;
    OPENSSL_cleanse(b.p, n);
    off += b.n;
  }
}

// Finishes a decryption: whether the tag set before verified (OpenSSL's error queue emptied if not).
bool tag_verified(EVP_CIPHER_CTX* ctx) {
  uint8_t none[16];
  int outl = 0;
  const bool ok = EVP_DecryptFinal_ex(ctx, none, &outl) == 1 && outl == 0;
  if (!ok) ERR_clear_error();
  return ok;
}

napi_value boolean(napi_env env, bool value) {
  napi_value result;
  napi_get_boolean(env, value, &result);
  return result;
}

napi_value js_seal(napi_env env, napi_callback_info info) {
  Common c;
  if (!get_common(env, info, "seal", &c)) return nullptr;
  if (c.out.n != c.total + kTagBytes) {
    throw_error(env, "range", "seal: out has " + std::to_string(c.out.n) + " bytes, expected " +
                                  std::to_string(c.total + kTagBytes) + " (plaintext + 16-byte tag)");
    return nullptr;
  }
  Unaliased u;
  EVP_CIPHER_CTX* ctx = prepare(&c, c.total, 1, &u);
  int outl = 0;
  if (ctx == nullptr || !add_ad(ctx, c.ad) || !stream(ctx, c.parts, c.total, c.out.p) ||
      EVP_EncryptFinal_ex(ctx, c.out.p + c.total, &outl) != 1 || outl != 0 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagBytes), c.out.p + c.total) != 1) {
    if (c.out.n > 0) OPENSSL_cleanse(c.out.p, c.out.n);
    return openssl_failed(env, "seal", 1);
  }
  return nullptr;
}

napi_value js_open(napi_env env, napi_callback_info info) {
  Common c;
  if (!get_common(env, info, "open", &c)) return nullptr;
  if (c.total < kTagBytes) {
    throw_error(env, "range", "open: the ciphertext has " + std::to_string(c.total) +
                                  " bytes, less than the 16-byte tag");
    return nullptr;
  }
  const size_t text = c.total - kTagBytes;
  if (c.out.n != text) {
    throw_error(env, "range", "open: out has " + std::to_string(c.out.n) + " bytes, expected " +
                                  std::to_string(text) + " (ciphertext - 16-byte tag)");
    return nullptr;
  }
  // The tag: the last 16 bytes across the parts, read before anything is written.
  uint8_t tag[kTagBytes];
  read_tag(c.parts, text, tag);
  Unaliased u;
  EVP_CIPHER_CTX* ctx = prepare(&c, text, 0, &u);
  if (ctx == nullptr || !add_ad(ctx, c.ad) || !stream(ctx, c.parts, text, c.out.p) ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagBytes), tag) != 1) {
    if (c.out.n > 0) OPENSSL_cleanse(c.out.p, c.out.n);
    return openssl_failed(env, "open", 0);
  }
  const bool ok = tag_verified(ctx);
  if (!ok && c.out.n > 0) OPENSSL_cleanse(c.out.p, c.out.n);
  return boolean(env, ok);
}

// Parts openInPlace takes: a Noise message cut between two reads has two (noise-tuning.ts copies
// one that comes in more pieces into one buffer).
constexpr size_t kMaxInPlaceParts = 16;

napi_value js_open_in_place(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 4) {
    throw_error(env, "type", "openInPlace: expected 4 arguments (key, nonce, ad, parts)");
    return nullptr;
  }
  Common c;
  if (!get_parts(env, argv[3], "openInPlace", &c.parts, &c.total) ||  // first, as in get_common
      !get_sized(env, argv[0], "openInPlace", "key", kKeyBytes, &c.key) ||
      !get_sized(env, argv[1], "openInPlace", "nonce", kNonceBytes, &c.nonce) ||
      !get_bytes(env, argv[2], "openInPlace", "ad", &c.ad)) {
    return nullptr;
  }
  if (c.parts.size() > kMaxInPlaceParts) {  // the overlap check below is quadratic
    throw_error(env, "range", "openInPlace: more than " + std::to_string(kMaxInPlaceParts) + " parts");
    return nullptr;
  }
  if (c.total < kTagBytes) {
    throw_error(env, "range", "openInPlace: the ciphertext has " + std::to_string(c.total) +
                                  " bytes, less than the 16-byte tag");
    return nullptr;
  }
  for (size_t i = 0; i < c.parts.size(); i++) {
    const Bytes& a = c.parts[i];
    bool clash = intersects(a.p, a.n, c.ad.p, c.ad.n) || intersects(a.p, a.n, c.key.p, c.key.n) ||
                 intersects(a.p, a.n, c.nonce.p, c.nonce.n);
    for (size_t j = i + 1; j < c.parts.size() && !clash; j++)
      clash = intersects(a.p, a.n, c.parts[j].p, c.parts[j].n);
    if (clash) {
      throw_error(env, "range", "openInPlace: a part overlaps another part, the key, the nonce or ad");
      return nullptr;
    }
  }
  const size_t text = c.total - kTagBytes;
  uint8_t tag[kTagBytes];
  read_tag(c.parts, text, tag);  // before anything is written
  EVP_CIPHER_CTX* ctx = keyed(0, c.key.p, c.nonce.p);
  if (ctx == nullptr || !add_ad(ctx, c.ad) || !stream(ctx, c.parts, text, nullptr) ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagBytes), tag) != 1) {
    cleanse_text(c.parts, text);
    return openssl_failed(env, "openInPlace", 0);
  }
  const bool ok = tag_verified(ctx);
  if (!ok) cleanse_text(c.parts, text);
  return boolean(env, ok);
}

const char* addon_name() { return "peermpc_aead"; }

// Keeps C++ exceptions from unwinding into Node (napi_errors.h).
template <napi_value (*F)(napi_env, napi_callback_info)>
napi_value guarded(napi_env env, napi_callback_info info) {
  return peermpc::guarded<addon_name, F>(env, info);
}

}  // namespace

NAPI_MODULE_INIT() {
  const napi_property_descriptor props[] = {
      {"seal", nullptr, guarded<js_seal>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"open", nullptr, guarded<js_open>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"openInPlace", nullptr, guarded<js_open_in_place>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return nullptr;
  return exports;
}

#endif  // PEERMPC_AEAD_STUB
