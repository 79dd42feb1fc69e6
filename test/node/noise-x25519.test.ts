/**
 * Noise's X25519 with raw key imports (noise-x25519.ts): the same shared secrets as Noise's default,
 * from plain and multi-part keys; wrong sizes and low-order points refused as by the default.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto';
import { randomBytes } from 'node:crypto';
import { Uint8ArrayList } from 'uint8arraylist';
import { withFastX25519 } from '../../src/node/noise-x25519.js';

type Key = Parameters<typeof defaultCrypto.generateX25519SharedKey>[0];

test('same shared secret as the default, both ways, plain and multi-part keys', () => {
  const fast = withFastX25519(defaultCrypto);
  assert.is.not(fast.generateX25519SharedKey, defaultCrypto.generateX25519SharedKey, 'the self-test passed');
  for (let i = 0; i < 50; i++) {
    const a = defaultCrypto.generateX25519KeyPairFromSeed(randomBytes(32));
    const b = defaultCrypto.generateX25519KeyPair();
    const expected = Buffer.from(defaultCrypto.generateX25519SharedKey(a.privateKey, b.publicKey));
    assert.ok(expected.equals(Buffer.from(fast.generateX25519SharedKey(a.privateKey, b.publicKey))));
    assert.ok(expected.equals(Buffer.from(fast.generateX25519SharedKey(b.privateKey, a.publicKey))));
    const split = (k: Uint8Array) => new Uint8ArrayList(k.subarray(0, 7), k.subarray(7)) as unknown as Key;
    assert.ok(
      expected.equals(Buffer.from(fast.generateX25519SharedKey(split(a.privateKey), split(b.publicKey)))),
    );
  }
});

test('wrong key sizes and an all-zero (low-order) public key are refused', () => {
  const fast = withFastX25519(defaultCrypto);
  const a = defaultCrypto.generateX25519KeyPair();
  assert.throws(() => fast.generateX25519SharedKey(a.privateKey.subarray(0, 31), a.publicKey), /32 bytes/);
  assert.throws(() => fast.generateX25519SharedKey(a.privateKey, new Uint8Array(33)), /32 bytes/);
  // X25519 with the point 0 gives the all-zero secret, which OpenSSL refuses for either import
  assert.throws(() => defaultCrypto.generateX25519SharedKey(a.privateKey, new Uint8Array(32)));
  assert.throws(() => fast.generateX25519SharedKey(a.privateKey, new Uint8Array(32)));
});

test('PEERMPC_NOISE_CRYPTO=node keeps the default', () => {
  const before = process.env.PEERMPC_NOISE_CRYPTO;
  process.env.PEERMPC_NOISE_CRYPTO = 'node';
  try {
    assert.is(withFastX25519(defaultCrypto), defaultCrypto);
  } finally {
    if (before === undefined) delete process.env.PEERMPC_NOISE_CRYPTO;
    else process.env.PEERMPC_NOISE_CRYPTO = before;
  }
});

test.run();
