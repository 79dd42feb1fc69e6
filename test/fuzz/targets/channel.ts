/**
 * The receiving side of an MPC session (src/node/mpc/frame-link.ts and libp2p-channel.ts): the
 * bytes another party sends on its stream, in chunks, through the real FrameLink and Libp2pChannel
 * over a fake stream; receives pending before and after. Nothing may throw out of the stream's
 * event handlers, and every receive must settle with a ChannelError once the channel closes.
 */
import type { Stream } from '@libp2p/interface';
import { FrameLink } from '../../../src/node/mpc/frame-link.js';
import * as F from '../../../src/node/mpc/frame.js';
import { Libp2pChannel } from '../../../src/node/mpc/libp2p-channel.js';
import { ChannelError } from '../../../src/protocols/channel.js';
import { bytesTarget, expectErrors } from '../lib/target.js';
import { chunksOf } from './binary.js';
import { FakeStream, silentLog } from '../../node/fake-stream.js';

const JOB = 'job-fuzz-channel';
const MAX_PAYLOAD = 4096;

const noop = (): void => {};
const log = silentLog;

/** Receives `data` from party 1 on party 0 of a 3-party session. */
async function receive(data: Uint8Array): Promise<string[]> {
  const channel = new Libp2pChannel({
    jobId: JOB,
    parties: 3,
    self: 0,
    stepMs: 60_000,
    jobMs: 0,
    maxPayload: MAX_PAYLOAD,
    log,
    onDone: noop,
  });
  const stream = new FakeStream();
  const link = new FrameLink(stream as unknown as Stream, 'party-1', MAX_PAYLOAD, log);
  channel.attach(1, link);
  const pending = [channel.recv(1, 0), channel.recv(1, 1)];
  for (const chunk of chunksOf(data)) stream.emit('message', { data: chunk });
  for (const step of [2, 3]) {
    try {
      pending.push(channel.recv(1, step));
    } catch (err) {
      pending.push(Promise.reject(err as Error));
    }
  }
  if (data.length % 3 === 0) stream.emit('end', {});
  await channel.close();
  const settled = await Promise.allSettled(pending);
  return settled.map((s) => {
    if (s.status === 'fulfilled') return `${s.value.length} bytes`;
    if (!(s.reason instanceof ChannelError)) throw s.reason;
    return s.reason.name;
  });
}

const data = (step: number, n: number): Uint8Array =>
  F.encodeData(JOB, step, new Uint8Array(n).fill(step + 1));

/** See the module comment. */
export const channelTarget = bytesTarget({
  name: 'channel',
  summary: 'MPC stream bytes through FrameLink + Libp2pChannel (recv before/after, close)',
  seeds: () => [
    Buffer.concat([data(0, 8), data(1, 16), data(2, 8), data(3, 0)]),
    Buffer.concat([data(1, 8), data(0, 8)]),
    Buffer.concat([data(0, 8), data(0, 8)]),
    Buffer.concat([data(5, MAX_PAYLOAD), data(6, MAX_PAYLOAD), data(7, 100)]),
    Buffer.concat([data(0, 8), F.encodeAbort(JOB, F.ABORT_CODE.aborted, 2, 1, 'timeout')]),
    F.encodeReady(JOB),
    F.encodeData('other-job', 0, new Uint8Array(8)),
    F.encodeHello(JOB, 1, 0, 3, new Uint8Array(32)),
  ],
  run: receive,
  expected: expectErrors(ChannelError),
});
