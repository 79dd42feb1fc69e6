/**
 * TCP sockets sharing their port with our listener (SO_REUSEADDR + SO_REUSEPORT), for TCP hole
 * punching (issue 19), through the optional addon native/sock.cc. Node cannot make them: Node 20's
 * net.Server has no reusePort and net.connect({ localPort }) cannot bind a port a listener holds,
 * so js-libp2p's DCUtR never punches TCP on Node (libp2p/test-plans PR 864). The addon makes the
 * sockets; Node wraps the fds (`server.listen({ fd })`, `new net.Socket({ fd })`) and owns them.
 * - {@link listenReusePort}: the listener whose port is advertised and reused by the other two.
 * - {@link connectReusePort}: a connect from that port. Both peers calling it at once is a TCP
 *   simultaneous open; if a peer's SYN lands on the other's listener first, that side accepts there
 *   and its own connect fails with EADDRNOTAVAIL.
 * - {@link punchReusePort}: one low-TTL SYN from that port that opens our NAT's mapping and dies
 *   before the peer's NAT; its socket closes at once, sending no FIN or RST. Caveat: the peer's SYN
 *   then reaches our listener, whose SYN-ACK has another sequence number than the punch SYN, and a
 *   Linux conntrack NAT (strict window tracking, the default) drops it as INVALID; prefer the
 *   simultaneous open, with the punch as a fallback for lenient NATs.
 * Security: only ports the caller names are bound, and peermpc names its own listen port only
 * (SO_REUSEPORT shares a port only among sockets of one user). Plain SOCK_STREAM sockets: no raw
 * sockets, no privileges. Numeric addresses only. Unavailable on Windows, without the addon, or
 * with PEERMPC_REUSEPORT=0 ({@link reusePortAvailable} is then false).
 */
import { existsSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { join } from 'node:path';
import { packageRoot } from '../util/paths.js';

/** The exports of native/sock.cc (see its header). */
interface SockAddon {
  listen(host: string, port: number, backlog: number): number;
  connect(
    localHost: string,
    localPort: number,
    remoteHost: string,
    remotePort: number,
    timeoutMs: number,
  ): Promise<number> & { cancel?: () => boolean };
  punch(localHost: string, localPort: number, remoteHost: string, remotePort: number, ttl: number): void;
  pendingConnects(): number;
}

/** What a system error from the addon carries (like Node's own). */
interface SysError extends Error {
  code?: string;
  syscall?: string;
}

/** The TTL {@link punchReusePort} uses by default: past a home router and a CGNAT, short of the peer. */
export const DEFAULT_PUNCH_TTL = 3;
/** The connect timeout {@link connectReusePort} uses by default, in milliseconds. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * A reuse-port listen, connect or punch failed. `code` is the errno name of the failing call
 * (ECONNREFUSED, ETIMEDOUT, EADDRINUSE, EADDRNOTAVAIL when the 4-tuple is already in use, ...),
 * `ABORT_ERR` when an AbortSignal stopped a connect (the signal's reason is the `cause`), or
 * `ERR_REUSEPORT_UNAVAILABLE` when the addon is not available.
 */
export class ReusePortError extends Error {
  override readonly name = 'ReusePortError';
  constructor(
    /** The errno name, `ABORT_ERR` or `ERR_REUSEPORT_UNAVAILABLE`. */
    readonly code: string,
    /** What was being done: `listen`, `connect` or `punch`. */
    readonly operation: 'listen' | 'connect' | 'punch',
    /** The system call that failed (`bind`, `connect`, ...), or '' when none did. */
    readonly syscall: string,
    /** The local address (the listener's host). */
    readonly localAddress: string,
    /** The local port (0: any). */
    readonly localPort: number,
    /** The remote address, or '' for a listen. */
    readonly remoteAddress: string,
    /** The remote port, or 0 for a listen. */
    readonly remotePort: number,
    options?: { cause?: unknown },
  ) {
    const local = `${hostPort(localAddress, localPort)}`;
    const where = operation === 'listen' ? local : `${local} -> ${hostPort(remoteAddress, remotePort)}`;
    super(`reuseport ${operation} ${where}: ${code}${syscall ? ` (${syscall})` : ''}`, options);
  }
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

let addon: SockAddon | null | undefined;

function loadAddon(): SockAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  const path = join(packageRoot(), 'build', 'Release', 'peermpc_sock.node');
  if (!existsSync(path)) return addon;
  try {
    const loaded = createRequire(import.meta.url)(path) as Partial<SockAddon>;
    // a build without SO_REUSEPORT (Windows) is a module with no exports
    if (typeof loaded.listen === 'function' && typeof loaded.connect === 'function') {
      addon = loaded as SockAddon;
    }
  } catch {
    addon = null; // does not load: reuse-port sockets are unavailable
  }
  return addon;
}

/**
 * Whether reuse-port sockets can be made: the addon is built and loads, and `PEERMPC_REUSEPORT` is
 * not `0`. When false, every other function of this module throws a {@link ReusePortError} with code
 * `ERR_REUSEPORT_UNAVAILABLE`, and TCP hole punching is not possible.
 */
export function reusePortAvailable(): boolean {
  return process.env.PEERMPC_REUSEPORT !== '0' && loadAddon() !== null;
}

/** The addon, or a ReusePortError when unavailable. */
function sock(
  operation: ReusePortError['operation'],
  localHost: string,
  localPort: number,
  remoteHost = '',
  remotePort = 0,
): SockAddon {
  if (!reusePortAvailable()) {
    throw new ReusePortError(
      'ERR_REUSEPORT_UNAVAILABLE',
      operation,
      '',
      localHost,
      localPort,
      remoteHost,
      remotePort,
    );
  }
  return addon!;
}

/** A system error of the addon as a ReusePortError; argument errors (TypeError, RangeError) as they are. */
function wrapError(
  err: unknown,
  operation: ReusePortError['operation'],
  localHost: string,
  localPort: number,
  remoteHost = '',
  remotePort = 0,
): unknown {
  const e = err as SysError;
  if (err instanceof TypeError || err instanceof RangeError || typeof e?.code !== 'string') return err;
  return new ReusePortError(
    e.code,
    operation,
    e.syscall ?? '',
    localHost,
    localPort,
    remoteHost,
    remotePort,
    {
      cause: err,
    },
  );
}

/** Options of {@link listenReusePort}. */
export interface ReusePortListenOptions {
  /** The numeric address to bind (`0.0.0.0`, `127.0.0.1`, `::`, ...). */
  host: string;
  /** The port; 0 (the default) picks a free one, read it from `server.address()`. */
  port?: number;
  /** The accept backlog (default 511, Node's). */
  backlog?: number;
  /**
   * The server to listen with (say one made with `net.createServer({ pauseOnConnect: true })` or
   * with listeners attached); by default `net.createServer()`.
   */
  server?: net.Server;
}

/**
 * A TCP listener bound with SO_REUSEADDR and SO_REUSEPORT, so that {@link connectReusePort} and
 * {@link punchReusePort} may use its port as their source port. Resolves once the server listens.
 * Another socket of the same user could bind the same port while it listens (SO_REUSEPORT's rule):
 * bind specific ports only.
 * @throws ReusePortError (EADDRINUSE, EACCES, ... or ERR_REUSEPORT_UNAVAILABLE); TypeError or
 * RangeError for a malformed address or an out-of-range port or backlog.
 * @example
 * ```ts
 * const server = await listenReusePort({ host: '0.0.0.0', port: 4001 });
 * server.on('connection', (socket) => ...);
 * ```
 */
export async function listenReusePort(options: ReusePortListenOptions): Promise<net.Server> {
  const { host, port = 0, backlog = 511 } = options;
  const native = sock('listen', host, port);
  let fd: number;
  try {
    fd = native.listen(host, port, backlog);
  } catch (err) {
    throw wrapError(err, 'listen', host, port);
  }
  const server = options.server ?? net.createServer();
  return new Promise<net.Server>((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      // Node closes the fd with the handle it wrapped it in; closing it here too could close an fd
      // number reused meanwhile. (Only a failed uv_tcp_open would leave it open, which a fresh
      // listening TCP socket does not meet.)
      reject(wrapError(err, 'listen', host, port));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve(server);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    try {
      // Node calls listen(2) again on the fd with this backlog
      server.listen({ fd, backlog });
    } catch (err) {
      server.off('error', onError);
      server.off('listening', onListening);
      closeQuietly(fd);
      reject(wrapError(err, 'listen', host, port));
    }
  });
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/** Options of {@link connectReusePort}. */
export interface ReusePortConnectOptions {
  /** The local address to bind, normally the reuse-port listener's host. */
  localHost: string;
  /** The local port, normally the reuse-port listener's port (0: any free port). */
  localPort: number;
  /** The remote numeric address. An IPv4 one is reached v4-mapped from an IPv6 local address. */
  remoteHost: string;
  /** The remote port. */
  remotePort: number;
  /** Give up after this many milliseconds with code ETIMEDOUT; 0: only the kernel's own limit. */
  timeoutMs?: number;
  /** Aborts the connect (the socket is closed, no more SYNs are sent); rejects with code ABORT_ERR. */
  signal?: AbortSignal;
  /** Passed to the net.Socket (default false, as for net.connect). */
  allowHalfOpen?: boolean;
}

/**
 * A TCP connection from `localHost:localPort`, which a {@link listenReusePort} listener may hold,
 * to `remoteHost:remotePort`, with TCP_NODELAY. When both peers call it towards each other at once
 * the kernels complete a simultaneous open and each side gets its socket. The connect is
 * non-blocking and watched by the event loop: nothing blocks, no thread waits.
 * @returns a connected net.Socket (remoteAddress/remotePort set, reading started).
 * @throws ReusePortError: ECONNREFUSED, ETIMEDOUT (`timeoutMs`), EADDRNOTAVAIL (this 4-tuple is
 * already in use: in a hole punch, the peer's SYN may have reached our listener first, so look for
 * the connection there), EHOSTUNREACH, ..., ABORT_ERR, ERR_REUSEPORT_UNAVAILABLE. The socket is
 * closed on every failure. TypeError or RangeError for malformed arguments.
 * @example
 * ```ts
 * const socket = await connectReusePort({
 *   localHost: '0.0.0.0', localPort: server.address().port,
 *   remoteHost: '203.0.113.7', remotePort: 4001, timeoutMs: 5000, signal,
 * });
 * ```
 */
export async function connectReusePort(options: ReusePortConnectOptions): Promise<net.Socket> {
  const { localHost, localPort, remoteHost, remotePort, signal } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const native = sock('connect', localHost, localPort, remoteHost, remotePort);
  const aborted = (): ReusePortError =>
    new ReusePortError('ABORT_ERR', 'connect', '', localHost, localPort, remoteHost, remotePort, {
      cause: signal?.reason,
    });
  if (signal?.aborted) throw aborted();
  let pending: ReturnType<SockAddon['connect']>;
  try {
    pending = native.connect(localHost, localPort, remoteHost, remotePort, timeoutMs);
  } catch (err) {
    throw wrapError(err, 'connect', localHost, localPort, remoteHost, remotePort);
  }
  const onAbort = (): void => {
    pending.cancel?.();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  let fd: number;
  try {
    fd = await pending;
  } catch (err) {
    if (signal?.aborted) throw aborted();
    throw wrapError(err, 'connect', localHost, localPort, remoteHost, remotePort);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted) {
    closeQuietly(fd);
    throw aborted();
  }
  try {
    return new net.Socket({
      fd,
      readable: true,
      writable: true,
      allowHalfOpen: options.allowHalfOpen ?? false,
    });
  } catch (err) {
    closeQuietly(fd);
    throw wrapError(err, 'connect', localHost, localPort, remoteHost, remotePort);
  }
}

/** Options of {@link punchReusePort}. */
export interface ReusePortPunchOptions {
  /** The local address, normally the reuse-port listener's host. */
  localHost: string;
  /** The local port, normally the reuse-port listener's port. */
  localPort: number;
  /** The peer's public (observed) address. */
  remoteHost: string;
  /** The peer's public port. */
  remotePort: number;
  /**
   * The IP TTL (IPv6 hop limit) of the SYN, 1-255 (default {@link DEFAULT_PUNCH_TTL}): enough hops
   * to leave our NAT(s), too few to reach the peer's NAT.
   */
  ttl?: number;
}

/**
 * Sends one TCP SYN from `localHost:localPort` to the peer with a low TTL and closes the socket at
 * once (no FIN, no RST: it never left SYN_SENT). The SYN opens the mapping for the peer's address in
 * our NAT; the peer's SYN then passes our NAT and reaches our listener, whose port this is.
 * Synchronous: the SYN is on its way when it returns.
 * @throws ReusePortError (EADDRNOTAVAIL when this 4-tuple is in use, ENETUNREACH, ...,
 * ERR_REUSEPORT_UNAVAILABLE); TypeError or RangeError for malformed arguments.
 */
export function punchReusePort(options: ReusePortPunchOptions): void {
  const { localHost, localPort, remoteHost, remotePort, ttl = DEFAULT_PUNCH_TTL } = options;
  const native = sock('punch', localHost, localPort, remoteHost, remotePort);
  try {
    native.punch(localHost, localPort, remoteHost, remotePort, ttl);
  } catch (err) {
    throw wrapError(err, 'punch', localHost, localPort, remoteHost, remotePort);
  }
}

/** Connects of {@link connectReusePort} still pending in the addon (0 when unavailable); for tests. */
export function pendingReusePortConnects(): number {
  return reusePortAvailable() ? addon!.pendingConnects() : 0;
}
