/**
 * Who listens where, for the port transport (src/node/port-transport.ts) of a simulation spread
 * over worker threads. Each thread has a {@link PortRegistry}: a dial to an address of its own
 * thread is joined there; any other goes up to the main thread's {@link PortRouter}, which hands
 * the dialer's port to the thread that listens on the address. Bytes then flow between the two
 * threads directly; the main thread only sees connection set-up.
 *
 * Messages between a registry and the router (all from threads of this process, never a network):
 * `listen` / `unlisten` {address}; `dial` {id, address, dialer, port}; back `dialed` {id, ok} to
 * the dialer and `accept` {address, dialer, port} to the listener's thread.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { PortBroker, PortPeer } from '../node/port-transport.js';

type Accept = (port: MessagePort, dialer: PortPeer) => void;

type Up =
  | { type: 'listen' | 'unlisten'; address: string }
  | { type: 'dial'; id: number; address: string; dialer: PortPeer; port: MessagePort };
type Down =
  | { type: 'dialed'; id: number; ok: boolean }
  | { type: 'accept'; address: string; dialer: PortPeer; port: MessagePort };

/** An address is already taken by another listener of this thread. */
export class AddressInUseError extends Error {
  constructor(address: string) {
    super(`${address} is already in use`);
    this.name = 'AddressInUseError';
  }
}

/** No one listens at a dialled address (a peer that stopped, or never started). */
export class NoListenerError extends Error {
  constructor(address: string) {
    super(`no peer listens at ${address}`);
    this.name = 'NoListenerError';
  }
}

/** One thread's listeners; dials it cannot join go to `upstream` (the router), if any. */
export class PortRegistry implements PortBroker {
  private readonly local = new Map<string, Accept>();
  private readonly waiting = new Map<number, (ok: boolean) => void>();
  private seq = 0;

  constructor(private readonly upstream?: MessagePort) {
    // the router's thread is the main thread: if it goes, no dial can be answered
    upstream?.on('close', () => this.failWaiting());
    upstream?.on('message', (m: Down) => {
      if (m.type === 'dialed') this.answer(m.id, m.ok);
      else {
        const accept = this.local.get(m.address);
        if (accept === undefined) m.port.close();
        else accept(m.port, m.dialer);
      }
    });
  }

  /** @throws {AddressInUseError} when a listener of this thread has `address` */
  listen(address: string, accept: Accept): void {
    if (this.local.has(address)) throw new AddressInUseError(address);
    this.local.set(address, accept);
    this.send({ type: 'listen', address });
  }

  unlisten(address: string): void {
    if (!this.local.delete(address)) return;
    this.send({ type: 'unlisten', address });
  }

  async dial(address: string, dialer: PortPeer, signal?: AbortSignal): Promise<MessagePort> {
    signal?.throwIfAborted();
    const accept = this.local.get(address);
    if (accept === undefined && this.upstream === undefined) throw new NoListenerError(address);
    const { port1, port2 } = new MessageChannel();
    if (accept !== undefined) {
      accept(port2, dialer);
      return port1;
    }
    const id = ++this.seq;
    const ok = new Promise<boolean>((resolve) => this.waiting.set(id, resolve));
    const aborted = (): void => this.answer(id, false);
    signal?.addEventListener('abort', aborted, { once: true });
    this.upstream!.postMessage({ type: 'dial', id, address, dialer, port: port2 } satisfies Up, [port2]);
    const joined = await ok;
    signal?.removeEventListener('abort', aborted);
    if (joined) return port1;
    port1.close();
    signal?.throwIfAborted();
    throw new NoListenerError(address);
  }

  /** Fails every dial in flight and stops listening upstream. */
  close(): void {
    this.failWaiting();
    this.upstream?.close();
  }

  private answer(id: number, ok: boolean): void {
    this.waiting.get(id)?.(ok);
    this.waiting.delete(id);
  }

  private failWaiting(): void {
    for (const done of this.waiting.values()) done(false);
    this.waiting.clear();
  }

  private send(m: Up): void {
    this.upstream?.postMessage(m);
  }
}

/** The main thread's side: which thread listens on which address, and the hand-over of dials. */
export class PortRouter {
  private readonly owners = new Map<string, MessagePort>();

  /** Serves the registry at the other end of `port` (one per worker thread). */
  attach(port: MessagePort): void {
    // a thread that ended (its port closed) listens nowhere any more
    port.on('close', () => {
      for (const [address, owner] of this.owners) if (owner === port) this.owners.delete(address);
    });
    port.on('message', (m: Up) => {
      if (m.type === 'listen') this.owners.set(m.address, port);
      else if (m.type === 'unlisten') {
        if (this.owners.get(m.address) === port) this.owners.delete(m.address);
      } else if (m.type === 'dial') {
        const owner = this.owners.get(m.address);
        if (owner === undefined) m.port.close();
        else
          owner.postMessage(
            { type: 'accept', address: m.address, dialer: m.dialer, port: m.port } satisfies Down,
            [m.port],
          );
        port.postMessage({ type: 'dialed', id: m.id, ok: owner !== undefined } satisfies Down);
      }
    });
  }
}
