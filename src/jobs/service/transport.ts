/**
 * What the job service needs from the network: request/reply messages to a peer by id (the libp2p
 * implementation lives in src/node/jobs-protocol.ts), and a channel for a job's MPC session (the
 * peer's `openSession`). Tests use the in-memory implementations in memory-transport.ts.
 */
import type { Channel } from '../../protocols/channel.js';
import type { JobsMessage, JobsReply } from './messages.js';

/** Handles a message from an authenticated peer; resolves with the reply. */
export type JobsHandler = (message: unknown, from: string) => Promise<JobsReply>;

/** Request/reply messaging between peers. */
export interface JobsTransport {
  /** Sends `message` to `peerId` and resolves with its reply; rejects when it cannot be delivered. */
  request(peerId: string, message: JobsMessage, options?: { signal?: AbortSignal }): Promise<JobsReply>;
  /** Installs the handler of incoming messages. */
  setHandler(handler: JobsHandler): void;
}

/** Timeouts of a job's MPC session, in ms. */
export interface SessionTimeoutsMs {
  /** Opening the pairwise streams. */
  connectMs: number;
  /** Waiting for one message of one step. */
  stepMs: number;
  /** The whole session. */
  sessionMs: number;
}

/** Opens this peer's channel of a job's MPC session (every party calls it with the same arguments). */
export type OpenChannel = (
  input: { jobId: string; parties: string[]; timeouts: SessionTimeoutsMs },
  options: { signal?: AbortSignal },
) => Promise<OpenedChannel>;

/** How this peer reached another party: a direct connection, or through a relay. */
export type LinkKind = 'direct' | 'relayed';

/** An opened channel, with how each other party was reached when the transport knows it. */
export type OpenedChannel = Channel & {
  /**
   * By peer id: `direct`, or `relayed` when only a relayed connection led to that party. (Not
   * `links`: channel implementations have fields of their own, which this must not overwrite.)
   */
  readonly linkKinds?: Readonly<Record<string, LinkKind>>;
};
