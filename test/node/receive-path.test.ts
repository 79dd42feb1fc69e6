/**
 * The receive path from the socket to the protocol without extra copies: the frame decoder's
 * direct receive (a large frame's destination allocated at its header, each chunk copied in as it
 * arrives) against the buffered path, its refusals of malformed and oversized frames, and the Noise
 * message reader of src/node/noise-tuning.ts (messages cut from socket reads without joining them,
 * decrypted in place or from their parts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { Uint8ArrayList } from 'uint8arraylist';
import type { ICryptoInterface } from '@chainsafe/libp2p-noise';
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto';
import { FrameDecoder, type DirectBudget } from '../../src/node/mpc/frame-decoder.js';
import { Inbox, PeerBudget, sessionLimits } from '../../src/node/mpc/inbound.js';
import {
  encodeData,
  encodeDataHeader,
  encodeJobId,
  encodePartHeader,
  FrameError,
  type Frame,
} from '../../src/node/mpc/frame.js';
import { fastNoiseCrypto, NoiseDecryptError } from '../../src/node/noise-crypto.js';
import { leanNoise, NoiseMessageReader } from '../../src/node/noise-tuning.js';
import type { ConnectionEncrypter, MessageStream } from '@libp2p/interface';
import type { Peer } from '../../src/node/peer.js';
import { removeDir, startPeers, stopAll, tempDir } from './net-helpers.js';
import { slabReadSockets } from '../../src/node/socket-reads.js';

const MAX = 1 << 16;

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >>> 8)) & 0xff;
  return out;
}

/** `bytes` cut at `cuts` (sorted positions), fed one piece or one list of pieces at a time. */
function feed(d: FrameDecoder, bytes: Uint8Array, cuts: number[], lists: boolean): Frame[] {
  const out: Frame[] = [];
  const pieces: Uint8Array[] = [];
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    pieces.push(bytes.subarray(at, Math.max(at, c)));
    at = Math.max(at, c);
  }
  if (lists) {
    for (let i = 0; i < pieces.length; i += 3)
      out.push(...d.push(new Uint8ArrayList(...pieces.slice(i, i + 3))));
  } else {
    for (const p of pieces) out.push(...d.push(p));
  }
  return out;
}

/** A stream of frames: small and large data frames, and a message in large part frames. */
function stream(): { bytes: Uint8Array; payloads: Uint8Array[]; parts: Uint8Array } {
  const job = encodeJobId('job-direct');
  const payloads = [pattern(3, 1), pattern(50_000, 2), pattern(70, 3), pattern(MAX, 4)];
  const parts = pattern(2 * MAX + 100, 5);
  const frames: Uint8Array[] = [];
  payloads.forEach((p, step) => frames.push(encodeDataHeader(job, step, p.length), p));
  for (let off = 0; off < parts.length; off += MAX) {
    const chunk = parts.subarray(off, Math.min(parts.length, off + MAX));
    frames.push(encodePartHeader(job, 9, parts.length, off, chunk.length), chunk);
  }
  return { bytes: concat(frames), payloads, parts };
}

function check(frames: Frame[], s: ReturnType<typeof stream>): void {
  const data = frames.filter((f) => f.kind === 'data');
  assert.is(data.length, s.payloads.length);
  data.forEach((f, step) => {
    assert.is(f.step, step);
    assert.equal(f.payload, s.payloads[step]);
    assert.is(f.payload.byteOffset, 0, 'a payload owns its buffer');
    assert.is(f.payload.buffer.byteLength, f.payload.length);
  });
  const parts = frames.filter((f) => f.kind === 'part');
  assert.equal(concat(parts.map((p) => p.chunk)), s.parts);
  assert.equal(
    parts.map((p) => p.offset),
    [0, MAX, 2 * MAX],
  );
}

/** A direct-receive budget that counts what is held, refusing past `limit` bytes. */
function counting(limit = Infinity): DirectBudget & { held: number; charges: number } {
  const b = {
    held: 0,
    charges: 0,
    charge(bytes: number): boolean {
      if (b.held + bytes > limit) return false;
      b.held += bytes;
      b.charges++;
      return true;
    },
    release(bytes: number): void {
      b.held -= bytes;
    },
  };
  return b;
}

test('direct receive: the same frames as the buffered path, for any cutting of the stream', () => {
  const s = stream();
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: s.bytes.length }), { maxLength: 40 }),
      fc.boolean(),
      (cuts, lists) => {
        cuts.sort((a, b) => a - b);
        for (const direct of [false, true]) {
          const d = new FrameDecoder(MAX);
          const b = counting();
          if (direct) d.direct = b;
          check(feed(d, s.bytes, cuts, lists), s);
          assert.is(d.buffered, 0);
          assert.is(b.held, 0, 'every charge given back once its frame is whole');
        }
      },
    ),
    { numRuns: 60 },
  );
  // byte by byte, and in 1 KiB reads
  for (const step of [1, 1024]) {
    const d = new FrameDecoder(MAX);
    d.direct = counting();
    const cuts = Array.from({ length: Math.ceil(s.bytes.length / step) }, (_, i) => i * step);
    check(feed(d, s.bytes, cuts, false), s);
  }
});

test('direct receive: a frame in progress counts as buffered; nothing is allocated before its header', () => {
  const d = new FrameDecoder(MAX);
  const b = counting();
  d.direct = b;
  const f = encodeData('j', 4, pattern(40_000, 9));
  assert.equal(d.push(f.subarray(0, 8)), []); // length and part of the header only
  assert.is(d.buffered, 8);
  assert.is(b.held, 0);
  assert.equal(d.push(f.subarray(8, 30_000)), []);
  assert.is(d.buffered, 30_000 - 4 - 2 - 1 - 4); // the payload bytes in so far
  assert.is(b.held, 40_000, 'the whole destination is charged from the header on');
  const [got] = d.push(f.subarray(30_000));
  assert.equal(got, { kind: 'data', jobId: 'j', step: 4, payload: pattern(40_000, 9) });
  assert.is(d.buffered, 0);
  assert.is(b.held, 0);
});

test('direct receive: over the sender budget a frame is buffered as it arrives; a cut-off frame gives its charge back', () => {
  const f = encodeData('j', 4, pattern(40_000, 9));
  // the budget refuses: the bytes are kept as they come (no destination of the frame's size yet)
  const tight = counting(30_000);
  const d = new FrameDecoder(MAX);
  d.direct = tight;
  assert.equal(d.push(f.subarray(0, 1000)), []);
  assert.is(tight.held, 0);
  assert.is(d.buffered, 1000);
  const [got] = d.push(f.subarray(1000));
  assert.equal(got, { kind: 'data', jobId: 'j', step: 4, payload: pattern(40_000, 9) });
  // a frame cut off by the end of its link: dispose gives the charge back
  const b = counting();
  const e = new FrameDecoder(MAX);
  e.direct = b;
  e.push(f.subarray(0, 1000));
  assert.is(b.held, 40_000);
  e.dispose();
  assert.is(b.held, 0);
  e.dispose(); // once only
  assert.is(b.held, 0);
});

test('direct receive: headers that stall charge the peer budget shared by its sessions, then buffer', () => {
  // one peer, two sessions (two inboxes, two links) sharing a budget of 100 000 bytes
  const budget = new PeerBudget({ bytes: 100_000, messages: 100 });
  const inboxes = [0, 1].map(() => new Inbox(1, sessionLimits(MAX), budget));
  for (const i of inboxes) i.peer = 'peer-x';
  const decoders = inboxes.map((i) => {
    const d = new FrameDecoder(MAX);
    d.direct = i.inFlight;
    return d;
  });
  const header = (n: number): Uint8Array => encodeData('j', 1, new Uint8Array(n)).subarray(0, 100);
  decoders[0]!.push(header(60_000)); // charged: 60 000 of 100 000
  assert.equal(budget.usage('peer-x'), { bytes: 60_000, messages: 1 });
  decoders[1]!.push(header(60_000)); // would pass the budget: buffered, nothing more charged
  assert.equal(budget.usage('peer-x'), { bytes: 60_000, messages: 1 });
  assert.is(decoders[1]!.buffered, 100);
  decoders[0]!.dispose();
  assert.equal(budget.usage('peer-x'), { bytes: 0, messages: 0 });
});

test('direct receive refuses oversized, malformed and misplaced frames with a FrameError', () => {
  const refuse = (bytes: Uint8Array, reason: string, cut = 7): void => {
    const d = new FrameDecoder(MAX);
    d.direct = counting();
    assert.throws(
      () => {
        d.push(bytes.subarray(0, cut));
        d.push(bytes.subarray(cut, bytes.length - 1)); // never whole: the direct path decides
      },
      (e: unknown) => e instanceof FrameError && e.reason === reason,
      reason,
    );
  };
  const job = encodeJobId('j');
  const oversized = encodeDataHeader(job, 1, MAX + 1000);
  refuse(concat([oversized, new Uint8Array(MAX + 1000)]), 'oversized', 2);
  // a part reaching past the end of its message
  const part = encodePartHeader(job, 1, 6000, 0, 5000);
  new DataView(part.buffer).setUint32(4 + 2 + 1 + 8, 2000, true); // offset 2000: ends at 7000 > 6000
  refuse(concat([part, new Uint8Array(5000)]), 'bad-field');
  // a bad job id length, and job id bytes that are not UTF-8
  const bad = concat([encodeDataHeader(job, 1, 5000), new Uint8Array(5000)]);
  bad[5] = 0;
  refuse(bad, 'bad-job-id');
  const utf = concat([encodeDataHeader(job, 1, 5000), new Uint8Array(5000)]);
  utf[6] = 0xff;
  refuse(utf, 'bad-utf8');
});

/** Noise's framing: u16 big-endian length, then the message. */
function noiseFrames(messages: Uint8Array[]): Uint8Array {
  return concat(messages.flatMap((m) => [new Uint8Array([m.length >> 8, m.length & 0xff]), m]));
}

test('the Noise reader cuts reads into messages: views when whole, two parts when cut once, a copy when cut more', () => {
  const messages = [pattern(65_535, 1), pattern(17, 2), new Uint8Array(0), pattern(40_000, 3), pattern(1, 4)];
  const wire = noiseFrames(messages);
  const expected = messages.filter((m) => m.length > 0);
  // where each non-empty message's body lies on the wire
  const bodies: [number, number][] = [];
  let off = 0;
  for (const m of messages) {
    if (m.length > 0) bodies.push([off + 2, off + 2 + m.length]);
    off += 2 + m.length;
  }
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: wire.length }), { maxLength: 30 }), (cuts) => {
      cuts.sort((a, b) => a - b);
      const r = new NoiseMessageReader();
      const got: Uint8Array[] = [];
      const reads: [number, number][] = [];
      let at = 0;
      for (const c of [...cuts, wire.length]) {
        const piece = wire.subarray(at, Math.max(at, c));
        reads.push([at, Math.max(at, c)]);
        at = Math.max(at, c);
        for (const m of r.decode(piece)) {
          const [from, to] = bodies[got.length]!;
          // the reads so far that hold a piece of this body (the last one completed it)
          const pieces = reads.filter(([a, b]) => b > a && a < to && b > from).length;
          if (pieces === 1) assert.ok(m instanceof Uint8Array && m.buffer === wire.buffer, 'whole: a view');
          else if (pieces === 2) {
            assert.ok(!(m instanceof Uint8Array), 'cut once: a list');
            assert.is([...(m as Uint8ArrayList)].length, 2);
          } else assert.ok(m instanceof Uint8Array && m.buffer !== wire.buffer, 'cut more: a copy');
          got.push(m instanceof Uint8Array ? Uint8Array.from(m) : m.subarray());
        }
      }
      assert.equal(got, expected);
      assert.is(r.buffered, 0);
    }),
    { numRuns: 200 },
  );
  // a message sent a byte at a time: one buffer of its own, not 300 parts
  const trickled = noiseFrames([pattern(300, 9)]);
  const r = new NoiseMessageReader();
  const out = [...trickled].flatMap((_, i) => r.decode(trickled.subarray(i, i + 1)));
  assert.is(out.length, 1);
  assert.instance(out[0], Uint8Array);
  assert.equal(Uint8Array.from(out[0] as Uint8Array), pattern(300, 9));
  // every split of the prefix and body of one message, fed as a list
  const one = noiseFrames([pattern(300, 7)]);
  for (let c = 0; c <= one.length; c++) {
    const r = new NoiseMessageReader();
    const got = r.decode(new Uint8ArrayList(one.subarray(0, c), one.subarray(c)));
    assert.is(got.length, 1);
    assert.equal(got[0]!.subarray(), pattern(300, 7));
  }
});

/** Secures a fake Noise encrypted stream `conn` through leanNoise with `crypto`, which patches it. */
async function leanOver(conn: object, crypto: ICryptoInterface): Promise<void> {
  const encrypter = leanNoise(
    () =>
      ({
        protocol: '/fake-noise',
        secureInbound: async () => ({ connection: conn }),
        secureOutbound: async () => ({ connection: conn }),
      }) as unknown as ConnectionEncrypter,
    { crypto },
  )();
  await encrypter.secureInbound({} as MessageStream);
}

test('in-place Noise reads: whole and cut messages decrypt, prefixed writes, a tampered one is refused', async () => {
  const c = fastNoiseCrypto();
  if (c === undefined) return; // the native crypto is not built: the patch is not applied
  const key = pattern(32, 1);
  const nonce = new Uint8Array(12);
  const ad = new Uint8Array(0);
  const seal = (p: Uint8Array): Uint8Array =>
    Uint8Array.from(c.chaCha20Poly1305Encrypt(p, nonce, ad, key).subarray());
  // a connection with the members of Noise 17's encrypted stream the patch relies on
  const conn = {
    encrypt: (p: Uint8Array) => {
      const ct = c.chaCha20Poly1305Encrypt(p, nonce, ad, key) as Uint8Array;
      return new Uint8ArrayList(new Uint8Array([ct.length >> 8, ct.length & 0xff]), ct);
    },
    decrypt: () => assert.unreachable('replaced'),
    decoder: {
      lengthDecoder: () => 0,
      decode: () => assert.unreachable('replaced'),
      buffer: new Uint8ArrayList(),
    },
    handshake: {
      decrypt: (ct: Uint8Array, dst?: Uint8Array) => c.chaCha20Poly1305Decrypt(ct, nonce, ad, key, dst),
    },
  };
  await leanOver(conn, c);
  const plain = pattern(60_000, 3);
  const written = conn.encrypt(plain) as unknown as Uint8Array;
  assert.instance(written, Uint8Array, 'a large message is written as one buffer');
  assert.equal(written.subarray(2), seal(plain));
  const wire = noiseFrames([seal(plain)]);
  const decode = conn.decoder.decode as unknown as (d: Uint8Array | Uint8ArrayList) => Uint8Array[];
  const decrypt = conn.decrypt as unknown as (m: Uint8Array | Uint8ArrayList) => Uint8Array | Uint8ArrayList;
  const bytesOf = (x: Uint8Array | Uint8ArrayList): Uint8Array =>
    x instanceof Uint8Array ? Uint8Array.from(x) : x.subarray();
  for (const cut of [wire.length, 30_000]) {
    const msgs = decode(new Uint8ArrayList(wire.subarray(0, cut), wire.subarray(cut)).subarray().slice());
    assert.is(msgs.length, 1);
    assert.equal(bytesOf(decrypt(msgs[0]!)), plain);
    const reads = [wire.slice(0, cut), wire.slice(cut)];
    const cutMsgs = reads.flatMap((r) => decode(r));
    const out = decrypt(cutMsgs[0]!);
    assert.equal(bytesOf(out), plain, `cut at ${cut}`);
    if (cut < wire.length) {
      // decrypted where it lay: the plaintext is views of the two reads, no buffer of its own
      const views = [...(out as Uint8ArrayList)];
      assert.equal(
        views.map((v) => reads.findIndex((r) => r.buffer === v.buffer)),
        [0, 1],
      );
    }
  }
  const bad = wire.slice();
  bad[bad.length - 1]! ^= 1;
  for (const cut of [bad.length, 1000]) {
    const msgs = [...decode(bad.slice(0, cut)), ...decode(bad.slice(cut))];
    assert.throws(
      () => decrypt(msgs[0]!),
      (e: unknown) => e instanceof NoiseDecryptError,
    );
  }
  assert.throws(() => decrypt(new Uint8Array(15)), /Invalid chunk/);
});

test('in-place reads only with the native crypto: with any other, Noise reads as it does', async () => {
  const decrypt = (): Uint8Array => new Uint8Array(0);
  const decode = (): Uint8Array[] => [];
  const conn = {
    encrypt: (p: Uint8Array) => p,
    decrypt,
    decoder: { lengthDecoder: () => 0, decode },
    handshake: { decrypt: () => new Uint8Array(0) },
  };
  await leanOver(conn, defaultCrypto); // Noise's default would refuse the in-place marker
  assert.is(conn.decrypt, decrypt);
  assert.is(conn.decoder.decode, decode);
});

let root = '';
let peers: Peer[] = [];
const MiB = 1 << 20;

test.before(async () => {
  root = tempDir();
  peers = await startPeers(root, 2, AbortSignal.timeout(30_000), () => ({ maxFrameBytes: 16 * MiB }));
});
test.after(async () => {
  await stopAll(peers);
  removeDir(root);
});

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('real peers: tensors past every window and frame limit arrive intact, both ways at once', async () => {
  const signal = AbortSignal.timeout(60_000);
  const parties = peers.map((p) => p.peerId);
  const chans = await Promise.all(peers.map((p) => p.openSession({ jobId: 'job-big', parties }, { signal })));
  // 40 MiB: over Yamux's largest window (16 MiB) and the frame limit (parts of 16 MiB); 12 MiB:
  // one data frame over the window; odd sizes, so no cut falls on a Noise or read boundary by luck
  const sizes = [40 * MiB + 13, 12 * MiB + 5, 77];
  const msgs = [0, 1].map((from) => sizes.map((n, k) => pattern(n, 10 * from + k)));
  const received = [0, 1].map((to) =>
    Promise.all(sizes.map((_, step) => chans[to]!.recv(1 - to, step, { signal }))),
  );
  await Promise.all(
    [0, 1].flatMap((from) => msgs[from]!.map((m, step) => chans[from]!.send(1 - from, step, m))),
  );
  for (const to of [0, 1]) {
    const got = await received[to]!;
    got.forEach((m, step) => {
      assert.is(m.length, sizes[step]);
      assert.is(m.byteOffset % 8, 0);
      assert.is(sha(m), sha(msgs[1 - to]![step]!), `${1 - to} -> ${to}, step ${step}`);
    });
  }
  assert.ok(slabReadSockets() >= 2, 'both connections read into slabs once busy (socket-reads.ts)');
  await Promise.all(chans.map((c) => c.close()));
});

test.run();
