/**
 * A libp2p transport over `MessagePort`s, for simulations whose peers are spread over worker
 * threads: libp2p's memory transport only reaches peers of its own thread (a module-level map),
 * a port reaches any thread of the process. Addresses are memory addresses (`/memory/<name>`),
 * so a peer does not know which thread its contacts run on.
 *
 * Who listens where is a {@link PortBroker}'s business (src/sim/broker.ts: a registry per thread
 * that asks the main thread for addresses it does not hold). A dial asks the broker for a port
 * joined to the listener's; the listener side gets the other port with the dialer's peer id and
 * address. Each side's remote address ends in `/p2p/<remote peer id>`: the listener's address at
 * the dialer, the dialer's listen address plus `-outgoing` at the listener (the memory transport
 * puts the listener's own address there), so link shaping (shaping.ts) knows the remote peer.
 *
 * On a port: a `Uint8Array` is data (sent as a copy whose buffer is transferred, never a view of
 * a pooled buffer), the string `end` closes the connection, `reset` aborts it. A port whose other
 * side goes away (its thread ended) closes the connection with an error. No backpressure is read
 * (as in the memory transport): a simulation's peers share one process and its memory.
 */
import {
  ConnectionFailedError,
  StreamResetError,
  serviceCapabilities,
  transportSymbol,
  type AbortOptions,
  type ComponentLogger,
  type CreateListenerOptions,
  type DialTransportOptions,
  type Listener,
  type ListenerEvents,
  type Logger,
  type PeerId,
  type Transport,
  type Upgrader,
} from '@libp2p/interface';
import { AbstractMultiaddrConnection, type SendResult } from '@libp2p/utils';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { TypedEventEmitter } from 'main-event';
import type { MessagePort } from 'node:worker_threads';
import type { Uint8ArrayList } from 'uint8arraylist';

/** Who is at the other end of a port: its peer id and the address it dialled from or listens on. */
export interface PortPeer {
  peerId: string;
  address: string;
}

/** Joins dialers to listeners by memory address, across threads (src/sim/broker.ts). */
export interface PortBroker {
  /** Starts taking connections for `address`; `accept` gets each one's port and dialer. */
  listen(address: string, accept: (port: MessagePort, dialer: PortPeer) => void): void;
  /** Stops taking connections for `address`. */
  unlisten(address: string): void;
  /** A port joined to the listener at `address`; rejects when no one listens there or on abort. */
  dial(address: string, dialer: PortPeer, signal?: AbortSignal): Promise<MessagePort>;
}

/**
 * The `/memory/<name>` of `ma` when it is `/memory/<name>` or `/memory/<name>/p2p/<id>` (as the
 * memory transport's exact match), else undefined (a circuit address through a memory peer too).
 */
function memoryAddress(ma: Multiaddr): string | undefined {
  const [first, second, ...rest] = ma.getComponents();
  if (first?.name !== 'memory' || first.value === undefined || rest.length > 0) return undefined;
  if (second !== undefined && second.name !== 'p2p') return undefined;
  return `/memory/${first.value}`;
}

/** A connection whose bytes travel over one end of a `MessageChannel`. */
class PortConnection extends AbstractMultiaddrConnection {
  private ended = false;

  constructor(
    private readonly port: MessagePort,
    remoteAddr: Multiaddr,
    direction: 'inbound' | 'outbound',
    log: Logger,
  ) {
    super({ remoteAddr, direction, log });
    port.on('message', (m: unknown) => {
      if (m instanceof Uint8Array) this.onData(m);
      else if (m === 'end') this.finish();
      else if (m === 'reset') this.finish(new StreamResetError('the remote peer reset the connection'));
    });
    port.on('close', () => this.finish(new ConnectionFailedError('the port of this connection closed')));
  }

  private finish(err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.port.close();
    if (err === undefined) this.onTransportClosed();
    else this.abort(err);
  }

  sendData(data: Uint8ArrayList): SendResult {
    const copy = new Uint8Array(data.byteLength);
    let at = 0;
    for (const chunk of data) {
      copy.set(chunk, at);
      at += chunk.byteLength;
    }
    // (transferring detaches `copy`: its length is read before)
    if (!this.ended) this.port.postMessage(copy, [copy.buffer]);
    return { sentBytes: at, canSendMore: true };
  }

  sendReset(): void {
    if (this.ended) return;
    this.ended = true;
    this.port.postMessage('reset'); // delivered before the close
    this.port.close();
  }

  async sendClose(options?: AbortOptions): Promise<void> {
    if (!this.ended) this.port.postMessage('end');
    options?.signal?.throwIfAborted();
  }

  sendPause(): void {
    // read backpressure is not supported (module comment)
  }

  sendResume(): void {
    // read backpressure is not supported (module comment)
  }
}

interface PortComponents {
  peerId: PeerId;
  logger: ComponentLogger;
}

class PortListener extends TypedEventEmitter<ListenerEvents> implements Listener {
  private address: string | undefined;
  private readonly open = new Set<PortConnection>();
  private readonly shutdown = new AbortController();

  constructor(
    private readonly broker: PortBroker,
    private readonly upgrader: Upgrader,
    private readonly log: Logger,
  ) {
    super();
  }

  async listen(ma: Multiaddr): Promise<void> {
    const address = memoryAddress(ma);
    if (address === undefined) throw new TypeError(`not a memory address: ${ma.toString()}`);
    this.broker.listen(address, (port, dialer) => {
      const remote = multiaddr(`${dialer.address}-outgoing/p2p/${dialer.peerId}`);
      const conn = new PortConnection(port, remote, 'inbound', this.log);
      this.open.add(conn);
      conn.addEventListener('close', () => this.open.delete(conn));
      this.upgrader
        .upgradeInbound(conn, { signal: this.shutdown.signal })
        .catch((err: Error) => conn.abort(err));
    });
    this.address = address;
    queueMicrotask(() => this.safeDispatchEvent('listening'));
  }

  getAddrs(): Multiaddr[] {
    return this.address === undefined ? [] : [multiaddr(this.address)];
  }

  updateAnnounceAddrs(): void {
    // memory addresses are announced as they are
  }

  async close(): Promise<void> {
    if (this.address !== undefined) this.broker.unlisten(this.address);
    for (const conn of this.open) conn.abort(new ConnectionFailedError('the listener closed'));
    this.shutdown.abort();
    queueMicrotask(() => this.safeDispatchEvent('close'));
  }
}

class PortTransport implements Transport {
  readonly [transportSymbol] = true;
  readonly [Symbol.toStringTag] = '@peermpc/port-transport';
  readonly [serviceCapabilities] = ['@libp2p/transport'];
  private listenAddress = '';
  private readonly log: Logger;

  constructor(
    private readonly components: PortComponents,
    private readonly broker: PortBroker,
  ) {
    this.log = components.logger.forComponent('peermpc:port-transport');
  }

  async dial(ma: Multiaddr, options: DialTransportOptions): Promise<import('@libp2p/interface').Connection> {
    options.signal.throwIfAborted();
    const address = memoryAddress(ma);
    const remotePeer = ma.getComponents().find((c) => c.name === 'p2p')?.value;
    if (address === undefined) throw new ConnectionFailedError(`not a memory address: ${ma.toString()}`);
    const self = {
      peerId: this.components.peerId.toString(),
      address: this.listenAddress || '/memory/dialer',
    };
    const port = await this.broker.dial(address, self, options.signal);
    const remote = multiaddr(remotePeer === undefined ? address : `${address}/p2p/${remotePeer}`);
    const conn = new PortConnection(port, remote, 'outbound', this.log);
    try {
      options.signal.throwIfAborted();
      return await options.upgrader.upgradeOutbound(conn, options);
    } catch (err) {
      conn.abort(err as Error);
      throw err;
    }
  }

  createListener(options: CreateListenerOptions): Listener {
    const listener = new PortListener(this.broker, options.upgrader, this.log);
    // a dialer names itself by the address it listens on (for the remote's shaping and logs)
    listener.addEventListener(
      'listening',
      () => (this.listenAddress = listener.getAddrs()[0]?.toString() ?? ''),
    );
    return listener;
  }

  listenFilter(addrs: Multiaddr[]): Multiaddr[] {
    return addrs.filter((a) => memoryAddress(a) !== undefined);
  }

  dialFilter(addrs: Multiaddr[]): Multiaddr[] {
    return this.listenFilter(addrs);
  }
}

/** The transport factory for libp2p's `transports`: memory addresses joined by `broker`. */
export function portTransport(broker: PortBroker): (components: PortComponents) => Transport {
  return (components) => new PortTransport(components, broker);
}
