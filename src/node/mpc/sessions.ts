/**
 * MPC sessions over libp2p: the `/peermpc/mpc/1.0.0` handler and `openSession`.
 *
 * Handshake, per pair of parties i < j (party i dials party j):
 * 1. i opens a stream and sends `hello(job, from=i, to=j, parties, digest of the party list)`;
 * 2. j answers `ready` if it has an open session for that job whose party i is the remote peer,
 *    whose party j is itself, whose party list has the same digest and which has no link to i yet;
 *    otherwise `abort` with a code, and closes the stream. The dialler retries `unknownJob` (the
 *    other party may not have opened its session yet) until the connect timeout; any other code
 *    fails the open.
 * Nothing is kept for a job this peer has not opened, so a stranger's streams cost nothing.
 * A stream that does not start with a valid hello within the handshake timeout is closed.
 */
import '../../polyfills.js';
import { createHash } from 'node:crypto';
import type { Connection, Logger, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Channel } from '../../protocols/channel.js';
import { tuneNativeHeap } from '../../tensor/kernels/native.js';
import { tuneGcForTransfers } from '../gc-tuning.js';
import { normalisePeerId } from '../access.js';
import { SessionOpenError } from '../errors.js';
import type { DialProtocol } from '../dial-lookup.js';
import type { PeerNode } from '../libp2p-node.js';
import type { AbortOptions, OpenSessionInput } from '../types.js';
import {
  ABORT_CODE,
  encodeAbort,
  encodeHello,
  encodeJobId,
  encodeReady,
  FrameError,
  type AbortCode,
  type Frame,
} from './frame.js';
import { FrameLink } from './frame-link.js';
import { defaultPeerLimits, PeerBudget, type InboundLimits } from './inbound.js';
import { Libp2pChannel } from './libp2p-channel.js';
import { mpcRelease, type IdleRelease } from './release.js';

/** Protocol id of MPC streams. */
export const MPC_PROTOCOL = '/peermpc/mpc/1.0.0';

/** Settings of the session manager. */
export interface SessionManagerInit {
  /** The libp2p node (streams; dials too when `dial` is not given). */
  node: PeerNode;
  /**
   * Opens an MPC stream to a party. Default: the node's `dialProtocol`; a peer passes one that
   * looks a party's addresses up when they have gone stale (dial-lookup.ts).
   */
  dial?: DialProtocol;
  /** This peer's id. */
  self: string;
  /** Whether the access lists admit `peerId`. */
  isAllowed: (peerId: string) => boolean;
  /** Like `isAllowed`, for an inbound stream: also reports a refusal (default `isAllowed`). */
  admit?: (peerId: string) => boolean;
  /** Logger (job ids, party indices, steps and byte counts only). */
  log: Logger;
  /** Largest payload of a data frame. */
  maxPayload: number;
  /** Time a new inbound stream has to send its hello (ms). */
  handshakeMs?: number;
  /**
   * Most payload bytes and messages one remote peer may have buffered here (sent, not yet
   * received) over all its sessions. Default {@link defaultPeerLimits}: twice one session's bound.
   */
  inboundPerPeer?: Partial<InboundLimits>;
  /**
   * Counts this manager's sessions with the others of the process, to collect the garbage of
   * their jobs once none is open (release.ts). Default: the process's {@link mpcRelease}.
   */
  release?: IdleRelease;
}

interface OpenJob {
  parties: string[];
  self: number;
  digest: Uint8Array;
  channel: Libp2pChannel;
}

const DEFAULTS = { connectMs: 10_000, stepMs: 30_000, jobMs: 0 };

/** SHA-256 of the ordered party list: both ends of a link must agree on it. */
export function partiesDigest(parties: readonly string[]): Uint8Array {
  return new Uint8Array(createHash('sha256').update(parties.join('\n')).digest());
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/** Opens MPC sessions and serves the MPC protocol. */
export class SessionManager {
  private readonly jobs = new Map<string, OpenJob>();
  private readonly handshakeMs: number;
  /** What each remote peer has buffered here, over all its sessions. */
  private readonly budget: PeerBudget;

  constructor(private readonly init: SessionManagerInit) {
    tuneNativeHeap(); // large messages reuse freed memory instead of page-faulting fresh mmaps
    tuneGcForTransfers(); // fewer full collections while large messages arrive
    this.handshakeMs = init.handshakeMs ?? 5_000;
    this.budget = new PeerBudget({ ...defaultPeerLimits(init.maxPayload), ...init.inboundPerPeer });
  }

  /** Number of open sessions. */
  get size(): number {
    return this.jobs.size;
  }

  /** Aborts every open session (at stop). */
  async closeAll(): Promise<void> {
    const channels = [...this.jobs.values()].map((j) => j.channel);
    for (const c of channels) c.abort(new Error('peer is shutting down'));
    await Promise.all(channels.map((c) => c.close()));
  }

  /** The stream handler of {@link MPC_PROTOCOL}. */
  readonly handler = (stream: Stream, connection: Connection): void => {
    const remote = connection.remotePeer.toString();
    const link = new FrameLink(stream, remote, this.init.maxPayload, this.init.log);
    if (!(this.init.admit ?? this.init.isAllowed)(remote)) {
      this.init.log('mpc stream from denied peer %s refused', remote);
      void link.closeWith(encodeAbort('?', ABORT_CODE.denied, -1, -1, 'access denied'));
      return;
    }
    const timer = setTimeout(() => {
      this.init.log('mpc stream from %s: no hello within %d ms', remote, this.handshakeMs);
      link.abort(new Error('handshake timeout'));
    }, this.handshakeMs);
    link.setHandler({
      onFrame: (f) => {
        clearTimeout(timer);
        link.detach(); // later frames wait for the channel
        this.onHello(link, remote, f);
      },
      onEnd: () => clearTimeout(timer),
    });
  };

  private refuse(link: FrameLink, remote: string, jobId: string, code: AbortCode, why: string): void {
    this.init.log('mpc stream from %s for job %s refused: %s', remote, jobId, why);
    void link.closeWith(encodeAbort(safeJobId(jobId), code, -1, -1, why));
  }

  private onHello(link: FrameLink, remote: string, f: Frame): void {
    if (f.kind !== 'hello') {
      link.fail(new FrameError('bad-field', `expected hello, got ${f.kind}`), safeJobId(f.jobId));
      this.init.log('mpc stream from %s: first frame is %s, not hello', remote, f.kind);
      return;
    }
    const job = this.jobs.get(f.jobId);
    if (job === undefined) return this.refuse(link, remote, f.jobId, ABORT_CODE.unknownJob, 'unknown job');
    if (
      f.parties !== job.parties.length ||
      f.to !== job.self ||
      job.parties[f.from] !== remote ||
      f.from >= f.to
    ) {
      return this.refuse(
        link,
        remote,
        f.jobId,
        ABORT_CODE.notAParty,
        'sender is not the expected party of this job',
      );
    }
    if (!sameBytes(f.digest, job.digest)) {
      return this.refuse(link, remote, f.jobId, ABORT_CODE.partiesMismatch, 'party list differs');
    }
    if (job.channel.hasLink(f.from) || job.channel.isDone) {
      return this.refuse(link, remote, f.jobId, ABORT_CODE.notAParty, 'link already open or session over');
    }
    try {
      link.send(encodeReady(f.jobId));
    } catch (err) {
      link.abort(err as Error);
      return;
    }
    this.init.log.trace('job %s: accepted link from party %d', f.jobId, f.from);
    job.channel.attach(f.from, link);
  }

  /** Opens this peer's channel of a session (see {@link Peer.openSession}). @throws {SessionOpenError} */
  async open(input: OpenSessionInput, options: AbortOptions = {}): Promise<Channel> {
    const { jobId } = input;
    try {
      encodeJobId(jobId);
    } catch (err) {
      throw new SessionOpenError(jobId, (err as Error).message);
    }
    let parties: string[];
    try {
      parties = input.parties.map(normalisePeerId);
    } catch (err) {
      throw new SessionOpenError(jobId, (err as Error).message);
    }
    if (parties.length < 2 || parties.length > 0xfffe)
      throw new SessionOpenError(jobId, 'needs 2..65534 parties');
    if (new Set(parties).size !== parties.length)
      throw new SessionOpenError(jobId, 'a peer appears twice in the party list');
    const self = parties.indexOf(this.init.self);
    if (self < 0) throw new SessionOpenError(jobId, 'this peer is not one of the parties');
    if (this.jobs.has(jobId)) throw new SessionOpenError(jobId, 'a session with this job id is already open');
    for (const p of parties)
      if (!this.init.isAllowed(p))
        throw new SessionOpenError(jobId, `party ${p} is denied by the access lists`);
    const t = { ...DEFAULTS, ...input.timeouts };
    const release = this.init.release ?? mpcRelease;
    const channel = new Libp2pChannel({
      jobId,
      parties: parties.length,
      self,
      stepMs: t.stepMs,
      jobMs: t.jobMs,
      maxPayload: this.init.maxPayload,
      peerBudget: this.budget,
      log: this.init.log,
      onDone: () => {
        if (this.jobs.get(jobId)?.channel === channel) this.jobs.delete(jobId);
        release.closed();
      },
    });
    release.opened(); // onDone, once whether the session closes or fails, balances it
    const job: OpenJob = { parties, self, digest: partiesDigest(parties), channel };
    this.jobs.set(jobId, job);
    const signal = AbortSignal.any([
      AbortSignal.timeout(t.connectMs),
      ...(options.signal ? [options.signal] : []),
    ]);
    try {
      const dials: Promise<void>[] = [];
      for (let j = self + 1; j < parties.length; j++) dials.push(this.dialParty(job, j, signal));
      await Promise.all([...dials, channel.whenLinked(signal)]);
    } catch (err) {
      channel.abort(err as Error);
      await channel.close();
      const reason =
        signal.aborted && !options.signal?.aborted
          ? `not all parties connected within ${t.connectMs} ms`
          : (err as Error).message;
      throw new SessionOpenError(jobId, reason, { cause: err });
    }
    this.init.log('job %s: session open as party %d of %d', jobId, self, parties.length);
    return channel;
  }

  private readonly dialDirect: DialProtocol = (peer, protocol, options) =>
    this.init.node.dialProtocol(peer, protocol, options);

  /** Dials party `j`, retrying while it does not know the job yet. */
  private async dialParty(job: OpenJob, j: number, signal: AbortSignal): Promise<void> {
    const jobId = job.channel.jobId;
    const peer = peerIdFromString(job.parties[j]!);
    let delay = 20;
    for (;;) {
      signal.throwIfAborted();
      let stream: Stream;
      try {
        stream = await (this.init.dial ?? this.dialDirect)(peer, MPC_PROTOCOL, { signal });
      } catch (err) {
        if (signal.aborted) throw err;
        // Only a relayed connection with limits (bytes or time) leads to this party: MPC streams
        // are not opened on those (a session would be cut mid-job), and retrying cannot help.
        if ((err as Error).name === 'LimitedConnectionError')
          throw new Error(
            `party ${j} (${job.parties[j]}) is reachable only through a relay that limits relayed ` +
              'connections (bytes or time); a session needs a direct connection or a relay without ' +
              'limits (peermpc relays have none unless their owner sets them)',
            { cause: err },
          );
        this.init.log.trace('job %s: dial party %d failed: %s; retrying', jobId, j, (err as Error).message);
        await sleep(delay, signal);
        delay = Math.min(delay * 2, 500);
        continue;
      }
      const link = new FrameLink(stream, job.parties[j]!, this.init.maxPayload, this.init.log);
      const answer = await new Promise<Frame | undefined>((resolve) => {
        const onAbort = (): void => resolve(undefined);
        signal.addEventListener('abort', onAbort, { once: true });
        link.setHandler({
          onFrame: (f) => {
            link.detach(); // frames after the answer wait for the channel
            signal.removeEventListener('abort', onAbort);
            resolve(f);
          },
          onEnd: () => {
            signal.removeEventListener('abort', onAbort);
            resolve(undefined);
          },
        });
        try {
          link.send(encodeHello(jobId, job.self, j, job.parties.length, job.digest));
        } catch {
          resolve(undefined); // the stream is already unwritable: as no answer, dial again
        }
      });
      if (answer?.kind === 'ready' && answer.jobId === jobId) {
        job.channel.attach(j, link);
        return;
      }
      if (answer === undefined || (answer.kind === 'abort' && answer.code === ABORT_CODE.unknownJob)) {
        link.abort(new Error('retrying'));
        if (signal.aborted) signal.throwIfAborted();
        await sleep(delay, signal);
        delay = Math.min(delay * 2, 500);
        continue;
      }
      link.abort(new Error('handshake refused'));
      const why = answer.kind === 'abort' ? answer.reason : `unexpected ${answer.kind} frame`;
      throw new Error(`party ${j} refused the session: ${why}`);
    }
  }
}

function safeJobId(jobId: string): string {
  try {
    encodeJobId(jobId);
    return jobId;
  } catch {
    return '?'; // not encodable in a frame: the refusal names no job
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
