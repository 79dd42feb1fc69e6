// N-API entry points of the fused rep3 ops (the loops are in fused_impl.h), included by ring.cc
// inside its anonymous namespace, after its argument helpers. Definitions, argument order and
// error messages are those of src/tensor/kernel.ts and the reference kernel: word operands are
// named by their argument index ("operand 6 has 3 words, operand 0 has 4"), lane arrays by role.

// Word array at argument i, of n words (n = operand 0's length; i = 0 sets it).
bool fused_words(napi_env env, const Args& args, const char* op, size_t i, size_t* n, u64** p) {
  Words w;
  const char* name[] = {"operand 0", "operand 1", "operand 2", "operand 3", "operand 4", "operand 5", "operand 6",
                        "operand 7", "operand 8", "operand 9", "operand 10", "operand 11", "operand 12", "operand 13"};
  if (!get_words(env, args.v[i], op, name[i], &w)) return false;
  if (i == 0) *n = w.n;
  if (w.n != *n) {
    throw_error(env, "range", std::string(op) + ": operand " + std::to_string(i) + " has " + std::to_string(w.n) +
                                  " words, operand 0 has " + std::to_string(*n));
    return false;
  }
  *p = w.p;
  return true;
}

// An optional word array (null or undefined -> nullptr).
bool fused_optional(napi_env env, const Args& args, const char* op, size_t i, size_t* n, u64** p) {
  napi_valuetype t = napi_undefined;
  if (napi_typeof(env, args.v[i], &t) == napi_ok && (t == napi_null || t == napi_undefined)) {
    *p = nullptr;
    return true;
  }
  return fused_words(env, args, op, i, n, p);
}

bool fused_lane(napi_env env, napi_value v, const char* op, unsigned* lane) {
  double l = 0;
  if (napi_get_value_double(env, v, &l) != napi_ok || !(l == 1 || l == 2 || l == 4 || l == 8)) {
    throw_error(env, "range", std::string(op) + ": lane must be 1, 2, 4 or 8 bytes");
    return false;
  }
  *lane = (unsigned)l;
  return true;
}

// A Uint8Array of `lanes` lanes of `lane` bytes.
bool fused_bytes(napi_env env, napi_value v, const char* op, const char* what, size_t lanes, unsigned lane,
                 uint8_t** p) {
  bool is_ta = false;
  napi_typedarray_type type = napi_int8_array;
  void* data = nullptr;
  size_t len = 0;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, &len, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array) {
    throw_error(env, "type", std::string(op) + ": " + what + " is not a Uint8Array");
    return false;
  }
  if (len != lanes * lane) {
    throw_error(env, "range", std::string(op) + ": " + what + " has " + std::to_string(len) + " bytes, expected " +
                                  std::to_string(lanes * lane) + " (" + std::to_string(lanes) + " lanes of " +
                                  std::to_string(lane) + ")");
    return false;
  }
  *p = static_cast<uint8_t*>(data);
  return true;
}

bool fused_oom(napi_env env, const Snapshot& snap, const char* op) {
  if (!snap.failed) return false;
  throw_error(env, "error", std::string(op) + ": out of memory");
  return true;
}

napi_value js_mul_add3(napi_env env, napi_callback_info info) {
  const char* op = "mulAdd3";
  Args args;
  size_t n = 0;
  u64 *in[6], *out;
  unsigned k = 0;
  if (!get_args(env, info, op, 8, &args)) return nullptr;
  for (size_t i = 0; i < 6; i++) {
    if (!(i < 4 ? fused_words : fused_optional)(env, args, op, i, &n, &in[i])) return nullptr;
  }
  if (!fused_words(env, args, op, 6, &n, &out) || !get_shift(env, args.v[7], &k)) return nullptr;
  Snapshot snap;
  const u64* r[6];
  for (size_t i = 0; i < 6; i++) r[i] = in[i] == nullptr ? nullptr : snap.take(in[i], out, n);
  if (fused_oom(env, snap, op)) return nullptr;
  const auto f = current().elem->mul_add3;
  split(n, [&](size_t o, size_t len) {
    f(r[0] + o, r[1] + o, r[2] + o, r[3] + o, r[4] ? r[4] + o : nullptr, r[5] ? r[5] + o : nullptr, out + o, k, len);
  });
  return undefined(env);
}

napi_value js_sub_mul_scalar(napi_env env, napi_callback_info info) {
  const char* op = "subMulScalar";
  Args args;
  size_t n = 0;
  u64 *a, *b, *out, s = 0;
  if (!get_args(env, info, op, 4, &args) || !fused_words(env, args, op, 0, &n, &a) ||
      !fused_words(env, args, op, 1, &n, &b) || !get_scalar(env, args.v[2], op, &s) ||
      !fused_words(env, args, op, 3, &n, &out)) {
    return nullptr;
  }
  Snapshot snap;
  const u64* ra = snap.take(a, out, n);
  const u64* rb = snap.take(b, out, n);
  if (fused_oom(env, snap, op)) return nullptr;
  const auto f = current().elem->sub_mul_scalar;
  split(n, [&](size_t o, size_t len) { f(ra + o, rb + o, s, out + o, len); });
  return undefined(env);
}

napi_value js_select_lanes(napi_env env, napi_callback_info info) {
  const char* op = "selectLanes";
  Args args;
  size_t n = 0;
  u64* c;
  unsigned k = 0, lane = 0;
  uint8_t *v, *out;
  if (!get_args(env, info, op, 5, &args) || !fused_words(env, args, op, 0, &n, &c) ||
      !get_shift(env, args.v[1], &k) || !fused_lane(env, args.v[3], op, &lane) ||
      !fused_bytes(env, args.v[2], op, "v", 2 * n, lane, &v) ||
      !fused_bytes(env, args.v[4], op, "out", n, lane, &out)) {
    return nullptr;
  }
  const auto f = current().elem->select_lanes;
  split(n, [&](size_t o, size_t len) { f(c, k, v, lane, out, o, o + len, n); });
  return undefined(env);
}

napi_value js_unwrap_lanes(napi_env env, napi_callback_info info) {
  const char* op = "unwrapLanes";
  Args args;
  size_t n = 0;
  u64 *t, *out, s = 0;
  unsigned k = 0, lane = 0;
  uint8_t *snd, *oth;
  if (!get_args(env, info, op, 7, &args) || !fused_words(env, args, op, 0, &n, &t) ||
      !get_shift(env, args.v[1], &k) || !fused_lane(env, args.v[4], op, &lane) ||
      !fused_bytes(env, args.v[2], op, "sender", 2 * n, lane, &snd) ||
      !fused_bytes(env, args.v[3], op, "other", n, lane, &oth) || !get_scalar(env, args.v[5], op, &s) ||
      !fused_words(env, args, op, 6, &n, &out)) {
    return nullptr;
  }
  Snapshot snap;
  const u64* rt = snap.take(t, out, n);
  if (fused_oom(env, snap, op)) return nullptr;
  const auto f = current().elem->unwrap_lanes;
  split(n, [&](size_t o, size_t len) { f(rt, k, snd, oth, lane, s, out, o, o + len, n); });
  return undefined(env);
}

// wrapSend(z, z2, r, ra, rb, masks1, masks2, bits, lane, t0, msg1, msg2, cur, prev)
napi_value js_wrap_send(napi_env env, napi_callback_info info) {
  const char* op = "wrapSend";
  Args args;
  size_t n = 0;
  u64 *in[5], *t0, *cur, *prev;
  unsigned bits = 0, lane = 0;
  WrapSendArgs a;
  uint8_t *k1, *k2, *m1, *m2;
  if (!get_args(env, info, op, 14, &args)) return nullptr;
  for (size_t i = 0; i < 5; i++) {
    if (!fused_words(env, args, op, i, &n, &in[i])) return nullptr;
  }
  if (!get_shift(env, args.v[7], &bits) || !fused_lane(env, args.v[8], op, &lane)) return nullptr;
  if (bits > 62) {
    throw_error(env, "range", std::string(op) + ": bits " + std::to_string(bits) + " is not an integer in [0, 62]");
    return nullptr;
  }
  if (!fused_bytes(env, args.v[5], op, "masks1", 2 * n, lane, &k1) ||
      !fused_bytes(env, args.v[6], op, "masks2", 2 * n, lane, &k2) || !fused_words(env, args, op, 9, &n, &t0) ||
      !fused_bytes(env, args.v[10], op, "msg1", 2 * n, lane, &m1) ||
      !fused_bytes(env, args.v[11], op, "msg2", 2 * n, lane, &m2) || !fused_words(env, args, op, 12, &n, &cur) ||
      !fused_words(env, args, op, 13, &n, &prev)) {
    return nullptr;
  }
  // An input that partially overlaps any output is read from a copy (the same array is fine).
  Snapshot snap;
  const u64* r[5];
  for (size_t i = 0; i < 5; i++) {
    const u64* p = in[i];
    for (const u64* o : {(const u64*)t0, (const u64*)cur, (const u64*)prev}) {
      if (p == in[i]) p = snap.take(p, o, n);
    }
    r[i] = p;
  }
  if (fused_oom(env, snap, op)) return nullptr;
  a = WrapSendArgs{r[0], r[1], r[2], r[3], r[4], k1, k2, t0, cur, prev, m1, m2, bits, lane, n};
  const auto f = current().elem->wrap_send;
  split(n, [&](size_t o, size_t len) { f(a, o, o + len); });
  return undefined(env);
}
