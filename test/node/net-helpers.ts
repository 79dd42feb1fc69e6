/**
 * Helpers for the node tests: temporary data directories, peers on 127.0.0.1 wired through a
 * bootstrap peer, polling with a deadline, and access to a peer's internals for fault injection.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessList } from '../../src/node/access.js';
import type { DatasetStore } from '../../src/node/dataset/store.js';
import type { PeerNode } from '../../src/node/libp2p-node.js';
import { createPeer, type Peer, type PeerInit } from '../../src/node/peer.js';

/** A fresh temporary directory; remove it with {@link removeDir}. */
export function tempDir(prefix = 'peermpc-node-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Removes a directory tree (ignores errors). */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Writes `text` to `dir/name` and returns the path. */
export function writeText(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** PeerInit for a test peer on loopback with fast DHT settings. */
export function testInit(dataDir: string, extra: Partial<PeerInit> = {}): PeerInit {
  return {
    dataDir,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    allowPrivateAddresses: true,
    inboundConnectionThreshold: 1000,
    dht: { initialQuerySelfInterval: 100 },
    timeouts: {
      dialMs: 5_000,
      catalogRequestMs: 3_000,
      searchMs: 8_000,
      advertiseWaitMs: 5_000,
      provideMs: 5_000,
    },
    ...extra,
  };
}

/** Polls `cond` every 50 ms until it is true; throws when `signal` fires first. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  signal: AbortSignal,
  what = 'condition',
): Promise<void> {
  for (;;) {
    if (await cond()) return;
    if (signal.aborted) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts `n` peers in `root/p<i>`; peers 1.. bootstrap from peer 0; waits until all see each other in the DHT. */
export async function startPeers(
  root: string,
  n: number,
  signal: AbortSignal,
  extra: (i: number) => Partial<PeerInit> = () => ({}),
): Promise<Peer[]> {
  const peers: Peer[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const bootstrap = i === 0 ? [] : [peers[0]!.multiaddrs()[0]!];
      peers.push(await createPeer(testInit(join(root, `p${i}`), { bootstrap, ...extra(i) })));
    }
    await waitFor(
      () => peers.every((p) => p.status().routingTableSize >= Math.min(n - 1, 2)),
      signal,
      'DHT routing tables',
    );
    return peers;
  } catch (err) {
    await stopAll(peers);
    throw err;
  }
}

/** Stops every peer (errors ignored). */
export async function stopAll(peers: (Peer | undefined)[]): Promise<void> {
  await Promise.all(peers.map((p) => p?.stop().catch(() => {})));
}

/** A peer's private parts, for fault injection in tests only. */
export function internals(peer: Peer): { node: PeerNode; store: DatasetStore; accessList: AccessList } {
  return peer as unknown as { node: PeerNode; store: DatasetStore; accessList: AccessList };
}

/** A small numeric CSV. */
export const SAMPLE_CSV = 'age,height,weight\n30,170.5,70\n41,180,82.5\n25,165.25,60\n52,175,90\n';
