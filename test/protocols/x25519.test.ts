/**
 * X25519 of the session set-up: node:crypto and @noble/curves give the same bytes (RFC 7748's test
 * vector and random keys), both refuse low-order public keys, and a session still agrees on its
 * pair seeds with either.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { createMemoryChannels } from '../../src/protocols/memory-channel.js';
import { createSession } from '../../src/protocols/session-impl.js';
import { x25519Impl, x25519PublicKey, x25519Shared } from '../../src/protocols/x25519.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('node:crypto is the implementation on Node', () => {
  assert.is(x25519Impl, 'node');
});

test('RFC 7748 section 6.1 vector, both implementations', () => {
  const aliceSk = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
  const alicePk = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';
  const bobSk = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
  const bobPk = 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f';
  const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
  for (const impl of ['node', 'noble'] as const) {
    assert.is(toHex(x25519PublicKey(aliceSk, impl)), alicePk, impl);
    assert.is(toHex(x25519PublicKey(bobSk, impl)), bobPk, impl);
    assert.is(toHex(x25519Shared(aliceSk, hex(bobPk), impl)), shared, impl);
    assert.is(toHex(x25519Shared(bobSk, hex(alicePk), impl)), shared, impl);
  }
});

test('random keys: node:crypto and @noble/curves agree byte for byte', () => {
  for (let i = 0; i < 50; i++) {
    const a = new Uint8Array(randomBytes(32));
    const b = new Uint8Array(randomBytes(32));
    const pkB = x25519PublicKey(b, 'noble');
    assert.is(toHex(x25519PublicKey(a, 'node')), toHex(x25519PublicKey(a, 'noble')));
    assert.is(toHex(x25519Shared(a, pkB, 'node')), toHex(x25519Shared(a, pkB, 'noble')));
  }
});

test('low-order public keys are refused by both (no known pair seed can be forced)', () => {
  const sk = new Uint8Array(randomBytes(32));
  const lowOrder = [
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0100000000000000000000000000000000000000000000000000000000000000',
    'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  ];
  for (const impl of ['node', 'noble'] as const) {
    for (const pk of lowOrder) {
      assert.throws(() => x25519Shared(sk, hex(pk), impl), /low-order point/, `${impl} ${pk}`);
    }
  }
});

test('keys of the wrong length are RangeErrors naming the key', () => {
  assert.throws(() => x25519PublicKey(new Uint8Array(31)), /secret key must be 32 bytes/);
  assert.throws(() => x25519Shared(new Uint8Array(32), new Uint8Array(33)), /public key must be 32 bytes/);
});

test('a session refuses a party whose setup key is a low-order point, naming it', async () => {
  const [a, b] = createMemoryChannels(2);
  const honest = createSession({ id: 'low-order', channel: a!, timeouts: { stepMs: 5_000 } });
  await b!.send(0, 1, new Uint8Array(32)); // the all-zero u-coordinate as party 1's setup key
  const err = await honest.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(err, RangeError);
  assert.match((err as Error).message, /party 1 sent a setup key that gives no shared secret/);
});

test.run();
