/**
 * libp2p's TCP transport with its sockets reading outside V8's count of memory (socket-reads.ts),
 * its listener bound SO_REUSEPORT (reuseport.ts), and the dials of a hole punch leaving from the
 * listener's port: the NAT mapping such a dial opens is the mapping of the listen port, which the
 * peer's punch was aimed at (holepunch.ts). Only dials to addresses in {@link PunchTargets} do so:
 * were every dial to leave from the listen port, two peers dialling each other at once would meet
 * in one TCP simultaneous open, both as initiators, and both dials would fail. Where the addon is
 * not built (or `PEERMPC_REUSEPORT=0`) it binds and dials as libp2p's TCP transport does. A dial
 * whose 4-tuple is taken (EADDRNOTAVAIL, EADDRINUSE) falls back to an ordinary dial from a fresh
 * port.
 *
 * It reaches into @libp2p/tcp's instance (`_connect`, the listener's `server`): both are
 * JavaScript-private, not part of its API, so the wrapper checks that they exist and otherwise
 * leaves the transport as it is: hole punching is then off, which the network lab shows (test/netlab).
 */
import type { Transport } from '@libp2p/interface';
import { tcp, type TCPComponents, type TCPOptions } from '@libp2p/tcp';
import { tryGetNetConfig } from '@libp2p/utils';
import type { Multiaddr } from '@multiformats/multiaddr';
import net from 'node:net';
import { connectReusePort, listenReusePort, ReusePortError, reusePortAvailable } from './reuseport.js';
import { readIntoSlabs } from './socket-reads.js';

/** What the wrapper touches of @libp2p/tcp's instances. */
interface TcpInternals {
  _connect(ma: Multiaddr, options: { signal?: AbortSignal }): Promise<net.Socket>;
  createListener(options: unknown): { server?: net.Server };
}

/** Dials that fall back to a fresh source port. */
const FALLBACK_CODES = new Set(['EADDRNOTAVAIL', 'EADDRINUSE']);

/** The ports the listeners hold, by address family. */
type ListenPorts = Map<4 | 6, { host: string; port: number }>;

/**
 * The addresses (`host:port`, IPv6 hosts in brackets) a hole punch is about to dial: dials to them
 * leave from the listen port. Filled by holepunch.ts around each dial; and the listen ports, read by
 * the hole punch to aim its punches from.
 */
export class PunchTargets {
  /** `host:port` of the targets. */
  readonly targets = new Set<string>();
  /** The listen ports by address family, once listening with SO_REUSEPORT. */
  readonly ports: ListenPorts = new Map();
  /** The listeners' servers by address family: a socket emitted as their `connection` is an inbound connection. */
  readonly servers = new Map<4 | 6, net.Server>();

  /** The key of a target. */
  static key(host: string, port: number): string {
    return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  }

  /**
   * A TCP connection from the listen port of `host`'s address family to `host:port`, or undefined
   * when no listener of that family holds a port. @throws ReusePortError as connectReusePort.
   */
  async connectFromListenPort(
    host: string,
    port: number,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<net.Socket | undefined> {
    const local = this.ports.get(host.includes(':') ? 6 : 4);
    if (local === undefined) return undefined;
    return connectReusePort({
      localHost: local.host,
      localPort: local.port,
      remoteHost: host,
      remotePort: port,
      timeoutMs: options.timeoutMs,
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
  }
}

/** Whether a transport instance has the internals the wrapper needs. */
export function hasTcpInternals(t: unknown): boolean {
  const x = t as Partial<TcpInternals> | null;
  return typeof x?._connect === 'function' && typeof x.createListener === 'function';
}

/** libp2p's TCP transport, listening and dialling with SO_REUSEPORT where the addon exists. */
export function reusePortTcp(
  init: TCPOptions,
  punch: PunchTargets,
): (components: TCPComponents) => Transport {
  const factory = tcp(init);
  return (components) => {
    const transport = factory(components);
    if (!hasTcpInternals(transport)) return transport;
    slabReads(transport as unknown as TcpInternals);
    if (!reusePortAvailable()) return transport;
    const log = components.logger.forComponent('peermpc:reuseport-tcp');
    const ports = punch.ports;
    const t = transport as unknown as TcpInternals;
    const createListener = t.createListener.bind(t);
    t.createListener = (options) => {
      const listener = createListener(options);
      if (listener.server !== undefined) reusePortListen(listener.server, punch);
      return listener;
    };
    const connect = t._connect.bind(t);
    t._connect = async (ma, options) => {
      const to = tryGetNetConfig(ma);
      if (to === null) return connect(ma, options); // /unix/ and others: libp2p's own path
      const family = to.type === 'ip6' ? 6 : to.type === 'ip4' ? 4 : undefined;
      const local = family === undefined ? undefined : ports.get(family);
      if (
        local === undefined ||
        to.port === undefined ||
        !punch.targets.has(PunchTargets.key(to.host, to.port))
      )
        return connect(ma, options);
      try {
        const socket = (await punch.connectFromListenPort(to.host, to.port, {
          timeoutMs: 10_000,
          ...(options.signal !== undefined ? { signal: options.signal } : {}),
        }))!;
        socket.setKeepAlive(true);
        readIntoSlabs(socket);
        return socket;
      } catch (err) {
        if (!(err instanceof ReusePortError) || !FALLBACK_CODES.has(err.code)) throw err;
        log('dial %a from port %d: %s, dialling from a fresh port', ma, local.port, err.code);
        return connect(ma, options);
      }
    };
    return transport;
  };
}

/** Switches the transport's sockets, accepted and dialled, to socket-reads.ts's reads. */
function slabReads(t: TcpInternals): void {
  const createListener = t.createListener.bind(t);
  t.createListener = (options) => {
    const listener = createListener(options);
    listener.server?.on('connection', readIntoSlabs);
    return listener;
  };
  const connect = t._connect.bind(t);
  t._connect = async (ma, options) => {
    const socket = await connect(ma, options);
    readIntoSlabs(socket);
    return socket;
  };
}

/** Makes `server.listen(config)` bind through the addon (SO_REUSEPORT) and records the port. */
function reusePortListen(server: net.Server, punch: PunchTargets): void {
  const listen = server.listen.bind(server) as (...args: unknown[]) => net.Server;
  (server as { listen: (...args: unknown[]) => net.Server }).listen = (...args: unknown[]) => {
    const config = args[0] as { host?: string; port?: number; fd?: number; backlog?: number } | undefined;
    if (config === undefined || typeof config.fd === 'number' || typeof config.port !== 'number')
      return listen(...args);
    const done = typeof args[1] === 'function' ? (args[1] as () => void) : undefined;
    const host = config.host ?? '0.0.0.0';
    portFree(host, config.port)
      .then(() =>
        listenReusePort({
          host,
          port: config.port!,
          server,
          ...(config.backlog ? { backlog: config.backlog } : {}),
        }),
      )
      .then(
        () => {
          const addr = server.address() as net.AddressInfo;
          const family = host.includes(':') ? 6 : 4;
          punch.ports.set(family, { host, port: addr.port });
          punch.servers.set(family, server);
          done?.();
        },
        (err: Error) => server.emit('error', err),
      );
    return server;
  };
}

/**
 * Resolves when nothing else holds `host:port` (port 0: at once): a plain bind, without
 * SO_REUSEPORT, fails with EADDRINUSE where another listener, SO_REUSEPORT or not, holds it. Without
 * this check a second daemon configured with the same port would start and take half of the first
 * one's connections (SO_REUSEPORT balances accepts between the sockets of one user).
 */
function portFree(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
