/**
 * Bytes that arrive with the last Noise handshake message (review finding, 2026-12-07): a real
 * Noise initiator and responder over an in-memory connection pair, the responder wrapped by
 * leanNoise with the native crypto; a relay in the middle hands the responder the last handshake
 * message together with the first half of the first transport message in one read, and the rest
 * later. The responder must read what a plain Noise responder reads (before the fix, leanNoise
 * dropped the half message Noise's own decoder held, then failed the next tag: a silent hang).
 */
import '../../src/polyfills.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { noise } from '@chainsafe/libp2p-noise';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { ConnectionEncrypter, MessageStream, MultiaddrConnection } from '@libp2p/interface';
import { defaultLogger } from '@libp2p/logger';
import { multiaddrConnectionPair } from '@libp2p/utils';
import { Uint8ArrayList } from 'uint8arraylist';
import { fastNoiseCrypto } from '../../src/node/noise-crypto.js';
import { leanNoise } from '../../src/node/noise-tuning.js';

const crypto = fastNoiseCrypto();

async function encrypter(lean: boolean): Promise<ConnectionEncrypter> {
  const components = {
    privateKey: await generateKeyPair('Ed25519'),
    logger: defaultLogger(),
    upgrader: { getStreamMuxers: () => new Map() },
  };
  const factory = lean ? leanNoise(noise({ crypto }), { crypto }) : noise({ crypto });
  return (factory as (c: unknown) => ConnectionEncrypter)(components);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What the responder receives of 'hello' then 200 000 patterned bytes; its error if it failed. */
async function exchange(lean: boolean): Promise<{ bytes: Uint8Array; error: unknown }> {
  const initiator = await encrypter(false);
  const responder = await encrypter(lean);
  const [toRelay, relayIn] = multiaddrConnectionPair();
  const [relayOut, atResponder] = multiaddrConnectionPair();
  relayOut.addEventListener('message', (e) => relayIn.send(e.data)); // responder -> initiator as is
  // initiator -> responder, message by message (u16 length prefixes): the third (the first
  // transport message) goes half with the second (the last handshake message), half 50 ms later
  const pending = new Uint8ArrayList();
  const messages: Uint8Array[] = [];
  let queue = Promise.resolve();
  const later = (ms: number, bytes: Uint8Array): void => {
    queue = queue.then(() => sleep(ms)).then(() => void relayOut.send(bytes));
  };
  relayIn.addEventListener('message', (e) => {
    pending.append(e.data);
    while (pending.byteLength >= 2 && pending.byteLength >= 2 + pending.getUint16(0)) {
      const n = 2 + pending.getUint16(0);
      messages.push(pending.subarray(0, n));
      pending.consume(n);
      const i = messages.length;
      if (i === 1) relayOut.send(messages[0]!);
      else if (i === 3) {
        const first = messages[2]!;
        const half = first.length >> 1;
        relayOut.send(new Uint8ArrayList(messages[1]!, first.subarray(0, half)).subarray());
        later(50, first.subarray(half));
      } else if (i > 3) later(0, messages[i - 1]!);
    }
  });
  const secured = responder.secureInbound(atResponder as unknown as MessageStream);
  const out = await initiator.secureOutbound(toRelay as unknown as MultiaddrConnection);
  const payload = new Uint8Array(200_000).map((_, i) => (i * 7 + 3) & 255);
  out.connection.send(new TextEncoder().encode('hello'));
  out.connection.send(payload);
  const inbound = await secured;
  const got = new Uint8ArrayList();
  let error: unknown;
  inbound.connection.addEventListener('message', (e) => got.append(e.data));
  inbound.connection.addEventListener('close', (e) => (error = e.error));
  for (let i = 0; i < 100 && got.byteLength < 5 + payload.length && error === undefined; i++) await sleep(20);
  await queue;
  return { bytes: got.subarray(), error };
}

test('leanNoise reads a transport message cut across the last handshake read as plain Noise does', async () => {
  if (crypto === undefined) return; // no native crypto: leanNoise leaves reads as Noise does them
  const plain = await exchange(false);
  const lean = await exchange(true);
  assert.is(plain.error, undefined);
  assert.is(plain.bytes.length, 5 + 200_000);
  assert.is(lean.error, undefined, String(lean.error));
  assert.equal(lean.bytes, plain.bytes);
});

test.run();
