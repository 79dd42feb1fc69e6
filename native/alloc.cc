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
// Exports:
//   unfilled(bytes: number) -> SharedArrayBuffer   1 <= bytes <= 2^53 - 1, not zeroed; throws
//                                                  TypeError / RangeError on a bad size and
//                                                  RangeError when the memory cannot be had.
#include <node.h>
#include <v8.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#ifdef _WIN32
#include <malloc.h>
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace {

constexpr size_t kAlign = 64;

#ifdef _WIN32
void* AlignedAlloc(size_t bytes) { return _aligned_malloc(bytes, kAlign); }
void FreeBacking(void* data, size_t /*length*/, void* /*deleter_data*/) { _aligned_free(data); }
#else
void* AlignedAlloc(size_t bytes) { return std::aligned_alloc(kAlign, bytes); }
void FreeBacking(void* data, size_t /*length*/, void* /*deleter_data*/) { std::free(data); }
#endif

void Throw(v8::Isolate* isolate, bool range, const char* message) {
  v8::Local<v8::String> text = v8::String::NewFromUtf8(isolate, message).ToLocalChecked();
  isolate->ThrowException(range ? v8::Exception::RangeError(text) : v8::Exception::TypeError(text));
}

void Unfilled(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  if (args.Length() != 1 || !args[0]->IsNumber()) {
    Throw(isolate, false, "unfilled: expected a byte count");
    return;
  }
  const double want = args[0].As<v8::Number>()->Value();
  if (!(want >= 1 && want <= 9007199254740991.0) || std::floor(want) != want) {
    Throw(isolate, true, "unfilled: the byte count must be a whole number >= 1");
    return;
  }
  const size_t bytes = static_cast<size_t>(want);
  const size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;  // aligned_alloc's rule
  void* data = AlignedAlloc(rounded);
  if (data == nullptr) {
    Throw(isolate, true, "unfilled: out of memory");
    return;
  }
  std::unique_ptr<v8::BackingStore> store =
      v8::SharedArrayBuffer::NewBackingStore(data, bytes, FreeBacking, nullptr);
  args.GetReturnValue().Set(v8::SharedArrayBuffer::New(isolate, std::move(store)));
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
}
