/** An abort blames the party that caused it: itself, or the party its reason already names. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ChannelClosedError,
  culpritOf,
  PartyAbortedError,
  StepTimeoutError,
} from '../../src/protocols/channel.js';
import { createMemoryChannels } from '../../src/protocols/memory-channel.js';

test('culpritOf: the other party a reason names, else self', () => {
  assert.is(culpritOf(new PartyAbortedError(2, 5, 'gone'), 1, 3), 2);
  assert.is(culpritOf(new StepTimeoutError(0, 5, 100), 1, 3), 0);
  assert.is(culpritOf(new Error('own failure'), 1, 3), 1);
  assert.is(culpritOf(new ChannelClosedError(2, 5, 'closed'), 1, 3), 1);
  assert.is(culpritOf(new PartyAbortedError(1, 5, 'names self'), 1, 3), 1);
  assert.is(culpritOf(new PartyAbortedError(7, 5, 'out of range'), 1, 3), 1);
});

test('memory channels: a party giving up because of another passes the blame on', async () => {
  const chans = createMemoryChannels(3);
  const waiting = chans[0]!.recv(1, 4).catch((e: unknown) => e);
  chans[1]!.abort(new PartyAbortedError(2, 4, 'it vanished'));
  const err = await waiting;
  assert.instance(err, PartyAbortedError);
  assert.is((err as PartyAbortedError).party, 2);
  const own = createMemoryChannels(2);
  const w2 = own[0]!.recv(1, 0).catch((e: unknown) => e);
  own[1]!.abort(new Error('local bug'));
  assert.is(((await w2) as PartyAbortedError).party, 1);
});

test.run();
