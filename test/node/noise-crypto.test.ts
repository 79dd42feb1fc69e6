/**
 * The native Noise ChaCha20-Poly1305 (src/node/noise-crypto.ts over native/aead.cc) against Noise's
 * default crypto: the same bytes for every size and input shape, decryption of each other's output,
 * in-place decryption through `dst` (whole, and in the parts of a cut message), rejection of every tampered input, argument checks, and two
 * real libp2p nodes (one native, one default) moving 8 MB over Noise on 127.0.0.1.
 */
import '../../src/polyfills.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { noise, type ICryptoInterface } from '@chainsafe/libp2p-noise';
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto';
import { yamux } from '@chainsafe/libp2p-yamux';
import type { Libp2p, Stream } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Uint8ArrayList } from 'uint8arraylist';
import {
  DECRYPT_IN_PLACE,
  fastNoiseCrypto,
  NoiseDecryptError,
  noiseCryptoName,
} from '../../src/node/noise-crypto.js';

const native = fastNoiseCrypto();
const skip = native === undefined;
if (skip) {
  assert.ok(
    process.env.PEERMPC_REQUIRE_NATIVE === undefined,
    'native Noise crypto required but not available',
  );
}

/** What the crypto functions take: Noise's own Uint8ArrayList type (an older uint8arraylist). */
type NoiseBytes = Parameters<ICryptoInterface['chaCha20Poly1305Encrypt']>[0];

/** A deterministic byte generator (mulberry32), so a failure can be replayed. */
function rng(seed: number): (n: number) => Uint8Array {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return (n) => Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
}

/** `data` as a Uint8ArrayList of several parts (some empty), cut at positions drawn from `bytes`. */
function asList(data: Uint8Array, bytes: (n: number) => Uint8Array): NoiseBytes {
  const cuts = [...bytes(3)].map((b) => Math.floor((b / 256) * data.byteLength)).sort((a, b) => a - b);
  const list = new Uint8ArrayList();
  let at = 0;
  for (const c of [...cuts, cuts[0]!, data.byteLength]) {
    const end = Math.max(at, c);
    list.append(data.subarray(at, end));
    at = end;
  }
  return list as unknown as NoiseBytes;
}

function flat(x: NoiseBytes): Uint8Array {
  return Uint8Array.from(x.subarray());
}

const SIZES = [0, 1, 15, 16, 17, 1199, 1200, 1201, 64 * 1024 - 17, 65519, 64 * 1024 + 17];

test('encrypts byte for byte as Noise default does, from a Uint8Array and from a multi-part list', () => {
  if (skip) return;
  const bytes = rng(1);
  for (const size of SIZES) {
    for (const adLength of [0, 32]) {
      const key = bytes(32);
      const nonce = bytes(12);
      const ad = bytes(adLength);
      const plain = bytes(size);
      const expected = flat(defaultCrypto.chaCha20Poly1305Encrypt(plain, nonce, ad, key));
      const what = `size ${size} ad ${adLength}`;
      assert.equal(flat(native!.chaCha20Poly1305Encrypt(plain, nonce, ad, key)), expected, what);
      const list = asList(plain, bytes);
      assert.equal(flat(native!.chaCha20Poly1305Encrypt(list, nonce, ad, key)), expected, `${what} (list)`);
      assert.equal(flat(list), plain, `${what}: the input is left as it was`);
    }
  }
});

test("decrypts the default's ciphertexts and the default decrypts its own", () => {
  if (skip) return;
  const bytes = rng(2);
  for (const size of SIZES) {
    const key = bytes(32);
    const nonce = bytes(12);
    const ad = bytes(32);
    const plain = bytes(size);
    const fromDefault = flat(defaultCrypto.chaCha20Poly1305Encrypt(plain, nonce, ad, key));
    assert.equal(flat(native!.chaCha20Poly1305Decrypt(fromDefault, nonce, ad, key)), plain, `size ${size}`);
    // the tag split across parts, as a Noise sublist may be
    const split = new Uint8ArrayList(
      fromDefault.subarray(0, size + 7),
      fromDefault.subarray(size + 7),
    ) as unknown as NoiseBytes;
    assert.equal(flat(native!.chaCha20Poly1305Decrypt(split, nonce, ad, key)), plain, `size ${size} (split)`);
    const fromNative = flat(native!.chaCha20Poly1305Encrypt(plain, nonce, ad, key));
    assert.equal(
      flat(defaultCrypto.chaCha20Poly1305Decrypt(fromNative, nonce, ad, key)),
      plain,
      `size ${size}`,
    );
  }
});

test('decrypts in place into dst, and into a new buffer when dst does not fit', () => {
  if (skip) return;
  const bytes = rng(3);
  for (const size of [0, 17, 1500, 65519]) {
    const key = bytes(32);
    const nonce = bytes(12);
    const plain = bytes(size);
    const sealed = flat(native!.chaCha20Poly1305Encrypt(plain, nonce, new Uint8Array(0), key));
    // as Noise's stream does: dst is the ciphertext's own memory
    const dst = sealed.subarray(0, size);
    const out = native!.chaCha20Poly1305Decrypt(sealed, nonce, new Uint8Array(0), key, dst);
    assert.ok(out === dst, `size ${size}: dst returned`);
    assert.equal(Uint8Array.from(dst), plain, `size ${size}: in place`);
    // dst overlapping the ciphertext one byte later: still right (the addon copies first)
    const again = flat(native!.chaCha20Poly1305Encrypt(plain, nonce, new Uint8Array(0), key));
    const shifted = new Uint8Array(again.byteLength + 1);
    shifted.set(again, 0);
    const late = shifted.subarray(1, 1 + size);
    const out2 = native!.chaCha20Poly1305Decrypt(
      shifted.subarray(0, again.byteLength),
      nonce,
      new Uint8Array(0),
      key,
      late,
    );
    assert.equal(Uint8Array.from(out2.subarray()), plain, `size ${size}: overlapping dst`);
    // a dst of the wrong length is ignored
    const wrong = new Uint8Array(size + 1).fill(9);
    const fresh = native!.chaCha20Poly1305Decrypt(again, nonce, new Uint8Array(0), key, wrong);
    assert.ok(fresh !== wrong);
    assert.equal(flat(fresh), plain);
    assert.ok(
      wrong.every((b) => b === 9),
      'the ill-fitting dst is untouched',
    );
  }
});

test('decrypts a message cut into parts where its parts lie (DECRYPT_IN_PLACE), cuts anywhere, tag included', () => {
  if (skip) return;
  const bytes = rng(8);
  for (const size of [0, 1, 17, 1200, 65519]) {
    const key = bytes(32);
    const nonce = bytes(12);
    const ad = bytes(32);
    const plain = bytes(size);
    for (let trial = 0; trial < 6; trial++) {
      const sealed = flat(native!.chaCha20Poly1305Encrypt(plain, nonce, ad, key));
      const list = asList(sealed, bytes);
      const parts = [...(list as unknown as Uint8ArrayList)];
      const out = native!.chaCha20Poly1305Decrypt(list, nonce, ad, key, DECRYPT_IN_PLACE);
      assert.equal(flat(out), plain, `size ${size}, trial ${trial}`);
      // no buffer of its own: every byte of the plaintext is a byte of the parts
      const views = out instanceof Uint8Array ? [out] : [...(out as unknown as Uint8ArrayList)];
      for (const v of views)
        assert.ok(
          parts.some((p) => p.buffer === v.buffer),
          `size ${size}: a view of the parts`,
        );
      // tampered: refused, the text bytes of the parts zeroed
      const bad = Uint8Array.from(sealed);
      bad[bad.length - 1]! ^= 1;
      const badList = asList(bad, bytes);
      assert.throws(
        () => native!.chaCha20Poly1305Decrypt(badList, nonce, ad, key, DECRYPT_IN_PLACE),
        (err: unknown) => err instanceof NoiseDecryptError,
      );
      assert.ok(
        bad.subarray(0, size).every((b) => b === 0),
        `size ${size}: no plaintext left after a bad tag`,
      );
    }
  }
});

test('in place: a message in many parts goes into a buffer of its own; the addon refuses overlaps and over 16 parts', () => {
  if (skip) return;
  const bytes = rng(9);
  const key = bytes(32);
  const nonce = bytes(12);
  const ad = bytes(32);
  const plain = bytes(3000);
  const sealed = flat(native!.chaCha20Poly1305Encrypt(plain, nonce, ad, key));
  const many = new Uint8ArrayList();
  for (let i = 0; i < sealed.length; i += 100) many.append(sealed.slice(i, i + 100));
  const out = native!.chaCha20Poly1305Decrypt(
    many as unknown as NoiseBytes,
    nonce,
    ad,
    key,
    DECRYPT_IN_PLACE,
  );
  assert.instance(out, Uint8Array);
  assert.equal(flat(out), plain);
  const aead = createRequire(import.meta.url)(
    fileURLToPath(new URL('../../build/Release/peermpc_aead.node', import.meta.url)),
  ) as { openInPlace(k: Uint8Array, n: Uint8Array, a: Uint8Array, parts: Uint8Array[]): boolean };
  const copy = Uint8Array.from(sealed);
  assert.throws(
    () =>
      aead.openInPlace(key, nonce, ad, [
        ...Array.from({ length: 17 }, (_, i) => copy.subarray(i, i + 1)),
        copy.subarray(17),
      ]),
    /more than 16 parts/,
  );
  assert.throws(
    () => aead.openInPlace(key, nonce, ad, [copy.subarray(0, 100), copy.subarray(50)]),
    /overlaps/,
  );
  assert.throws(() => aead.openInPlace(key, nonce, copy.subarray(0, 32), [copy]), /overlaps/);
  assert.equal(copy, sealed, 'a refused call writes nothing');
  assert.ok(aead.openInPlace(key, nonce, ad, [copy.subarray(0, 1000), copy.subarray(1000)]));
  assert.equal(copy.subarray(0, 3000), plain);
});

test('rejects a tampered ciphertext, tag, associated data or nonce, leaving no plaintext in dst', () => {
  if (skip) return;
  const bytes = rng(4);
  for (const size of [0, 100, 65519]) {
    const key = bytes(32);
    const nonce = bytes(12);
    const ad = bytes(32);
    const plain = bytes(size);
    const sealed = flat(native!.chaCha20Poly1305Encrypt(plain, nonce, ad, key));
    const flip = (x: Uint8Array, i: number): Uint8Array => {
      const y = Uint8Array.from(x);
      y[i]! ^= 0x01;
      return y;
    };
    const cases: [string, Uint8Array, Uint8Array, Uint8Array][] = [
      ['tag', flip(sealed, sealed.length - 1), nonce, ad],
      ['nonce', sealed, flip(nonce, 11), ad],
      ['ad', sealed, nonce, flip(ad, 0)],
      ['key', sealed, nonce, ad],
    ];
    if (size > 0) cases.push(['ciphertext', flip(sealed, size >> 1), nonce, ad]);
    for (const [what, ct, n, a] of cases) {
      const k = what === 'key' ? flip(key, 31) : key;
      const input = Uint8Array.from(ct);
      const dst = input.subarray(0, size);
      assert.throws(
        () => native!.chaCha20Poly1305Decrypt(input, n, a, k, dst),
        (err: unknown) => err instanceof NoiseDecryptError && err instanceof Error,
        `size ${size}: tampered ${what}`,
      );
      assert.ok(
        dst.every((b) => b === 0),
        `size ${size}: tampered ${what} leaves dst zeroed`,
      );
    }
    // failures leave nothing behind: the genuine message still opens
    assert.equal(
      flat(native!.chaCha20Poly1305Decrypt(sealed, nonce, ad, key)),
      plain,
      `size ${size}: genuine`,
    );
  }
  assert.throws(
    () =>
      native!.chaCha20Poly1305Decrypt(
        new Uint8Array(15),
        new Uint8Array(12),
        new Uint8Array(0),
        new Uint8Array(32),
      ),
    (err: unknown) => err instanceof NoiseDecryptError,
    'shorter than a tag',
  );
});

test('rejects keys and nonces of the wrong length with a clear error', () => {
  if (skip) return;
  const plain = new Uint8Array(10);
  const ad = new Uint8Array(0);
  const isRange = (what: RegExp) => (err: unknown) => err instanceof RangeError && what.test(err.message);
  assert.throws(
    () => native!.chaCha20Poly1305Encrypt(plain, new Uint8Array(12), ad, new Uint8Array(16)),
    isRange(/key must be 32 bytes, got 16/),
  );
  assert.throws(
    () => native!.chaCha20Poly1305Encrypt(plain, new Uint8Array(8), ad, new Uint8Array(32)),
    isRange(/nonce must be 12 bytes, got 8/),
  );
  assert.throws(
    () => native!.chaCha20Poly1305Decrypt(new Uint8Array(32), new Uint8Array(12), ad, new Uint8Array(31)),
    isRange(/key must be 32 bytes, got 31/),
  );
  assert.throws(
    () => native!.chaCha20Poly1305Decrypt(new Uint8Array(32), new Uint8Array(13), ad, new Uint8Array(32)),
    isRange(/nonce must be 12 bytes, got 13/),
  );
  assert.throws(
    () => native!.chaCha20Poly1305Encrypt(plain, new Uint8Array(12), ad, [1, 2] as unknown as Uint8Array),
    (err: unknown) => err instanceof TypeError && /key is not a Uint8Array/.test(err.message),
  );
});

test('ciphertexts handed out are never overwritten by later ones', () => {
  if (skip) return;
  const bytes = rng(5);
  const key = bytes(32);
  const nonce = bytes(12);
  const kept: [Uint8Array, Uint8Array][] = [];
  // several slabs' worth, in sizes that do not divide a slab
  for (let i = 0; i < 60; i++) {
    const out = native!.chaCha20Poly1305Encrypt(
      bytes(i % 7 === 0 ? 65519 : 1000 + i),
      nonce,
      new Uint8Array(0),
      key,
    );
    kept.push([out.subarray(), flat(out)]);
  }
  for (const [view, copy] of kept) assert.equal(Uint8Array.from(view), copy);
});

test('a parts array whose getter detaches an earlier part: refused or read whole, never freed memory', () => {
  if (skip) return;
  const addonPath = fileURLToPath(new URL('../../build/Release/peermpc_aead.node', import.meta.url));
  // in a child process (a use-after-free would crash it): a getter on parts[1] detaches parts[0]'s
  // buffer and lets the collector free it while the addon reads the array (review finding)
  const main = `
    const aead = require(${JSON.stringify(addonPath)});
    const key = new Uint8Array(32), nonce = new Uint8Array(12), ad = new Uint8Array(0);
    const N = 32768;
    const outcomes = new Set();
    for (const op of ['openInPlace', 'open', 'seal']) {
      for (let i = 0; i < 5; i++) {
        let part0 = new Uint8Array(new ArrayBuffer(N));
        const part1 = new Uint8Array(64);
        const parts = [part0];
        Object.defineProperty(parts, 1, { enumerable: true, get() {
          structuredClone(part0.buffer, { transfer: [part0.buffer] });
          part0 = null;
          gc();
          new Uint8Array(new ArrayBuffer(N)).fill(0xab);
          return part1;
        } });
        parts.length = 2;
        try {
          if (op === 'openInPlace') aead.openInPlace(key, nonce, ad, parts);
          else if (op === 'open') aead.open(key, nonce, ad, parts, new Uint8Array(N + 64 - 16));
          else aead.seal(key, nonce, ad, parts, new Uint8Array(N + 64 + 16));
          outcomes.add(op + ': returned');
        } catch (e) {
          outcomes.add(op + ': ' + e.name);
        }
      }
    }
    process.stdout.write(JSON.stringify([...outcomes]));`;
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', main], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.signal, null, `the process died of ${r.signal}: ${r.stderr}`);
  assert.is(r.status, 0, r.stderr);
  // parts[0] is read after the getter ran: detached, so empty; the lengths then disagree
  assert.equal(JSON.parse(r.stdout), ['openInPlace: returned', 'open: RangeError', 'seal: RangeError']);
});

test('PEERMPC_NOISE_CRYPTO=node selects Noise default', () => {
  const before = process.env.PEERMPC_NOISE_CRYPTO;
  try {
    process.env.PEERMPC_NOISE_CRYPTO = 'node';
    assert.is(fastNoiseCrypto(), undefined);
    assert.is(noiseCryptoName(), 'node:crypto');
  } finally {
    if (before === undefined) delete process.env.PEERMPC_NOISE_CRYPTO;
    else process.env.PEERMPC_NOISE_CRYPTO = before;
  }
  assert.is(noiseCryptoName(), skip ? 'node:crypto' : 'native');
});

const ECHO = '/peermpc-test/echo/1.0.0';

async function startNode(crypto: ICryptoInterface | undefined): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise({ crypto })],
    streamMuxers: [yamux()],
  });
}

/** Sends `data` in pieces of `piece` bytes, waiting for drain, then closes the writable end. */
async function sendAll(stream: Stream, data: Uint8Array, piece: number, signal: AbortSignal): Promise<void> {
  for (let i = 0; i < data.byteLength; i += piece) {
    if (!stream.send(data.subarray(i, i + piece))) await stream.onDrain({ signal });
  }
  await stream.close({ signal });
}

test('a native and a default node move 8 MB both ways over Noise intact', async () => {
  if (skip) return;
  const signal = AbortSignal.timeout(60_000);
  const nodes: Libp2p[] = [];
  try {
    // count what goes through the native functions, to be sure this node uses them
    const seen = { sealed: 0, opened: 0, inPlace: 0 };
    const counted: ICryptoInterface = {
      ...native!,
      chaCha20Poly1305Encrypt(plaintext, nonce, ad, k) {
        seen.sealed += plaintext.byteLength;
        return native!.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k);
      },
      chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst) {
        const out = native!.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst);
        seen.opened += out.byteLength;
        if (out === dst) seen.inPlace += out.byteLength;
        return out;
      },
    };
    const fast = await startNode(counted);
    nodes.push(fast);
    const plain = await startNode(undefined);
    nodes.push(plain);
    // the default node echoes: bytes go native -> default and default -> native
    await plain.handle(ECHO, async (stream) => {
      for await (const chunk of stream) {
        if (!stream.send(chunk)) await stream.onDrain({ signal });
      }
      await stream.close({ signal });
    });
    const data = rng(6)(1 << 20);
    const payload = new Uint8Array(8 << 20);
    for (let i = 0; i < 8; i++)
      payload.set(
        data.map((b) => b ^ i),
        i << 20,
      );
    const stream = await fast.dialProtocol(plain.getMultiaddrs()[0]!, ECHO, { signal });
    const hash = createHash('sha256');
    let received = 0;
    const reading = (async () => {
      for await (const chunk of stream) {
        hash.update(chunk.subarray());
        received += chunk.byteLength;
      }
    })();
    await sendAll(stream, payload, 200_000, signal);
    await reading;
    assert.is(received, payload.byteLength);
    assert.is(hash.digest('hex'), createHash('sha256').update(payload).digest('hex'));
    assert.ok(seen.sealed >= payload.byteLength, `native encrypted ${seen.sealed} bytes`);
    assert.ok(seen.opened >= payload.byteLength, `native decrypted ${seen.opened} bytes`);
    assert.ok(seen.inPlace > 0, 'Noise passed dst and it was used');
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
});

test.run();
