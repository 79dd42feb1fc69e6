/**
 * Socket reads into shared slabs (src/node/socket-reads.ts) over real loopback TCP: every byte
 * arrives in order on sockets reading at the same time, across the switch from Node's reads, and a
 * paused socket stops reading (the sender is held back, nothing piles up in the receiver).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import {
  BUSY_BYTES,
  readIntoSlabs,
  readIntoSlabsWhenBusy,
  slabReadSockets,
  SLAB_READ_BYTES,
} from '../../src/node/socket-reads.js';

/** `n` bytes of a pattern that differs per stream and per offset. */
function pattern(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 10)) & 0xff;
  return b;
}

/** A server on 127.0.0.1 whose accepted sockets go to `onSocket`; and its port. */
async function server(onSocket: (s: net.Socket) => void): Promise<{ srv: net.Server; port: number }> {
  const srv = net.createServer(onSocket);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { srv, port: (srv.address() as net.AddressInfo).port };
}

/** Everything `s` delivers until it ends, joined. */
function collect(s: net.Socket): Promise<Buffer> {
  const parts: Buffer[] = [];
  s.on('data', (b: Buffer) => parts.push(Buffer.from(b))); // copied: the test keeps them
  return new Promise((r) => s.once('end', () => r(Buffer.concat(parts))));
}

test('sockets reading into slabs at the same time each get their own bytes, in order', async () => {
  const received: Promise<Buffer>[] = [];
  const { srv, port } = await server((s) => {
    assert.ok(readIntoSlabs(s), 'this Node has the onread internals');
    received.push(collect(s));
  });
  const sizes = [3 * SLAB_READ_BYTES + 17, 5 << 20, 1 << 20];
  const clients = await Promise.all(
    sizes.map(
      (n, i) =>
        new Promise<void>((done) => {
          const c = net.connect(port, '127.0.0.1', () => {
            for (let at = 0; at < n; at += 100_000) c.write(pattern(n, i).subarray(at, at + 100_000));
            c.end(done);
          });
        }),
    ),
  );
  assert.is(clients.length, 3);
  while (received.length < 3) await new Promise((r) => setTimeout(r, 5));
  const got = await Promise.all(received);
  const bySize = new Map(got.map((b) => [b.length, b]));
  sizes.forEach((n, i) => assert.ok(bySize.get(n)?.equals(pattern(n, i)), `stream ${i} intact`));
  srv.close();
});

test('a socket switches once busy, and the bytes across the switch stay in order', async () => {
  const before = slabReadSockets();
  let done: Promise<Buffer> | undefined;
  const { srv, port } = await server((s) => {
    readIntoSlabsWhenBusy(s);
    done = collect(s);
  });
  const small = net.connect(port, '127.0.0.1');
  await new Promise((r) => small.once('connect', r));
  small.end(Buffer.alloc(1000, 1));
  await new Promise((r) => small.once('close', r));
  assert.is(slabReadSockets(), before, 'a quiet socket keeps Node reads');
  const n = 3 * BUSY_BYTES;
  const big = net.connect(port, '127.0.0.1', () => big.end(pattern(n, 9)));
  await new Promise((r) => big.once('close', r));
  const got = await done!;
  assert.ok(got.equals(pattern(n, 9)));
  assert.is(slabReadSockets(), before + 1);
  srv.close();
});

test('a paused slab-reading socket stops reading: the sender is held back', async () => {
  let receiver: net.Socket | undefined;
  const { srv, port } = await server((s) => {
    readIntoSlabs(s);
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
