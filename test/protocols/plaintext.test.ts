/**
 * The plaintext reference protocol passes the conformance suite (minus privacy, which it does not
 * have), with one and with two compute parties; and the privacy check detects its leaks, which
 * shows the check can fail.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PlaintextProtocol } from '../../src/protocols/plaintext/index.js';
import type { Protocol, Share } from '../../src/protocols/protocol.js';
import type { Session } from '../../src/protocols/session.js';
import { runConformance } from './conformance.js';
import { byteChiSquare, chiSquareCritical } from './conformance-helpers.js';
import { receivedUnder } from './conformance-security.js';

const make = (s: Session): Protocol<Share> => new PlaintextProtocol(s) as Protocol<Share>;

runConformance('plaintext, 3 parties, party 0 computes', make, 3, { privacy: false });
runConformance(
  'plaintext, 4 parties, parties 1 and 3 compute',
  (s) => new PlaintextProtocol(s, { computeParties: [1, 3] }) as Protocol<Share>,
  4,
  { privacy: false, only: ['input', 'mul and matmul', 'reveal', 'failure'] },
);

test('the privacy check flags the plaintext protocol: an input reaches party 0 in the clear', async () => {
  const res = await receivedUnder(
    3,
    make,
    async (_p, secret) => secret([64]),
    async (p, value) => {
      for (let i = 0; i < 20; i++) await p.input(2, p.session.self === 2 ? value : undefined, [64]);
    },
  );
  const flagged = res.filter(({ perParty }) => byteChiSquare(perParty[0]!).chi2 >= chiSquareCritical(255));
  assert.is(flagged.length, res.length, 'every secret pattern must be detected');
});

test.run();
