/**
 * A fake peer for the daemon's in-process tests: implements the part of the Peer the daemon and
 * its control API use, records the calls, and raises the peer's named errors on demand.
 */
import type { DaemonPeer } from '../../src/daemon/daemon.js';
import type {
  AccessLists,
  AddDatasetInput,
  DatasetDescription,
  LocalDataset,
  PeerInit,
  SignedDatasetDescription,
} from '../../src/node/types.js';

/** An error with a fixed name, like the peer's. */
export function namedError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/** The fake plus what it recorded. */
export interface FakePeer extends DaemonPeer {
  init: PeerInit;
  calls: string[];
  stopped: boolean;
  local: Map<string, LocalDataset>;
}

/** Builds a fake peer with id `peerId`. */
export function fakePeer(
  init: PeerInit,
  peerId = '12D3KooWFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake',
): FakePeer {
  const local = new Map<string, LocalDataset>();
  const calls: string[] = [];
  let access: AccessLists = { allow: [], deny: [] };
  const describe = (input: AddDatasetInput): SignedDatasetDescription => {
    const description: DatasetDescription = {
      version: 1,
      name: input.name,
      owner: peerId,
      description: input.description ?? '',
      columns: [
        { name: 'a', type: 'number' },
        { name: 'b', type: 'number' },
      ],
      rows: 3,
      tags: [...(input.tags ?? [])].sort(),
      mock: [[1, 2]],
      mockSource: input.mockPath === undefined ? 'synthetic' : 'file',
      policy: { approval: 'manual' },
      created: new Date(0).toISOString(),
    };
    return { description, signature: 'sig' };
  };
  const peer: FakePeer = {
    init,
    calls,
    local,
    stopped: false,
    peerId,
    multiaddrs: () => [`/ip4/127.0.0.1/tcp/1234/p2p/${peerId}`],
    status: () => ({
      peerId,
      multiaddrs: [`/ip4/127.0.0.1/tcp/1234/p2p/${peerId}`],
      reachability: 'unknown',
      relayedAddrs: [],
      holePunches: {},
      connectedPeers: 0,
      routingTableSize: 0,
      datasets: local.size,
      sessions: 0,
      started: !peer.stopped,
    }),
    connectedPeers: () => [
      { peerId: 'zeta', address: '/ip4/127.0.0.1/tcp/2', direction: 'inbound', openForMs: 5, kind: 'direct' },
      {
        peerId: 'alpha',
        address: '/ip4/127.0.0.1/tcp/1',
        direction: 'outbound',
        openForMs: 1500,
        kind: 'direct',
      },
    ],
    async dial(target) {
      calls.push(`dial ${target}`);
      if (target === 'bad')
        throw namedError('InvalidPeerAddressError', 'not a peer id or a multiaddr: "bad"');
      return 'remote-peer';
    },
    async ping(target) {
      calls.push(`ping ${target}`);
      return 1.5;
    },
    datasets: {
      async rowPrints() {
        return { prints: new BigUint64Array(0), digest: '0'.repeat(64) };
      },
      async projectedPrints() {
        return undefined;
      },
      async add(input) {
        calls.push(`add ${input.name} ${input.csvPath}`);
        if (input.csvPath.endsWith('bad.csv')) {
          throw namedError('CsvImportError', `${input.csvPath}: row 3, column "b": not a number`);
        }
        if (local.has(input.name) && input.replace !== true) {
          throw namedError('DatasetExistsError', `a dataset named "${input.name}" already exists`);
        }
        const ds: LocalDataset = { signed: describe(input), dataBytes: 48, advertised: true };
        local.set(input.name, ds);
        return ds;
      },
      async setPolicySummary(name, summary) {
        calls.push(`policy ${name}`);
        const ds = local.get(name);
        if (ds === undefined) throw namedError('DatasetNotFoundError', `dataset ${peerId}/${name} not found`);
        const updated: LocalDataset = {
          ...ds,
          signed: { ...ds.signed, description: { ...ds.signed.description, policy: summary } },
        };
        local.set(name, updated);
        return updated;
      },
      async update(name, change) {
        calls.push(`update ${name}`);
        const ds = local.get(name);
        if (ds === undefined) throw namedError('DatasetNotFoundError', `dataset ${peerId}/${name} not found`);
        const d = ds.signed.description;
        const updated: LocalDataset = {
          ...ds,
          signed: {
            ...ds.signed,
            description: {
              ...d,
              tags: change.tags ?? d.tags,
              description: change.description ?? d.description,
            },
          },
        };
        local.set(name, updated);
        return updated;
      },
      setPolicySummaryProvider() {},
      async remove(name) {
        calls.push(`remove ${name}`);
        return local.delete(name);
      },
      async list() {
        return [...local.values()].sort((a, b) =>
          a.signed.description.name.localeCompare(b.signed.description.name),
        );
      },
      async get(name) {
        return local.get(name);
      },
      async search(term, options) {
        calls.push(`search ${term} ${options?.by ?? ''} ${options?.timeoutMs ?? ''}`);
        const found = [...local.values()]
          .map((d) => d.signed)
          .filter((s) => s.description.name === term || s.description.tags.includes(term));
        return { term, found, rejected: [{ owner: 'mallory', name: term, reason: 'bad signature' }] };
      },
      async show(owner, name, options) {
        calls.push(`show ${owner}/${name}`);
        if (name === 'slow') {
          await new Promise((_, reject) =>
            options?.signal?.addEventListener('abort', () => reject(options.signal?.reason)),
          );
        }
        const ds = owner === peerId ? local.get(name) : undefined;
        if (ds === undefined) throw namedError('DatasetNotFoundError', `dataset ${owner}/${name} not found`);
        return ds.signed;
      },
      async readValues() {
        throw new Error('not in the fake');
      },
    },
    access: {
      get: () => access,
      async allow(ids) {
        access = { ...access, allow: [...access.allow, ...ids] };
        return access;
      },
      async deny(ids) {
        access = { ...access, deny: [...access.deny, ...ids] };
        return access;
      },
      async clear(ids) {
        access = {
          allow: access.allow.filter((p) => !ids.includes(p)),
          deny: access.deny.filter((p) => !ids.includes(p)),
        };
        return access;
      },
      isAllowed: (id) => !access.deny.includes(id),
      onDenied: () => () => {},
    },
    async stop() {
      calls.push('stop');
      peer.stopped = true;
    },
  };
  return peer;
}
