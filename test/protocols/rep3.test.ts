/**
 * rep3 passes the conformance suite with its three compute parties alone, and with a fourth
 * party (an owner and result recipient that holds no shares) and a non-default role order.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Protocol, Share } from '../../src/protocols/protocol.js';
import { rep3Protocol } from '../../src/protocols/rep3/index.js';
import { simulate } from '../../src/protocols/simulate.js';
import { runConformance } from './conformance.js';

runConformance('rep3, 3 parties', (s) => rep3Protocol(s) as Protocol<Share>, 3);
runConformance(
  'rep3, 4 parties, compute parties [3, 1, 0]',
  (s) => rep3Protocol(s, { computeParties: [3, 1, 0] }) as Protocol<Share>,
  4,
);

test('rep3 rejects a wrong set of compute parties', async () => {
  await simulate(2, async (s) => {
    assert.throws(() => rep3Protocol(s), /three distinct compute parties/);
  });
});

test.run();
