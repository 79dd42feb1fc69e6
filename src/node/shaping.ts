/**
 * Link shaping in user space, for simulations (the kernel's netem is not available everywhere): a
 * transport wrapper that delays and rate-limits every byte a connection sends, below encryption
 * and multiplexing, so it applies to everything peers exchange (Noise handshakes, DHT, MPC).
 *
 * Each direction of a connection is shaped at its sender. A chunk of b bytes handed to the link at
 * time t leaves the link at s + b / bandwidth, s = max(t, when the previous chunk left), and is
 * delivered latency + jitter later (jitter uniform in [-jitterMs, jitterMs], never reordering:
 * delivery times only grow). The wrapper holds at most {@link SHAPER_HIGH_WATER} bytes per
 * direction: beyond that the connection's own backpressure applies (the stream waits for drain).
 * Closing a connection waits until what it queued is delivered.
 *
 * Which link a connection takes comes from `linkOf(remotePeerId)`: the remote peer id is read
 * from the connection's remote address (`/p2p/<id>`), which the memory transport always gives;
 * an inbound TCP connection has none before its handshake and gets `linkOf(undefined)`.
 */
import type {
  CreateListenerOptions,
  DialTransportOptions,
  Listener,
  MultiaddrConnection,
  Transport,
  Upgrader,
} from '@libp2p/interface';
import { Uint8ArrayList } from 'uint8arraylist';
import '../polyfills.js'; // Promise.withResolvers for libp2p on Node 20
import type { LinkOf, LinkShape } from './types.js';

export type { LinkOf, LinkShape };

/** Bytes a shaped direction holds before the connection must wait for drain. */
export const SHAPER_HIGH_WATER = 4 * 1024 * 1024;

interface SendResult {
  sentBytes: number;
  canSendMore: boolean;
}

/** What the wrapper uses of @libp2p/utils' AbstractMultiaddrConnection (libp2p 3). */
interface ShapeableConn {
  sendData(data: Uint8ArrayList): SendResult;
  sendClose(options?: unknown): Promise<void>;
  onMuxerDrain(): void;
  addEventListener(type: 'close', fn: () => void): void;
}

function isShapeable(c: unknown): c is ShapeableConn {
  const v = c as Partial<ShapeableConn> | null;
  return typeof v?.sendData === 'function' && typeof v.onMuxerDrain === 'function';
}

/** The peer id in a `.../p2p/<id>` address, if any. */
function remotePeerOf(maConn: MultiaddrConnection): string | undefined {
  return maConn.remoteAddr.getComponents().find((c) => c.name === 'p2p')?.value;
}

/**
 * Shapes the sends of `maConn` by `link` (see the module comment). Returns false, changing
 * nothing, for a connection of another kind (its bytes then pass unshaped).
 */
export function shapeConnection(maConn: MultiaddrConnection, link: LinkShape, random = Math.random): boolean {
  if (!isShapeable(maConn)) return false;
  const conn = maConn;
  const send = conn.sendData.bind(conn);
  const close = conn.sendClose.bind(conn);
  const queue: { at: number; data: Uint8ArrayList }[] = [];
  const bitsPerMs = link.bandwidthMbps !== undefined ? link.bandwidthMbps * 1000 : Infinity;
  let queued = 0;
  let leftAt = 0;
  let lastDelivery = 0;
  let needDrain = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  const idle: (() => void)[] = [];

  const deliver = (): void => {
    timer = undefined;
    const now = performance.now();
    while (!closed && queue.length > 0 && queue[0]!.at <= now) {
      const { data } = queue.shift()!;
      queued -= data.byteLength;
      send(data);
    }
    if (needDrain && queued < SHAPER_HIGH_WATER / 2) {
      needDrain = false;
      conn.onMuxerDrain();
    }
    if (queue.length > 0 && !closed) timer = setTimeout(deliver, Math.max(0, queue[0]!.at - now));
    else for (const resolve of idle.splice(0)) resolve();
  };

  conn.sendData = (data) => {
    const now = performance.now();
    const bytes = data.byteLength;
    leftAt = Math.max(now, leftAt) + (bytes * 8) / bitsPerMs;
    const jitter = link.jitterMs > 0 ? (random() * 2 - 1) * link.jitterMs : 0;
    lastDelivery = Math.max(leftAt + Math.max(0, link.latencyMs + jitter), lastDelivery);
    queue.push({ at: lastDelivery, data: new Uint8ArrayList(data) });
    queued += bytes;
    timer ??= setTimeout(deliver, Math.max(0, queue[0]!.at - now));
    const canSendMore = queued < SHAPER_HIGH_WATER;
    if (!canSendMore) needDrain = true;
    return { sentBytes: bytes, canSendMore };
  };
  conn.sendClose = async (options) => {
    if (queue.length > 0) await new Promise<void>((resolve) => idle.push(resolve));
    return close(options);
  };
  conn.addEventListener('close', () => {
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    queue.length = 0;
    for (const resolve of idle.splice(0)) resolve();
  });
  return true;
}

function shapedUpgrader(upgrader: Upgrader, linkOf: LinkOf, random: () => number): Upgrader {
  const shape = (maConn: MultiaddrConnection): void => {
    const link = linkOf(remotePeerOf(maConn));
    if (link !== undefined) shapeConnection(maConn, link, random);
  };
  return Object.assign(Object.create(upgrader) as Upgrader, {
    upgradeOutbound: ((maConn: MultiaddrConnection, opts: never) => {
      shape(maConn);
      return upgrader.upgradeOutbound(maConn, opts);
    }) as Upgrader['upgradeOutbound'],
    upgradeInbound: ((maConn: MultiaddrConnection, opts: never) => {
      shape(maConn);
      return upgrader.upgradeInbound(maConn, opts);
    }) as Upgrader['upgradeInbound'],
  });
}

/**
 * Wraps a transport factory (`tcp()`, `memory()`) so every connection it makes or accepts is
 * shaped by `linkOf` (see the module comment); `random` draws the jitter (seed it to repeat a run).
 */
export function shapedTransport<C>(
  factory: (components: C) => Transport,
  linkOf: LinkOf,
  random: () => number = Math.random,
): (components: C) => Transport {
  return (components) => {
    const inner = factory(components);
    return Object.assign(Object.create(inner) as Transport, {
      dial: (ma: Parameters<Transport['dial']>[0], options: DialTransportOptions) =>
        inner.dial(ma, { ...options, upgrader: shapedUpgrader(options.upgrader, linkOf, random) }),
      createListener: (options: CreateListenerOptions): Listener =>
        inner.createListener({ ...options, upgrader: shapedUpgrader(options.upgrader, linkOf, random) }),
    });
  };
}
