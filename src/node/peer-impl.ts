/**
 * The implementation of {@link Peer}: wires identity, access lists, datastore, libp2p node,
 * dataset store, advertiser, catalog and MPC sessions together, and owns their lifecycle.
 */
import '../polyfills.js';
import { KEEP_ALIVE, type PeerId, type PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import type { Channel } from '../protocols/channel.js';
import { untilAborted } from '../util/abort.js';
import { AccessList } from './access.js';
import { Advertiser } from './catalog/advertiser.js';
import { Catalog, CATALOG_QUEUE_WAIT_MS } from './catalog/catalog.js';
import { CATALOG_PROTOCOL, catalogHandler } from './catalog/protocol.js';
import { DatasetStore } from './dataset/store.js';
import { AccessDeniedError, InvalidPeerAddressError, PeerNotStartedError } from './errors.js';
import { AddressLookup, dialProtocolWithLookup, type DialProtocol } from './dial-lookup.js';
import { ensureDataDir, loadOrCreateIdentity } from './identity.js';
import { buildLibp2p, openDatastore, type PeerDatastore, type PeerNode } from './libp2p-node.js';
import { nodeLogger } from './log.js';
import { MPC_PROTOCOL, SessionManager } from './mpc/sessions.js';
import { NatManager } from './nat-manager.js';
import { isRelayed, relayOf } from './nat.js';
import { PunchTargets } from './reuseport-tcp.js';
import type { AccessControl, Peer } from './peer-api.js';
import {
  checkRequestProtocol,
  requestStreamHandler,
  sendRequest,
  type HandleRequestsOptions,
  type RequestHandler,
  type RequestOptions,
} from './request-protocol.js';
import type {
  AbortOptions,
  AccessLists,
  ConnectedPeer,
  OpenSessionInput,
  PeerInit,
  PeerStatus,
} from './types.js';

/** Default largest MPC payload: 64 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Parses a multiaddr string or a peer id string. @throws {InvalidPeerAddressError} */
export function parseTarget(target: string): Multiaddr | PeerId {
  try {
    return target.startsWith('/') ? multiaddr(target) : peerIdFromString(target);
  } catch (err) {
    throw new InvalidPeerAddressError(target, { cause: err });
  }
}

function peerIdOf(ma: Multiaddr): string | undefined {
  return ma.getComponents().findLast((c) => c.name === 'p2p')?.value;
}

/** The peer. Create it with {@link createPeer}. */
export class PeerImpl implements Peer {
  readonly peerId: string;
  readonly datasets: Catalog;
  readonly access: AccessControl;
  private running = false;
  private stopping: Promise<void> | undefined;
  private bootstrapTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly log = nodeLogger('node');
  /** NAT traversal (TCP peers only: simulated peers on the memory transport need none). */
  private readonly nat: NatManager | undefined;

  private readonly requestHandlers = new Map<
    string,
    { handler: RequestHandler; options: HandleRequestsOptions }
  >();

  private constructor(
    private readonly init: PeerInit,
    private readonly key: PrivateKey,
    private readonly node: PeerNode,
    private readonly datastore: PeerDatastore,
    private readonly accessList: AccessList,
    private readonly advertiser: Advertiser,
    private readonly store: DatasetStore,
    private readonly sessions: SessionManager,
    catalog: Catalog,
    punch: PunchTargets,
    private readonly dialStream: DialProtocol,
  ) {
    this.peerId = node.peerId.toString();
    this.datasets = catalog;
    this.nat =
      init.transport === 'memory'
        ? undefined
        : new NatManager({
            node,
            nat: init.nat,
            admit: (p, proto) => accessList.admit(p, proto),
            punch,
            allowPrivateAddresses: init.allowPrivateAddresses === true,
            log: nodeLogger('nat'),
          });
    this.access = {
      get: () => this.accessList.get(),
      isAllowed: (p) => this.accessList.isAllowed(p),
      onDenied: (listener) => this.accessList.onDenied(listener),
      allow: async (ids) => this.enforce(await this.accessList.allow(ids)),
      deny: async (ids) => this.enforce(await this.accessList.deny(ids)),
      clear: async (ids) => this.enforce(await this.accessList.clear(ids)),
    };
  }

  /** Builds a peer (not started). */
  static async create(init: PeerInit): Promise<PeerImpl> {
    await ensureDataDir(init.dataDir);
    const key = await loadOrCreateIdentity(init.dataDir);
    const self = peerIdFromPrivateKey(key).toString();
    const accessList = await AccessList.load(init.dataDir, self, init.access);
    const store = await DatasetStore.open(init.dataDir, self, key);
    const datastore = await openDatastore(init);
    const punch = new PunchTargets();
    let node: PeerNode;
    try {
      node = await buildLibp2p(init, key, datastore, accessList.gater(), punch);
    } catch (err) {
      await datastore.close();
      throw err;
    }
    const t = init.timeouts ?? {};
    const advertiser = new Advertiser(node, nodeLogger('catalog:advertise'), {
      provideTimeoutMs: t.provideMs ?? 15_000,
      refreshIntervalMs: init.dht?.reprovideIntervalMs ?? 3600_000,
    });
    const dial = dialProtocolWithLookup(node, new AddressLookup(node));
    const catalog = new Catalog({
      node,
      dial,
      store,
      advertiser,
      self,
      log: nodeLogger('catalog'),
      catalogRequestMs: t.catalogRequestMs ?? 5_000,
      catalogQueueWaitMs: t.catalogQueueWaitMs ?? CATALOG_QUEUE_WAIT_MS,
      searchMs: t.searchMs ?? 15_000,
      addAdvertiseWaitMs: t.advertiseWaitMs ?? 5_000,
    });
    const sessions = new SessionManager({
      node,
      dial,
      self,
      isAllowed: (p) => accessList.isAllowed(p),
      admit: (p) => accessList.admit(p, MPC_PROTOCOL),
      log: nodeLogger('mpc'),
      maxPayload: init.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    });
    return new PeerImpl(
      init,
      key,
      node,
      datastore,
      accessList,
      advertiser,
      store,
      sessions,
      catalog,
      punch,
      dial,
    );
  }

  multiaddrs(): string[] {
    return this.node.getMultiaddrs().map((m) => m.toString());
  }

  /** Starts the node and serves its protocols; an abort between steps rejects (stop() then undoes it). */
  async start(options: AbortOptions = {}): Promise<void> {
    if (this.running) return;
    const check = (): void => options.signal?.throwIfAborted();
    check();
    await this.datastore.open();
    check();
    await this.node.start();
    check();
    const catalogTimeout = this.init.timeouts?.catalogRequestMs ?? 5_000;
    await this.node.handle(
      CATALOG_PROTOCOL,
      catalogHandler({
        isAllowed: (p) => this.accessList.admit(p, CATALOG_PROTOCOL),
        query: (q) => this.datasets.query(q),
        log: nodeLogger('catalog:serve'),
        timeoutMs: catalogTimeout,
      }),
      { maxInboundStreams: 64 },
    );
    await this.node.handle(MPC_PROTOCOL, this.sessions.handler, {
      maxInboundStreams: 256,
      maxOutboundStreams: 256,
    });
    for (const [protocol, h] of this.requestHandlers)
      await this.registerRequests(protocol, h.handler, h.options);
    await this.nat?.start();
    this.running = true;
    this.advertiser.start(this.store.list().map((e) => e.signed));
    this.log('peer %s started, listening on %s', this.peerId, this.multiaddrs().join(' '));
    void this.bootstrap(0);
  }

  /** Dials the bootstrap peers (tagged keep-alive, so libp2p redials them); retries while none answers. */
  private async bootstrap(attempt: number): Promise<void> {
    const list = this.init.bootstrap ?? [];
    if (list.length === 0 || !this.running) return;
    let connected = 0;
    await Promise.all(
      list.map(async (addr) => {
        try {
          const ma = multiaddr(addr);
          const id = peerIdOf(ma);
          if (id === undefined) throw new Error('bootstrap address lacks /p2p/<peer id>');
          if (id === this.peerId) return;
          const peerId = peerIdFromString(id);
          await this.node.peerStore.merge(peerId, { multiaddrs: [ma], tags: { [KEEP_ALIVE]: { value: 1 } } });
          await this.node.dial(ma, { signal: AbortSignal.timeout(this.init.timeouts?.dialMs ?? 10_000) });
          connected++;
        } catch (err) {
          this.log('bootstrap %s: %s', addr, (err as Error).message);
        }
      }),
    );
    if (connected > 0 && this.running && this.init.dht?.refreshOnStart !== false) {
      // learn the rest of the network now rather than at the next periodic self-query
      this.node.services.dht
        .refreshRoutingTable()
        .catch((err: Error) => this.log('routing table refresh: %s', err.message));
    }
    if (connected === 0 && this.running) {
      const delay = Math.min(30_000, 1000 * 2 ** attempt);
      this.bootstrapTimer = setTimeout(() => void this.bootstrap(attempt + 1), delay);
      this.bootstrapTimer.unref();
    }
  }

  /**
   * Stops the peer (concurrent calls share one stop). When `options.signal` aborts first, rejects
   * with its reason while the stop goes on in the background.
   */
  stop(options: AbortOptions = {}): Promise<void> {
    this.stopping ??= this.stopNow().finally(() => {
      this.stopping = undefined;
    });
    return untilAborted(this.stopping, options.signal);
  }

  private async stopNow(): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    clearTimeout(this.bootstrapTimer);
    if (wasRunning) {
      this.advertiser.stop();
      this.nat?.stop();
      await this.sessions.closeAll();
    }
    // Also after a start that failed half way: libp2p's stop does nothing on a stopped node.
    await this.node.stop();
    await this.datastore.close();
    if (wasRunning) this.log('peer %s stopped', this.peerId);
  }

  status(): PeerStatus {
    const addrs = this.running ? this.multiaddrs() : [];
    const peers = new Set(this.node.getConnections().map((c) => c.remotePeer.toString()));
    const rt = (this.node.services.dht as unknown as { routingTable?: { size: number } }).routingTable;
    return {
      peerId: this.peerId,
      multiaddrs: addrs,
      reachability: this.nat?.reachability ?? 'unknown',
      relayedAddrs: addrs.filter((m) => m.includes('/p2p-circuit')),
      holePunches: Object.fromEntries(this.nat?.punched ?? []),
      connectedPeers: peers.size,
      routingTableSize: rt?.size ?? 0,
      datasets: this.store.list().length,
      sessions: this.sessions.size,
      started: this.running,
    };
  }

  connectedPeers(): ConnectedPeer[] {
    const now = Date.now();
    return this.node
      .getConnections()
      .map((c) => ({
        peerId: c.remotePeer.toString(),
        address: c.remoteAddr.toString(),
        direction: c.direction,
        openForMs: now - c.timeline.open,
        ...(isRelayed(c) ? { kind: 'relayed' as const, relay: relayOf(c) } : { kind: 'direct' as const }),
        ...(this.nat?.holePunched(c.id) === true ? { holePunched: true } : {}),
      }))
      .sort((a, b) => a.peerId.localeCompare(b.peerId));
  }

  async dial(target: string, options: AbortOptions = {}): Promise<string> {
    this.assertRunning();
    const t = parseTarget(target);
    const signal = AbortSignal.any([
      AbortSignal.timeout(this.init.timeouts?.dialMs ?? 10_000),
      ...(options.signal ? [options.signal] : []),
    ]);
    const conn = await this.node.dial(t, { signal });
    return conn.remotePeer.toString();
  }

  async ping(target: string, options: AbortOptions = {}): Promise<number> {
    this.assertRunning();
    const signal = AbortSignal.any([
      AbortSignal.timeout(this.init.timeouts?.dialMs ?? 10_000),
      ...(options.signal ? [options.signal] : []),
    ]);
    return this.node.services.ping.ping(parseTarget(target), { signal });
  }

  async openSession(input: OpenSessionInput, options: AbortOptions = {}): Promise<Channel> {
    this.assertRunning();
    return this.sessions.open(input, options);
  }

  async sign(data: Uint8Array, _options: AbortOptions = {}): Promise<Uint8Array> {
    return this.key.sign(data);
  }

  async handleRequests(
    protocol: string,
    handler: RequestHandler,
    options: HandleRequestsOptions = {},
  ): Promise<void> {
    checkRequestProtocol(protocol);
    this.requestHandlers.set(protocol, { handler, options });
    if (this.running) await this.registerRequests(protocol, handler, options);
  }

  private async registerRequests(
    protocol: string,
    handler: RequestHandler,
    options: HandleRequestsOptions,
  ): Promise<void> {
    const serve = requestStreamHandler(
      protocol,
      handler,
      (p) => this.accessList.admit(p, protocol),
      nodeLogger('requests'),
      options,
    );
    await this.node.handle(protocol, serve, { force: true, maxInboundStreams: 64 });
  }

  async request(
    peerId: string,
    protocol: string,
    message: unknown,
    options: RequestOptions = {},
  ): Promise<unknown> {
    this.assertRunning();
    checkRequestProtocol(protocol);
    const peer = peerIdFromString(peerId);
    if (!this.accessList.isAllowed(peerId)) throw new AccessDeniedError(peerId);
    return sendRequest(this.dialStream, peer, protocol, message, options);
  }

  private assertRunning(): void {
    if (!this.running) throw new PeerNotStartedError();
  }

  /** Closes connections of peers the lists no longer admit. */
  private async enforce(lists: AccessLists): Promise<AccessLists> {
    if (this.running) {
      const refused = new Set(
        this.node
          .getConnections()
          .map((c) => c.remotePeer)
          .filter((p) => !this.accessList.isAllowed(p.toString())),
      );
      await Promise.all(
        [...refused].map((p) =>
          this.node.hangUp(p).catch((err: Error) => this.log('hang up %p: %s', p, err.message)),
        ),
      );
    }
    return lists;
  }
}
