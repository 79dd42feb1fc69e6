// Error helpers shared by the N-API addons (ring.cc, aead.cc): a typed JS error, and a wrapper
// that keeps C++ exceptions from unwinding into Node.
#pragma once

#include <node_api.h>

#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace peermpc {

// Throws a JS error unless one is pending already (a failed napi call may have thrown). `kind`:
// "range" (RangeError), "type" (TypeError) or anything else (Error).
inline void throw_error(napi_env env, const char* kind, const std::string& msg) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  if (std::strcmp(kind, "range") == 0) {
    napi_throw_range_error(env, nullptr, msg.c_str());
  } else if (std::strcmp(kind, "type") == 0) {
    napi_throw_type_error(env, nullptr, msg.c_str());
  } else {
    napi_throw_error(env, nullptr, msg.c_str());
  }
}

// Runs F, turning a C++ exception (bad_alloc from a vector, say) into a JS error prefixed by the
// addon's `Name` (a function returning it, so the template takes no string literal).
template <const char* (*Name)(), napi_value (*F)(napi_env, napi_callback_info)>
napi_value guarded(napi_env env, napi_callback_info info) {
  try {
    return F(env, info);
  } catch (const std::bad_alloc&) {
    throw_error(env, "error", std::string(Name()) + ": out of memory");
  } catch (const std::exception& e) {
    throw_error(env, "error", std::string(Name()) + ": " + e.what());
  }
  return nullptr;
}

}  // namespace peermpc
