/**
 * An in-memory network for job services in one process (tests, simulations): request/reply by peer
 * id (messages go through JSON, as on the wire) and MPC channels from the memory channel, created
 * when the first party of a job opens its session. Peers can be taken down to test failures.
 */
import {
  createMemoryChannels,
  type MemoryChannel,
  type MemoryNetworkOptions,
} from '../../protocols/memory-channel.js';
import type { JobsHandler, JobsTransport, OpenChannel } from './transport.js';

/** A set of peers wired in memory. */
export class MemoryJobsNetwork {
  private readonly handlers = new Map<string, JobsHandler>();
  private readonly sessions = new Map<string, { parties: string[]; channels: MemoryChannel[] }>();
  /** Peers that neither answer messages nor open sessions. */
  readonly down = new Set<string>();

  constructor(
    /** Link shaping and taps of every session's channels. */
    private readonly network: MemoryNetworkOptions = {},
  ) {}

  /** The transport of peer `self`. */
  transport(self: string): JobsTransport {
    return {
      request: async (peerId, message) => {
        const handler = this.handlers.get(peerId);
        if (handler === undefined || this.down.has(peerId)) throw new Error(`peer ${peerId} is unreachable`);
        if (this.down.has(self)) throw new Error('this peer is down');
        return JSON.parse(
          JSON.stringify(await handler(JSON.parse(JSON.stringify(message)) as unknown, self)),
        ) as Awaited<ReturnType<JobsHandler>>;
      },
      setHandler: (handler) => {
        this.handlers.set(self, handler);
      },
    };
  }

  /** The channel opener of peer `self`. */
  openChannel(self: string): OpenChannel {
    return async ({ jobId, parties }) => {
      if (this.down.has(self)) throw new Error('this peer is down');
      let s = this.sessions.get(jobId);
      if (s === undefined) {
        s = { parties: [...parties], channels: createMemoryChannels(parties.length, this.network) };
        this.sessions.set(jobId, s);
      }
      if (s.parties.join() !== parties.join()) throw new Error(`parties of job ${jobId} differ`);
      const i = parties.indexOf(self);
      if (i < 0) throw new Error('this peer is not a party');
      return s.channels[i]!;
    };
  }

  /** The channels of a job's session, when one was opened (tests). */
  channels(jobId: string): MemoryChannel[] | undefined {
    return this.sessions.get(jobId)?.channels;
  }

  /** Ids of the jobs whose sessions were opened, in order. */
  sessionIds(): string[] {
    return [...this.sessions.keys()];
  }

  /** Number of sessions opened so far. */
  get sessionCount(): number {
    return this.sessions.size;
  }
}
