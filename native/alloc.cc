// peermpc_alloc: SharedArrayBuffers whose bytes are not zeroed, for src/util/large-buffers.ts.
//
// A SharedArrayBuffer made by JavaScript is zeroed, and a large one comes from the C heap (the
// kernel's allocator tuning), so every allocation first writes every byte: for a message's
// destination or a ciphertext slab, which are written whole before anyone reads them, that pass
// costs as much as the copy into them. Here the memory is allocated 64-byte aligned and handed to
// V8 as a shared backing store whose deleter frees it (on whichever thread V8 drops it). V8 does
// not count shared backing stores as external memory (see large-buffers.ts).
//
// This module uses V8's C++ API (node.h), not N-API: N-API cannot make a SharedArrayBuffer. It is
// built with the node-gyp headers of the Node that runs it, like the other addons.
//
// The bytes of the buffers made here and not yet freed are counted in one process-wide atomic,
// which the deleter decrements when V8 frees a buffer: after any collection that finds it dead, a
// young-generation scavenge included (V8 sweeps a dead young buffer's backing store after a
// scavenge). large-buffers.ts budgets on that count; counting by a FinalizationRegistry instead
// learns of a death only from a full collection.
//
// Exports:
//   unfilled(bytes: number) -> SharedArrayBuffer   1 <= bytes <= 2^32 (less on 32-bit hosts: V8's
//                                                  largest typed array), not zeroed; throws
//                                                  TypeError / RangeError on a bad size and
//                                                  RangeError when the memory cannot be had.
//   zeroed(bytes: number) -> SharedArrayBuffer     the same, zeroed.
//   liveBytes() -> number                          bytes of this module's buffers not yet freed
//                                                  (every thread's).
//   copy(target: Uint8Array, offset: number, source: Uint8Array) -> undefined
//                                                  memmove of source into target at offset;
//                                                  TypeError / RangeError when it does not fit.
//                                                  V8 copies a shared buffer's bytes with relaxed
//                                                  atomic loads and stores, one byte at a time
//                                                  when source and target are not aligned alike
//                                                  (3.6 GB/s against 10-14 here): a received
//                                                  payload's offset in its read is arbitrary.
//                                                  Unlike set: the offset must be a whole number,
//                                                  and a detached source copies nothing.
#include <node.h>
#include <v8.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace {

constexpr size_t kAlign = 64;
// Largest buffer made here: V8's largest typed array on 64-bit hosts (2^32 bytes), less on 32-bit
// ones, where V8 would abort the process on a backing store above its limit.
constexpr double kMaxBytes = static_cast<double>(v8::TypedArray::kMaxLength);

// Bytes allocated here and not yet freed, every isolate's (the deleter may run on V8's sweeper
// thread).
std::atomic<int64_t> g_live{0};

// The memory comes from calloc or malloc, kAlign - 1 bytes more than asked, and the buffer starts
// at the first aligned byte; the deleter frees the block's start (its deleter_data). calloc, not
// memset: the C library knows when its memory is fresh from the kernel, already zero, and then
// writes nothing (large blocks, or the top of the heap).
void FreeBacking(void* /*data*/, size_t length, void* block) {
  std::free(block);
  g_live.fetch_sub(static_cast<int64_t>(length), std::memory_order_relaxed);
}

void Throw(v8::Isolate* isolate, bool range, const char* message) {
  v8::Local<v8::String> text = v8::String::NewFromUtf8(isolate, message).ToLocalChecked();
  isolate->ThrowException(range ? v8::Exception::RangeError(text) : v8::Exception::TypeError(text));
}

// A shared buffer of args[0] bytes, zeroed if `zero`; throws (and returns) on a bad size.
void Make(const v8::FunctionCallbackInfo<v8::Value>& args, bool zero) {
  v8::Isolate* isolate = args.GetIsolate();
  if (args.Length() != 1 || !args[0]->IsNumber()) {
    Throw(isolate, false, "alloc: expected a byte count");
    return;
  }
  const double want = args[0].As<v8::Number>()->Value();
  if (!(want >= 1 && want <= kMaxBytes) || std::floor(want) != want) {
    Throw(isolate, true, "alloc: the byte count must be a whole number from 1 to 2^32");
    return;
  }
  const size_t bytes = static_cast<size_t>(want);
  void* block = zero ? std::calloc(bytes + kAlign - 1, 1) : std::malloc(bytes + kAlign - 1);
  if (block == nullptr) {
    Throw(isolate, true, "alloc: out of memory");
    return;
  }
  const uintptr_t at = (reinterpret_cast<uintptr_t>(block) + kAlign - 1) & ~uintptr_t{kAlign - 1};
  g_live.fetch_add(static_cast<int64_t>(bytes), std::memory_order_relaxed);
  std::unique_ptr<v8::BackingStore> store =
      v8::SharedArrayBuffer::NewBackingStore(reinterpret_cast<void*>(at), bytes, FreeBacking, block);
  args.GetReturnValue().Set(v8::SharedArrayBuffer::New(isolate, std::move(store)));
}

void Unfilled(const v8::FunctionCallbackInfo<v8::Value>& args) { Make(args, false); }
void Zeroed(const v8::FunctionCallbackInfo<v8::Value>& args) { Make(args, true); }

void Copy(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  if (args.Length() != 3 || !args[0]->IsUint8Array() || !args[1]->IsNumber() || !args[2]->IsUint8Array()) {
    Throw(isolate, false, "copy: expected (Uint8Array, offset, Uint8Array)");
    return;
  }
  v8::Local<v8::Uint8Array> target = args[0].As<v8::Uint8Array>();
  v8::Local<v8::Uint8Array> source = args[2].As<v8::Uint8Array>();
  const double offset = args[1].As<v8::Number>()->Value();
  const size_t n = source->ByteLength();
  const size_t room = target->ByteLength();
  if (!(offset >= 0) || std::floor(offset) != offset || offset > static_cast<double>(room) ||
      n > room - static_cast<size_t>(offset)) {
    Throw(isolate, true, "copy: the source does not fit in the target at that offset");
    return;
  }
  if (n == 0) return;
  uint8_t* to = static_cast<uint8_t*>(target->Buffer()->Data()) + target->ByteOffset() +
                static_cast<size_t>(offset);
  const uint8_t* from = static_cast<const uint8_t*>(source->Buffer()->Data()) + source->ByteOffset();
  std::memmove(to, from, n);
}

void LiveBytes(const v8::FunctionCallbackInfo<v8::Value>& args) {
  args.GetReturnValue().Set(static_cast<double>(g_live.load(std::memory_order_relaxed)));
}

// Keeps this library loaded for the life of the process. Node unloads an addon when the last
// environment that loaded it ends (a worker thread's, say), while buffers made here may still be
// alive elsewhere or be freed later: their deleter is this library's code, and calling it after
// the unload crashed the process (`peermpc simulate --workers 2`). binding.gyp also links with
// -z nodelete where the linker has it.
void Pin() {
#ifdef _WIN32
  HMODULE self = nullptr;
  GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                     reinterpret_cast<LPCSTR>(&FreeBacking), &self);
#else
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&FreeBacking), &info) != 0 && info.dli_fname != nullptr) {
    dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);  // the extra handle is never closed
  }
#endif
}

}  // namespace

NODE_MODULE_INIT(/* exports, module, context */) {
  Pin();
  NODE_SET_METHOD(exports, "unfilled", Unfilled);
  NODE_SET_METHOD(exports, "zeroed", Zeroed);
  NODE_SET_METHOD(exports, "liveBytes", LiveBytes);
  NODE_SET_METHOD(exports, "copy", Copy);
}
