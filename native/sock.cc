// peermpc_sock: TCP sockets with SO_REUSEADDR + SO_REUSEPORT, for TCP hole punching
// (src/node/reuseport.ts). Node's net module cannot make them: net.Server has no reusePort option
// on Node 20 and net.connect({ localPort }) cannot bind a port that a listener holds. Every socket
// made here is handed to Node as a plain file descriptor, which Node wraps (net.Server.listen({ fd }),
// new net.Socket({ fd })) and owns from then on.
//
// Exports (hosts are numeric IPv4 or IPv6 addresses, an IPv6 one may carry a %zone):
//   listen(host: string, port: number, backlog: number) -> number
//     a bound, listening, non-blocking, close-on-exec TCP socket; throws an Error with `code`.
//   connect(localHost, localPort, remoteHost, remotePort, timeoutMs) -> Promise<number> & { cancel(): boolean }
//     a socket bound to localHost:localPort (which a listener of ours may hold) and connected to the
//     remote, with TCP_NODELAY. The connect is non-blocking and watched by the Node event loop itself
//     (a uv_poll handle plus a uv_timer for timeoutMs > 0): no thread blocks. Rejects with an Error
//     whose `code` is the errno name (ECONNREFUSED, ETIMEDOUT, EADDRNOTAVAIL when the 4-tuple is
//     taken, ECANCELED after cancel(), ...); the socket is closed on every failure path. `cancel()`
//     returns false when the connect had already settled.
//   punch(localHost, localPort, remoteHost, remotePort, ttl: number) -> undefined
//     sends one SYN from localHost:localPort with the IP TTL (IPv6 hop limit) set to `ttl` and closes
//     the socket at once. Closing a socket in SYN_SENT sends nothing (Linux tcp_close: SYN_SENT ->
//     CLOSE without FIN or RST); the SYN has already been handed to the IP layer by connect(). Throws
//     an Error with `code` when the SYN could not be sent.
//   pendingConnects() -> number   connects not settled yet (for tests)
// Argument errors throw TypeError or RangeError. On Windows, or where SO_REUSEPORT does not exist,
// this compiles to a module with no exports and the TypeScript side reports it unavailable.
#define NAPI_VERSION 8
#include <node_api.h>

#include "napi_errors.h"

#if defined(_WIN32) || defined(__CYGWIN__)
#define PEERMPC_SOCK_STUB 1
#else
#include <sys/socket.h>
#ifndef SO_REUSEPORT
#define PEERMPC_SOCK_STUB 1
#endif
#endif

#ifdef PEERMPC_SOCK_STUB
NAPI_MODULE_INIT() {
  (void)env;
  return exports;
}
#else

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>
#include <uv.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>

namespace {

using peermpc::throw_error;

// ---------------------------------------------------------------------------------------------
// Errors

// The errno name ("ECONNREFUSED"), through libuv's table (UV_E* are -errno on Unix).
const char* errno_name(int err) { return uv_err_name(uv_translate_sys_error(err)); }

// An Error like Node's own system errors: message "<syscall> <CODE>", with code, errno (libuv's
// negative number, as Node reports it) and syscall.
napi_value sys_error(napi_env env, int err, const char* syscall) {
  const char* code = errno_name(err);
  std::string msg = std::string(syscall) + " " + code;
  napi_value jcode = nullptr, jmsg = nullptr, error = nullptr, jerrno = nullptr, jsys = nullptr;
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &jcode) != napi_ok ||
      napi_create_string_utf8(env, msg.c_str(), msg.size(), &jmsg) != napi_ok ||
      napi_create_error(env, jcode, jmsg, &error) != napi_ok) {
    return nullptr;
  }
  if (napi_create_int32(env, uv_translate_sys_error(err), &jerrno) == napi_ok) {
    napi_set_named_property(env, error, "errno", jerrno);
  }
  if (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &jsys) == napi_ok) {
    napi_set_named_property(env, error, "syscall", jsys);
  }
  return error;
}

void throw_sys(napi_env env, int err, const char* syscall) {
  napi_value e = sys_error(env, err, syscall);
  if (e != nullptr) napi_throw(env, e);
}

// Closes fd keeping errno (the error being reported) intact.
void close_keep_errno(int fd) {
  int saved = errno;
  close(fd);
  errno = saved;
}

// ---------------------------------------------------------------------------------------------
// Arguments

struct Addr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family() const { return ss.ss_family; }
};

bool get_string(napi_env env, napi_value v, const char* op, const char* what, std::string* out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) {
    throw_error(env, "type", std::string(op) + ": " + what + " must be a string");
    return false;
  }
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &n) != napi_ok || n > 255) {
    throw_error(env, "range", std::string(op) + ": " + what + " is too long");
    return false;
  }
  out->resize(n);
  if (napi_get_value_string_utf8(env, v, &(*out)[0], n + 1, &n) != napi_ok) return false;
  return true;
}

// An integer in [lo, hi].
bool get_int(napi_env env, napi_value v, const char* op, const char* what, int64_t lo, int64_t hi,
             int64_t* out) {
  napi_valuetype t;
  double d = 0;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number || napi_get_value_double(env, v, &d) != napi_ok) {
    throw_error(env, "type", std::string(op) + ": " + what + " must be a number");
    return false;
  }
  if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) || d != static_cast<double>(static_cast<int64_t>(d))) {
    throw_error(env, "range",
                std::string(op) + ": " + what + " must be an integer in [" + std::to_string(lo) + ", " +
                    std::to_string(hi) + "]");
    return false;
  }
  *out = static_cast<int64_t>(d);
  return true;
}

// A numeric address (no name resolution) and port into a sockaddr.
bool get_addr(napi_env env, napi_value host, napi_value port, const char* op, const char* what,
              int64_t min_port, Addr* out) {
  std::string h;
  int64_t p = 0;
  std::string port_what = std::string(what) + " port";
  if (!get_string(env, host, op, what, &h) || !get_int(env, port, op, port_what.c_str(), min_port, 65535, &p)) {
    return false;
  }
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  auto* in4 = reinterpret_cast<sockaddr_in*>(&out->ss);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&out->ss);
  if (h.find(':') == std::string::npos && uv_ip4_addr(h.c_str(), static_cast<int>(p), in4) == 0) {
    out->len = sizeof(sockaddr_in);
    return true;
  }
  if (uv_ip6_addr(h.c_str(), static_cast<int>(p), in6) == 0) {
    out->len = sizeof(sockaddr_in6);
    return true;
  }
  throw_error(env, "type", std::string(op) + ": " + what + " '" + h + "' is not a numeric IPv4 or IPv6 address");
  return false;
}

// An IPv4 remote for an IPv6 local address becomes its v4-mapped IPv6 form (a dual-stack socket
// bound to :: reaches IPv4 peers that way).
void map_to_v6(Addr* a) {
  if (a->family() != AF_INET) return;
  sockaddr_in v4;
  std::memcpy(&v4, &a->ss, sizeof v4);
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = v4.sin_port;
  v6.sin6_addr.s6_addr[10] = 0xff;
  v6.sin6_addr.s6_addr[11] = 0xff;
  std::memcpy(&v6.sin6_addr.s6_addr[12], &v4.sin_addr, 4);
  std::memset(&a->ss, 0, sizeof a->ss);
  std::memcpy(&a->ss, &v6, sizeof v6);
  a->len = sizeof v6;
}

// ---------------------------------------------------------------------------------------------
// Sockets

// A non-blocking, close-on-exec TCP socket with SO_REUSEADDR and SO_REUSEPORT; -1 with errno set.
int reuse_socket(int family) {
#ifdef SOCK_CLOEXEC
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
#else
  int fd = socket(family, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
    close_keep_errno(fd);
    return -1;
  }
#endif
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    close_keep_errno(fd);
    return -1;
  }
#ifdef SO_NOSIGPIPE
  setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
  return fd;
}

// The addresses of connect() and punch(): the remote in the local address's family.
bool get_pair(napi_env env, napi_value* argv, const char* op, Addr* local, Addr* remote) {
  if (!get_addr(env, argv[0], argv[1], op, "localHost", 0, local) ||
      !get_addr(env, argv[2], argv[3], op, "remoteHost", 1, remote)) {
    return false;
  }
  if (local->family() == AF_INET6) map_to_v6(remote);
  if (local->family() != remote->family()) {
    throw_error(env, "type", std::string(op) + ": an IPv4 local address cannot reach an IPv6 remote");
    return false;
  }
  return true;
}

// A socket bound to `local` whose non-blocking connect to `remote` has started. Returns the fd and
// sets *connected when the connect finished at once; -1 with errno set (and the socket closed) on
// failure, *failed_call naming the call that failed.
int start_connect(const Addr& local, const Addr& remote, int ttl, bool nodelay, bool* connected,
                  const char** failed_call) {
  *connected = false;
  *failed_call = "socket";
  int fd = reuse_socket(local.family());
  if (fd < 0) return -1;
  int one = 1;
  *failed_call = "setsockopt";
  if (nodelay && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
    close_keep_errno(fd);
    return -1;
  }
  const int level = local.family() == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
  const int option = local.family() == AF_INET6 ? IPV6_UNICAST_HOPS : IP_TTL;
  if (ttl > 0) {
    if (setsockopt(fd, level, option, &ttl, sizeof ttl) != 0) {
      close_keep_errno(fd);
      return -1;
    }
  }
  *failed_call = "bind";
  if (bind(fd, reinterpret_cast<const sockaddr*>(&local.ss), local.len) != 0) {
    close_keep_errno(fd);
    return -1;
  }
  *failed_call = "connect";
  int rc;
  do {
    rc = connect(fd, reinterpret_cast<const sockaddr*>(&remote.ss), remote.len);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) {
    *connected = true;
  } else if (errno != EINPROGRESS) {
    close_keep_errno(fd);
    return -1;
  }
  return fd;
}

// ---------------------------------------------------------------------------------------------
// listen

napi_value js_listen(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  if (argc < 3) {
    throw_error(env, "type", "listen: expected (host, port, backlog)");
    return nullptr;
  }
  Addr local;
  int64_t backlog = 0;
  if (!get_addr(env, argv[0], argv[1], "listen", "host", 0, &local) ||
      !get_int(env, argv[2], "listen", "backlog", 0, 65535, &backlog)) {
    return nullptr;
  }
  int fd = reuse_socket(local.family());
  if (fd < 0) {
    throw_sys(env, errno, "socket");
    return nullptr;
  }
  if (bind(fd, reinterpret_cast<const sockaddr*>(&local.ss), local.len) != 0) {
    close_keep_errno(fd);
    throw_sys(env, errno, "bind");
    return nullptr;
  }
  if (listen(fd, static_cast<int>(backlog)) != 0) {
    close_keep_errno(fd);
    throw_sys(env, errno, "listen");
    return nullptr;
  }
  napi_value out;
  if (napi_create_int32(env, fd, &out) != napi_ok) {
    close(fd);
    return nullptr;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// punch

napi_value js_punch(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  if (argc < 5) {
    throw_error(env, "type", "punch: expected (localHost, localPort, remoteHost, remotePort, ttl)");
    return nullptr;
  }
  Addr local, remote;
  int64_t ttl = 0;
  if (!get_pair(env, argv, "punch", &local, &remote) || !get_int(env, argv[4], "punch", "ttl", 1, 255, &ttl)) {
    return nullptr;
  }
  bool connected = false;
  const char* call = nullptr;
  int fd = start_connect(local, remote, static_cast<int>(ttl), false, &connected, &call);
  if (fd < 0) {
    throw_sys(env, errno, call);
    return nullptr;
  }
  // SYN_SENT -> CLOSE: no FIN, no RST. (A connect that completed at once cannot happen for a
  // non-blocking TCP connect on Linux or the BSDs; if it did, close would send a FIN.)
  close(fd);
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// connect

struct Instance;

// One pending connect. Owned by its Instance's map until it settles, then by the two uv handles'
// close callbacks (the last one deletes it).
struct ConnectOp {
  Instance* inst = nullptr;
  uint32_t id = 0;
  int fd = -1;
  napi_deferred deferred = nullptr;
  napi_async_context async = nullptr;
  uv_poll_t poll{};
  uv_timer_t timer{};
  bool has_poll = false;
  bool has_timer = false;
  int open_handles = 0;
  bool settled = false;
};

struct Instance {
  napi_env env = nullptr;
  uv_loop_t* loop = nullptr;
  uint32_t next_id = 1;
  std::unordered_map<uint32_t, ConnectOp*> ops;
};

void op_handle_closed(uv_handle_t* h) {
  auto* op = static_cast<ConnectOp*>(h->data);
  if (--op->open_handles == 0) delete op;
}

// Stops watching, forgets the op and frees it once libuv is done with its handles. The fd is not
// touched: the caller closes it (failure) or hands it to JS (success).
void op_release(ConnectOp* op) {
  op->settled = true;
  op->inst->ops.erase(op->id);
  if (op->has_poll) {
    uv_poll_stop(&op->poll);
    uv_close(reinterpret_cast<uv_handle_t*>(&op->poll), op_handle_closed);
  }
  if (op->has_timer) {
    uv_timer_stop(&op->timer);
    uv_close(reinterpret_cast<uv_handle_t*>(&op->timer), op_handle_closed);
  }
  if (op->open_handles == 0) delete op;
}

// Settles the op's promise: resolved with the fd when err == 0, else rejected (fd closed). From a
// libuv callback (`from_loop`) the settlement runs inside a callback scope, so that promise
// reactions and process.nextTick callbacks run right after it, as for any Node I/O callback.
void op_settle(ConnectOp* op, int err, bool from_loop) {
  if (op->settled) return;
  napi_env env = op->inst->env;
  napi_deferred deferred = op->deferred;
  napi_async_context async = op->async;
  int fd = op->fd;
  op->fd = -1;
  op->deferred = nullptr;
  op->async = nullptr;
  op_release(op);  // stops the poll before the fd is closed or given away
  if (err != 0) close(fd);

  napi_handle_scope scope = nullptr;
  napi_callback_scope cscope = nullptr;
  napi_open_handle_scope(env, &scope);
  if (from_loop) {
    napi_value resource = nullptr;
    napi_create_object(env, &resource);
    napi_open_callback_scope(env, resource, async, &cscope);
  }
  if (err == 0) {
    napi_value v = nullptr;
    napi_create_int32(env, fd, &v);
    napi_resolve_deferred(env, deferred, v);
  } else {
    napi_reject_deferred(env, deferred, sys_error(env, err, "connect"));
  }
  if (cscope != nullptr) napi_close_callback_scope(env, cscope);
  napi_async_destroy(env, async);
  napi_close_handle_scope(env, scope);
}

void on_poll(uv_poll_t* h, int status, int events) {
  (void)events;
  auto* op = static_cast<ConnectOp*>(h->data);
  if (op->settled) return;
  // The socket's own error first: libuv reports POLLERR (a refused or reset connect) as UV_EBADF.
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(op->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err == 0 && status < 0) {
    err = -status;  // a libuv error on Unix is -errno
  } else if (err == 0) {
    sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    if (getpeername(op->fd, reinterpret_cast<sockaddr*>(&peer), &plen) != 0) {
      if (errno == ENOTCONN) return;  // woken before the handshake ended: keep waiting
      err = errno;
    }
  }
  op_settle(op, err, true);
}

void on_timeout(uv_timer_t* h) {
  auto* op = static_cast<ConnectOp*>(h->data);
  op_settle(op, ETIMEDOUT, true);
}

napi_value js_cancel(napi_env env, napi_callback_info info) {
  void* data = nullptr;
  if (napi_get_cb_info(env, info, nullptr, nullptr, nullptr, &data) != napi_ok) return nullptr;
  Instance* inst = nullptr;
  napi_get_instance_data(env, reinterpret_cast<void**>(&inst));
  bool found = false;
  if (inst != nullptr) {
    auto it = inst->ops.find(static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data)));
    if (it != inst->ops.end()) {
      found = true;
      op_settle(it->second, ECANCELED, false);
    }
  }
  napi_value out;
  napi_get_boolean(env, found, &out);
  return out;
}

napi_value js_connect(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  if (argc < 5) {
    throw_error(env, "type", "connect: expected (localHost, localPort, remoteHost, remotePort, timeoutMs)");
    return nullptr;
  }
  Instance* inst = nullptr;
  if (napi_get_instance_data(env, reinterpret_cast<void**>(&inst)) != napi_ok || inst == nullptr) {
    throw_error(env, "error", "connect: addon not initialised");
    return nullptr;
  }
  Addr local, remote;
  int64_t timeout = 0;
  if (!get_pair(env, argv, "connect", &local, &remote) ||
      !get_int(env, argv[4], "connect", "timeoutMs", 0, 0x7fffffff, &timeout)) {
    return nullptr;
  }

  napi_value promise = nullptr;
  napi_deferred deferred = nullptr;
  if (napi_create_promise(env, &deferred, &promise) != napi_ok) return nullptr;

  bool connected = false;
  const char* call = nullptr;
  int fd = start_connect(local, remote, 0, true, &connected, &call);
  if (fd < 0) {
    napi_reject_deferred(env, deferred, sys_error(env, errno, call));
    return promise;
  }
  if (connected) {
    napi_value v;
    napi_create_int32(env, fd, &v);
    napi_resolve_deferred(env, deferred, v);
    return promise;
  }

  auto* op = new ConnectOp();
  op->inst = inst;
  op->fd = fd;
  op->deferred = deferred;
  napi_value name;
  napi_create_string_utf8(env, "peermpc_sock.connect", NAPI_AUTO_LENGTH, &name);
  if (napi_async_init(env, nullptr, name, &op->async) != napi_ok) {
    close(fd);
    delete op;
    napi_reject_deferred(env, deferred, sys_error(env, ENOMEM, "connect"));
    return promise;
  }
  do {
    op->id = inst->next_id++;
  } while (op->id == 0 || inst->ops.count(op->id) != 0);
  inst->ops[op->id] = op;

  int rc = uv_poll_init(inst->loop, &op->poll, fd);
  if (rc == 0) {
    op->has_poll = true;
    op->open_handles++;
    op->poll.data = op;
    rc = uv_poll_start(&op->poll, UV_WRITABLE | UV_DISCONNECT, on_poll);
  }
  if (rc == 0 && timeout > 0) {
    rc = uv_timer_init(inst->loop, &op->timer);
    if (rc == 0) {
      op->has_timer = true;
      op->open_handles++;
      op->timer.data = op;
      uv_update_time(inst->loop);  // the loop's cached time may be stale: time out from now
      rc = uv_timer_start(&op->timer, on_timeout, static_cast<uint64_t>(timeout), 0);
    }
  }
  if (rc != 0) {
    op_settle(op, -rc, false);
    return promise;
  }

  napi_value cancel;
  if (napi_create_function(env, "cancel", NAPI_AUTO_LENGTH, js_cancel,
                           reinterpret_cast<void*>(static_cast<uintptr_t>(op->id)), &cancel) == napi_ok) {
    napi_set_named_property(env, promise, "cancel", cancel);
  }
  return promise;
}

napi_value js_pending(napi_env env, napi_callback_info info) {
  (void)info;
  Instance* inst = nullptr;
  napi_get_instance_data(env, reinterpret_cast<void**>(&inst));
  napi_value out;
  napi_create_uint32(env, inst == nullptr ? 0 : static_cast<uint32_t>(inst->ops.size()), &out);
  return out;
}

// The environment is going away (process exit, worker termination): close what is still pending
// and free the instance. The promises are left unsettled, as nothing can observe them any more. The
// ops' uv handles close later and touch only their op.
void instance_cleanup(void* arg) {
  auto* inst = static_cast<Instance*>(arg);
  while (!inst->ops.empty()) {
    ConnectOp* op = inst->ops.begin()->second;
    int fd = op->fd;
    op->fd = -1;
    op_release(op);
    if (fd >= 0) close(fd);
  }
  delete inst;
}

const char* addon_name() { return "peermpc_sock"; }

// Keeps C++ exceptions from unwinding into Node (napi_errors.h).
template <napi_value (*F)(napi_env, napi_callback_info)>
napi_value guarded(napi_env env, napi_callback_info info) {
  return peermpc::guarded<addon_name, F>(env, info);
}

}  // namespace

NAPI_MODULE_INIT() {
  auto* inst = new Instance();
  inst->env = env;
  if (napi_get_uv_event_loop(env, &inst->loop) != napi_ok ||
      napi_set_instance_data(env, inst, nullptr, nullptr) != napi_ok) {
    delete inst;
    return nullptr;
  }
  // The cleanup hook, not an instance-data finalizer, frees the instance: it must outlive the ops
  // closed in the hook, and the hook order relative to N-API's own finalization is not specified.
  if (napi_add_env_cleanup_hook(env, instance_cleanup, inst) != napi_ok) return nullptr;
  const napi_property_descriptor props[] = {
      {"listen", nullptr, guarded<js_listen>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"connect", nullptr, guarded<js_connect>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"punch", nullptr, guarded<js_punch>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"pendingConnects", nullptr, guarded<js_pending>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return nullptr;
  return exports;
}

#endif  // PEERMPC_SOCK_STUB
