/**
 * The libp2p stack patches of src/node/libp2p-tuning.ts: Yamux streams send window updates once per
 * half window instead of once per data frame, yet a transfer many windows long still completes;
 * Noise connections write a small message as one buffer and decode lengths as before; objects
 * without the internals the patches rely on are left alone; and patched and stock nodes talk to
 * each other over TCP, both ways, small messages and large.
 */
import '../../src/polyfills.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import type {
  ConnectionEncrypter,
  Libp2p,
  MessageStream,
  Stream,
  StreamMuxer,
  StreamMuxerFactory,
} from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { multiaddrConnectionPair } from '@libp2p/utils';
import { createLibp2p } from 'libp2p';
import { createHash } from 'node:crypto';
import { Uint8ArrayList } from 'uint8arraylist';
import {
  COALESCE_NOISE_BYTES,
  LAZY_AFTER_FRAMES,
  LAZY_UPDATE_BYTES,
  lazyWindowUpdates,
  leanNoise,
} from '../../src/node/libp2p-tuning.js';
import { fastNoiseCrypto } from '../../src/node/noise-crypto.js';

const crypto = fastNoiseCrypto();

/** Yamux frame type of a window update (the 2nd header byte). */
const WINDOW_UPDATE = 1;

/** Counts the window update frames written to `conn` (each sent by the muxer as its own 12-byte write). */
function countWindowUpdates(conn: MessageStream): { count: number } {
  const seen = { count: 0 };
  const send = conn.send.bind(conn);
  conn.send = (data: Uint8Array | Uint8ArrayList): boolean => {
    const bytes = data.subarray();
    if (bytes.byteLength === 12 && bytes[1] === WINDOW_UPDATE) seen.count++;
    return send(data);
  };
  return seen;
}

/** What was read from an accepted stream. */
interface Inbound {
  received(): number;
  digest(): string;
}

/** Resolves with the first stream `muxer` accepts, reading it into a byte counter and a hash. */
function acceptOne(muxer: StreamMuxer): Promise<Inbound> {
  return new Promise((resolve) => {
    muxer.addEventListener(
      'stream',
      (evt) => {
        const hash = createHash('sha256');
        let received = 0;
        evt.detail.addEventListener('message', (m) => {
          hash.update(m.data.subarray());
          received += m.data.byteLength;
        });
        resolve({ received: () => received, digest: () => hash.copy().digest('hex') });
      },
      { once: true },
    );
  });
}

async function until(cond: () => boolean, signal: AbortSignal): Promise<void> {
  while (!cond()) {
    signal.throwIfAborted();
    await new Promise((r) => setImmediate(r));
  }
}

/** Two muxers over an in-memory connection pair; `lazy` picks which sides are patched. */
function muxerPair(lazy: { sender: boolean; receiver: boolean }) {
  const [a, b] = multiaddrConnectionPair();
  const windowUpdates = countWindowUpdates(b);
  const factory = (patched: boolean) => (patched ? lazyWindowUpdates(yamux())() : yamux()());
  const sender = factory(lazy.sender).createStreamMuxer(a);
  const receiver = factory(lazy.receiver).createStreamMuxer(b);
  const close = (): void => {
    sender.abort(new Error('test over'));
    receiver.abort(new Error('test over'));
  };
  return { sender, receiver, windowUpdates, close };
}

/** A sender stream and what its receiver got, with a way to send one frame and await its arrival. */
async function openPair(lazy: boolean) {
  const pair = muxerPair({ sender: false, receiver: lazy });
  const accepted = acceptOne(pair.receiver);
  const stream = await pair.sender.createStream();
  let total = 0;
  let inbound: Inbound | undefined;
  /** Sends `bytes` as one data frame and waits until the receiver has it; the updates it sent back. */
  const frame = async (bytes: number, signal: AbortSignal): Promise<number> => {
    const before = pair.windowUpdates.count;
    stream.send(new Uint8Array(bytes).fill(bytes & 0xff));
    total += bytes;
    inbound ??= await accepted;
    await until(() => inbound!.received() === total, signal);
    return pair.windowUpdates.count - before;
  };
  return { frame, close: pair.close };
}

test('a Yamux receiver sends a window update per data frame; a lazy one, per 16 KiB of small frames', async () => {
  const signal = AbortSignal.timeout(30_000);
  const sum = async (n: number, f: () => Promise<number>): Promise<number> => {
    let total = 0;
    for (let k = 0; k < n; k++) total += await f();
    return total;
  };
  const stock = await openPair(false);
  try {
    await stock.frame(8, signal); // opens the stream (its ACK)
    assert.is(await sum(300, () => stock.frame(8, signal)), 300, 'stock: one per frame');
  } finally {
    stock.close();
  }
  const lazy = await openPair(true);
  try {
    await lazy.frame(8, signal);
    // one per frame until LAZY_AFTER_FRAMES small ones in a row, then none: 2400 bytes in all
    const first = await sum(300, () => lazy.frame(8, signal));
    assert.ok(first <= LAZY_AFTER_FRAMES, `lazy: ${first} window updates for 300 small frames`);
    // then one per LAZY_UPDATE_BYTES received
    const n = Math.ceil((3 * LAZY_UPDATE_BYTES) / 1000);
    const more = await sum(n, () => lazy.frame(1000, signal));
    assert.ok(more >= 2 && more <= 3, `lazy: ${more} window updates for ${n} KB of small frames`);
    // a large frame: an update after it, and after each frame that follows, until the small ones
    // in a row are many again
    assert.is(await lazy.frame(LAZY_UPDATE_BYTES + 1, signal), 1, 'after a large frame');
    assert.is(await sum(LAZY_AFTER_FRAMES, () => lazy.frame(8, signal)), LAZY_AFTER_FRAMES, 'eager again');
    assert.is(await sum(20, () => lazy.frame(8, signal)), 0, 'lazy again');
  } finally {
    lazy.close();
  }
});

test('a transfer of many windows completes intact through lazy window updates, both ways', async () => {
  const signal = AbortSignal.timeout(60_000);
  const payload = new Uint8Array(6 << 20).map((_, i) => (i * 131 + (i >>> 13)) & 0xff);
  const expected = createHash('sha256').update(payload).digest('hex');
  for (const lazy of [
    { sender: true, receiver: true },
    { sender: false, receiver: true },
    { sender: true, receiver: false },
  ]) {
    const { sender, receiver, windowUpdates, close } = muxerPair(lazy);
    try {
      const accepted = acceptOne(receiver);
      const stream = await sender.createStream();
      for (let i = 0; i < payload.byteLength; i += 100_000) {
        if (!stream.send(payload.subarray(i, i + 100_000))) await stream.onDrain({ signal });
      }
      const inbound = await accepted;
      await until(() => inbound.received() === payload.byteLength, signal);
      assert.is(inbound.digest(), expected, JSON.stringify(lazy));
      if (lazy.receiver) assert.ok(windowUpdates.count > 2, 'the window was refilled');
    } finally {
      close();
    }
  }
});

test('a muxer or stream without the internals relied on is left as it is', () => {
  const plain = { protocol: '/x', createStreamMuxer: (c: MessageStream) => ({ c }) };
  const made = lazyWindowUpdates(() => plain as unknown as StreamMuxerFactory)();
  const conn = {} as MessageStream;
  assert.equal(made.createStreamMuxer(conn) as unknown, { c: conn });
});

/** A stand-in for Noise's encrypted connection: encrypt splits as Noise does, plus a decoder. */
function fakeNoiseConnection() {
  return {
    encrypt: (chunk: Uint8Array): Uint8Array | Uint8ArrayList => {
      const len = new Uint8Array([chunk.byteLength >> 8, chunk.byteLength & 0xff]);
      return new Uint8ArrayList(len, chunk.slice());
    },
    decoder: { lengthDecoder: (_: Uint8Array | Uint8ArrayList): number => -1 },
  };
}

function fakeEncrypter(connection: unknown): () => ConnectionEncrypter {
  return () =>
    ({
      protocol: '/fake-noise',
      secureInbound: async () => ({ connection, remotePeer: undefined }),
      secureOutbound: async () => ({ connection, remotePeer: undefined }),
    }) as unknown as ConnectionEncrypter;
}

test('lean Noise writes a small message as one buffer and decodes lengths as Noise does', async () => {
  const conn = fakeNoiseConnection();
  const enc = leanNoise(fakeEncrypter(conn))();
  assert.is(enc.protocol, '/fake-noise');
  const secured = await enc.secureOutbound({} as MessageStream);
  assert.is(secured.connection as unknown, conn);
  await enc.secureInbound({} as MessageStream);
  const small = conn.encrypt(new Uint8Array(300).fill(7));
  assert.instance(small, Uint8Array, 'a small message is one buffer');
  assert.equal(
    Uint8Array.from(small.subarray()),
    Uint8Array.from([1, 300 - 256, ...new Uint8Array(300).fill(7)]),
  );
  const large = conn.encrypt(new Uint8Array(COALESCE_NOISE_BYTES));
  assert.instance(large, Uint8ArrayList, 'a large message is not copied');
  assert.is(large.byteLength, COALESCE_NOISE_BYTES + 2);
  const len = conn.decoder.lengthDecoder;
  assert.is(len(new Uint8Array([0x12, 0x34, 9])), 0x1234);
  assert.is(len(new Uint8ArrayList(new Uint8Array([0xff]), new Uint8Array([0xfe]))), 0xfffe);
  for (const short of [new Uint8Array(1), new Uint8ArrayList()]) {
    assert.throws(
      () => len(short),
      (e: unknown) => e instanceof RangeError,
    );
  }
});

test('a connection without the internals relied on is left as it is', async () => {
  const conn = { encrypt: 'not a function' };
  const secured = await leanNoise(fakeEncrypter(conn))().secureInbound({} as MessageStream);
  assert.equal(secured.connection as unknown, { encrypt: 'not a function' });
});

const ECHO = '/peermpc-test/tuning-echo/1.0.0';

async function startNode(patched: boolean): Promise<Libp2p> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    // patched: with the native crypto, if built, and its in-place reads (noise-tuning.ts)
    connectionEncrypters: [patched ? leanNoise(noise({ crypto }), { crypto }) : noise()],
    streamMuxers: [patched ? lazyWindowUpdates(yamux()) : yamux()],
  });
  await node.handle(ECHO, async (stream) => {
    stream.addEventListener('message', (evt) => {
      stream.send(evt.data);
    });
  });
  return node;
}

/** Reads `stream` into a list until `bytes` arrived. */
function reader(stream: Stream): (bytes: number, signal: AbortSignal) => Promise<Uint8Array> {
  const got = new Uint8ArrayList();
  stream.addEventListener('message', (evt) => got.append(evt.data));
  return async (bytes, signal) => {
    await until(() => got.byteLength >= bytes, signal);
    const out = got.subarray(0, bytes);
    got.consume(bytes);
    return out;
  };
}

test('patched (native, in-place reads) and stock nodes echo small messages and 4 MB to each other over TCP', async () => {
  const signal = AbortSignal.timeout(60_000);
  const nodes = [await startNode(true), await startNode(false)];
  try {
    for (const [from, to] of [
      [0, 1],
      [1, 0],
      [0, 0],
    ] as const) {
      const dialer = from === to ? await startNode(true) : nodes[from]!;
      if (from === to) nodes.push(dialer);
      const stream = await dialer.dialProtocol(nodes[to]!.getMultiaddrs()[0]!, ECHO, { signal });
      const read = reader(stream);
      for (let k = 0; k < 300; k++) {
        const msg = new Uint8Array(8).fill(k & 0xff);
        stream.send(msg);
        assert.equal(Uint8Array.from(await read(8, signal)), msg);
      }
      const big = new Uint8Array(4 << 20).map((_, i) => (i * 7 + from) & 0xff);
      for (let i = 0; i < big.byteLength; i += 64_000) {
        if (!stream.send(big.subarray(i, i + 64_000))) await stream.onDrain({ signal });
      }
      const back = await read(big.byteLength, signal);
      assert.is(
        createHash('sha256').update(back).digest('hex'),
        createHash('sha256').update(big).digest('hex'),
        `${from} -> ${to}`,
      );
      await stream.close({ signal });
    }
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
});

test.run();
