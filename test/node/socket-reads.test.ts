/**
 * Socket reads outside V8's memory count (src/node/socket-reads.ts) over real loopback TCP: every
 * byte arrives in order on sockets reading at the same time, small reads are copies and bulk reads
 * slab views, a chunk handed out is never written again (a 'data' listener that throws included),
 * and a paused socket stops reading.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import {
  MIN_SLAB_VIEW_BYTES,
  readIntoSlabs,
  slabReadSockets,
  SLAB_READ_BYTES,
  SMALL_READ_BYTES,
} from '../../src/node/socket-reads.js';

/** `n` bytes of a pattern that differs per stream and per offset. */
function pattern(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 10)) & 0xff;
  return b;
}

/** A server on 127.0.0.1 whose accepted sockets are switched and go to `onSocket`; and its port. */
async function server(onSocket: (s: net.Socket) => void): Promise<{ srv: net.Server; port: number }> {
  const srv = net.createServer((s) => {
    assert.ok(readIntoSlabs(s), 'this Node has the onread internals');
    onSocket(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { srv, port: (srv.address() as net.AddressInfo).port };
}

/** The chunks `s` delivers until it ends (kept as delivered, to check they never change). */
function chunks(s: net.Socket): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  s.on('data', (b: Buffer) => parts.push(b));
  return new Promise((r) => s.once('end', () => r(parts)));
}

/** Writes `data` in pieces of the given sizes (cycled), then ends. */
function send(port: number, data: Buffer, pieces: number[]): Promise<void> {
  return new Promise((done, fail) => {
    const c = net.connect(port, '127.0.0.1', () => {
      for (let at = 0, i = 0; at < data.length; i++) {
        const n = pieces[i % pieces.length]!;
        c.write(data.subarray(at, at + n));
        at += n;
      }
      c.end(done);
    });
    c.once('error', fail);
  });
}

test('sockets reading at the same time each get their own bytes, in order, small and bulk', async () => {
  const before = slabReadSockets();
  const received: Promise<Buffer[]>[] = [];
  const { srv, port } = await server((s) => received.push(chunks(s)));
  const sizes = [3 * SLAB_READ_BYTES + 17, 5 << 20, 300_000];
  const pieces = [[100_000], [7, 1 << 20, 300], [1000, 50]];
  await Promise.all(sizes.map((n, i) => send(port, pattern(n, i), pieces[i]!)));
  while (received.length < 3) await new Promise((r) => setTimeout(r, 5));
  const got = await Promise.all(received);
  const bySize = new Map(got.map((c) => [Buffer.concat(c).length, c]));
  sizes.forEach((n, i) =>
    assert.ok(Buffer.concat(bySize.get(n)!).equals(pattern(n, i)), `stream ${i} intact`),
  );
  assert.is(slabReadSockets(), before + 3);
  const all = got.flat();
  assert.ok(
    all.some((c) => c.buffer instanceof SharedArrayBuffer),
    'bulk reads are slab views',
  );
  assert.ok(
    all.every((c) => !(c.buffer instanceof SharedArrayBuffer) || c.byteLength >= MIN_SLAB_VIEW_BYTES),
    'a slab view holds at least 64 KiB; shorter reads are copies',
  );
  srv.close();
});

test('the last few bytes of a burst do not pin a slab', async () => {
  const received: Promise<Buffer[]>[] = [];
  const { srv, port } = await server((s) => received.push(chunks(s)));
  // a burst the small buffer cannot hold, ending in a short read (as in the review's attack: many
  // connections each sending 16,484 bytes and this side keeping the last chunk of each)
  const n = SMALL_READ_BYTES + 100;
  try {
    await Promise.all([0, 1, 2, 3].map((i) => send(port, pattern(n, i), [n])));
    while (received.length < 4) await new Promise((r) => setTimeout(r, 5));
    for (const [i, got] of (await Promise.all(received)).entries()) {
      assert.is(Buffer.concat(got).length, n, `stream ${i}`);
      for (const c of got) {
        // a copy: its own bytes, or a share of Node's 8 KiB pool for a short one, never a slab
        assert.not.instance(c.buffer, SharedArrayBuffer);
        assert.ok(c.buffer.byteLength <= Math.max(c.byteLength, Buffer.poolSize), `${c.buffer.byteLength}`);
      }
    }
  } finally {
    srv.close();
  }
});

test('a chunk handed out is never written again, even after a data listener throws', async () => {
  const seen: { chunk: Buffer; copy: Buffer }[] = [];
  let thrown = false;
  const uncaught = new Promise<Error>((r) => process.once('uncaughtException', r));
  const other: Promise<Buffer[]>[] = [];
  let first = true;
  const { srv, port } = await server((s) => {
    if (!first) {
      other.push(chunks(s));
      return;
    }
    first = false;
    s.on('error', () => {});
    s.on('data', (b: Buffer) => {
      seen.push({ chunk: b, copy: Buffer.from(b) });
      if (b.buffer instanceof SharedArrayBuffer && !thrown) {
        thrown = true;
        throw new Error('listener failed');
      }
    });
  });
  const a = send(port, pattern(4 << 20, 1), [1 << 20]).catch(() => {});
  const b = send(port, pattern(4 << 20, 2), [1 << 20]);
  assert.match((await uncaught).message, 'listener failed');
  await Promise.all([a, b]);
  while (other.length < 1) await new Promise((r) => setTimeout(r, 5));
  assert.ok(Buffer.concat(await other[0]!).equals(pattern(4 << 20, 2)), 'the other socket is intact');
  assert.ok(seen.length > 0 && seen.every((s) => s.chunk.equals(s.copy)), 'no delivered chunk changed');
  srv.close();
});

test('a paused socket stops reading: the sender is held back', async () => {
  let receiver: net.Socket | undefined;
  const { srv, port } = await server((s) => {
    receiver = s;
    s.pause();
  });
  const c = net.connect(port, '127.0.0.1');
  await new Promise((r) => c.once('connect', r));
  const chunk = Buffer.alloc(1 << 20, 3);
  let sent = 0;
  while (c.write(chunk) && sent < 256 << 20) sent += chunk.length;
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(sent < 256 << 20, 'the sender met back-pressure');
  const held = receiver!.readableLength;
  assert.ok(held <= SLAB_READ_BYTES + receiver!.readableHighWaterMark, `${held} bytes held while paused`);
  let got = 0;
  receiver!.on('data', (b: Buffer) => (got += b.length));
  receiver!.resume();
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(got > 0, 'resumed reading');
  c.destroy();
  receiver!.destroy();
  srv.close();
});

test.run();
