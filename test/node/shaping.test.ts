/**
 * Link shaping: real libp2p nodes (memory and TCP transports, Noise, Yamux) whose connections are
 * wrapped by shapedTransport. Delays only add time, so the assertions are lower bounds: a ping
 * round trip takes at least twice the latency, a megabyte at 8 Mbit/s at least one second, and
 * every byte arrives, in order.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { ping } from '@libp2p/ping';
import { memory } from '@libp2p/memory';
import { tcp } from '@libp2p/tcp';
import { createLibp2p, type Libp2p } from 'libp2p';
import { shapedTransport, type LinkOf } from '../../src/node/shaping.js';

type Node = Libp2p<{ ping: ReturnType<ReturnType<typeof ping>> }>;

async function node(listen: string, linkOf: LinkOf, kind: 'memory' | 'tcp'): Promise<Node> {
  const transport = kind === 'memory' ? shapedTransport(memory(), linkOf) : shapedTransport(tcp(), linkOf);
  return (await createLibp2p({
    addresses: { listen: [listen] },
    transports: [transport],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { ping: ping() },
  })) as unknown as Node;
}

const PROTO = '/peermpc-test/shaping/1.0.0';

/** Sends `bytes` from a to b over one stream; resolves with the ms until b got them all, in order. */
async function transfer(a: Node, b: Node, bytes: number): Promise<number> {
  let got = 0;
  let inOrder = true;
  const done = new Promise<void>((resolve) => {
    void b.handle(PROTO, (stream) => {
      stream.addEventListener('message', (e) => {
        for (const chunk of e.data instanceof Uint8Array ? [e.data] : e.data) {
          for (const v of chunk) if (v !== (got++ & 0xff)) inOrder = false;
        }
        if (got >= bytes) resolve();
      });
    });
  });
  const s = await a.dialProtocol(b.getMultiaddrs()[0]!, PROTO);
  const data = Uint8Array.from({ length: bytes }, (_, i) => i & 0xff);
  const t0 = performance.now();
  for (let at = 0; at < bytes; at += 64 * 1024) {
    if (!s.send(data.subarray(at, at + 64 * 1024))) await s.onDrain();
  }
  await done;
  const ms = performance.now() - t0;
  assert.ok(inOrder, 'bytes arrived in order');
  await s.close();
  return ms;
}

for (const kind of ['memory', 'tcp'] as const) {
  test(`${kind}: a round trip takes at least twice the latency; unshaped links stay fast`, async () => {
    const slow: LinkOf = () => ({ latencyMs: 40, jitterMs: 5 });
    const listen = kind === 'memory' ? '/memory/shaping-a' : '/ip4/127.0.0.1/tcp/0';
    const a = await node(listen, slow, kind);
    const b = await node(kind === 'memory' ? '/memory/shaping-b' : listen, slow, kind);
    try {
      await a.dial(b.getMultiaddrs()[0]!);
      const rtts: number[] = [];
      for (let i = 0; i < 5; i++) rtts.push(await a.services.ping.ping(b.getMultiaddrs()[0]!));
      assert.ok(Math.min(...rtts) >= 2 * 35 - 1, `ping rtts ${rtts.join(', ')} ms, latency 40 +- 5 each way`);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  test(`${kind}: bandwidth: 1 MiB at 8 Mbit/s takes at least a second, and arrives whole`, async () => {
    const narrow: LinkOf = () => ({ latencyMs: 0, jitterMs: 0, bandwidthMbps: 8 });
    const listen = kind === 'memory' ? '/memory/shaping-c' : '/ip4/127.0.0.1/tcp/0';
    const a = await node(listen, narrow, kind);
    const b = await node(kind === 'memory' ? '/memory/shaping-d' : listen, narrow, kind);
    try {
      const ms = await transfer(a, b, 1024 * 1024);
      assert.ok(ms >= 1000, `1 MiB took ${ms.toFixed(0)} ms at 8 Mbit/s (at least 1048 ms expected)`);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
}

test('links are chosen by the remote peer: only the link to the slow peer is slow', async () => {
  let slowPeer = '';
  const linkOf: LinkOf = (remote) => (remote === slowPeer ? { latencyMs: 60, jitterMs: 0 } : undefined);
  const a = await node('/memory/shaping-e', linkOf, 'memory');
  const fast = await node('/memory/shaping-f', linkOf, 'memory');
  const slow = await node('/memory/shaping-g', linkOf, 'memory');
  slowPeer = slow.peerId.toString();
  try {
    const toFast = await a.services.ping.ping(fast.getMultiaddrs()[0]!);
    const toSlow = await a.services.ping.ping(slow.getMultiaddrs()[0]!);
    assert.ok(toSlow >= 60, `to the slow peer ${toSlow} ms`);
    assert.ok(toFast < toSlow, `to the fast peer ${toFast} ms, to the slow one ${toSlow} ms`);
  } finally {
    await Promise.all([a.stop(), fast.stop(), slow.stop()]);
  }
});

test.run();
