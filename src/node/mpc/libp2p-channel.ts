/**
 * The {@link Channel} of one MPC session over libp2p: one {@link FrameLink} (stream) per other party.
 *
 * - send: one data frame `(job, step, payload)`, or for a payload above the frame limit (at most
 *   MAX_MESSAGE_PAYLOADS of them) back-to-back part frames the receiver reassembles
 *   (outbound.ts, message-parts.ts); resolves once the stream accepted it, awaiting `drain` when the stream's
 *   buffer is full (back-pressure); that wait is bounded by the receiver's liveness as a recv is
 *   (drain-watch.ts: a SendTimeoutError when it sent nothing, not even a keep-alive, for the step
 *   timeout).
 * - recv: resolves with the payload of `(from, step)` whether it arrived before or after the call;
 *   rejects with a StepTimeoutError naming `from` and the step when `from` sent nothing at all
 *   (not even a keep-alive) for the step timeout, or when its keep-alives show it stayed at one
 *   step for STALL_STEPS step timeouts (alive but stuck); checked once more after pending I/O is
 *   read, so a party whose own event loop was blocked does not blame a peer whose frames wait in
 *   the socket. Rejects at once with a RangeError for a step already received from `from` (see
 *   below) or already awaited.
 * - keep-alives: four times per step timeout every party sends every linked party an `alive`
 *   frame carrying the furthest step it sent or awaited, so a busy party is never taken for a
 *   dead one (they are not buffered and cost no budget).
 * - inbound (inbound.ts): a frame with no `recv` waiting is buffered until one comes. Each
 *   (session, party) remembers the steps it consumed (a low-water mark and a 16384-step window; a
 *   never-received step more than a window below the highest consumed one counts as consumed).
 *   A second frame for a step still buffered or already consumed fails the session with a
 *   DuplicateFrameError; a frame that would pass the session's bound (4 maximal payloads, 65536
 *   messages per party) or the peer's budget over all its sessions with this peer
 *   (`peerBudget`, shared by a SessionManager) fails it with an InboundLimitError. Both name the
 *   party and its peer id, and are PartyAbortedErrors, so the sender is blamed as culprit.
 * - failure: a local `abort`, an abort frame, a reset stream (disconnect), a malformed, foreign or
 *   oversized frame, or an inbound refusal above fails the whole session on this party: buffered
 *   frames are dropped (their bytes given back to the budget), every pending and future `recv`
 *   rejects (a PartyAbortedError naming the party at fault, or one of its subclasses above, or a
 *   ChannelClosedError after a local abort), an abort frame naming the party at fault goes to
 *   every other party, and the culprit's own stream is aborted.
 * - job timeout: the session aborts itself when it outlives `jobMs`.
 *
 * Never logs payloads: job id, party indices, steps and byte counts only.
 */
import '../../polyfills.js';
import type { Logger } from '@libp2p/interface';
import { setMaxListeners } from 'node:events';
import {
  ChannelClosedError,
  ChannelError,
  culpritOf,
  emptyStats,
  PartyAbortedError,
  StepTimeoutError,
  type AbortOptions,
  type Channel,
  type ChannelStats,
} from '../../protocols/channel.js';
import { ABORT_CODE, encodeAbort, encodeAlive, encodeJobId, type Frame } from './frame.js';
import { checkMessageSize, writeMessage } from './outbound.js';
import type { FrameLink, LinkEnd } from './frame-link.js';
import { defaultPeerLimits, PeerBudget, sessionLimits, type Refusal } from './inbound.js';
import { PartyInbound, type Waiter } from './party-inbound.js';
import { aliveIntervalMs, Liveness } from './liveness.js';
import { drainWatched, SendTimeoutError } from './drain-watch.js';

/** Options of a channel. */
export interface Libp2pChannelInit {
  /** The job (session) id carried by every frame. */
  jobId: string;
  /** Number of parties. */
  parties: number;
  /** This party's index. */
  self: number;
  /** Step timeout (ms). */
  stepMs: number;
  /** Whole-session timeout (ms); 0 for none. */
  jobMs: number;
  /** Largest payload accepted or sent. */
  maxPayload: number;
  /** Logger (job ids, party indices, steps and byte counts only). */
  log: Logger;
  /** Called once when the session is over (closed or failed). */
  onDone: () => void;
  /**
   * What each remote peer may have buffered here over all its sessions, shared by the channels of
   * one SessionManager. Default: a budget of this channel's own, {@link defaultPeerLimits}.
   */
  peerBudget?: PeerBudget;
}

/** Why the session failed: builds the error a `recv(from, step)` rejects with. */
type Failure = (from: number, step: number) => ChannelError;

/** How long a failed send waits for the reading side to explain the dead stream, ms. */
const SEND_ERROR_GRACE_MS = 1000;

/** A party's channel to the other parties of one session, over libp2p streams. */
export class Libp2pChannel implements Channel {
  readonly parties: number;
  readonly self: number;
  readonly stats: ChannelStats;
  /** Aborted when the session fails (here or on a peer) or closes; the reason says why. */
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly links: (FrameLink | undefined)[];
  /** Per party: frames that arrived before their recv, and the steps consumed (see inbound.ts). */
  private readonly inbound: PartyInbound[];
  private readonly remoteEnded: boolean[];
  private failure: Failure | undefined;
  private done = false;
  private readonly jobBytes: Uint8Array;
  private readonly jobTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly liveness: Liveness;
  private readonly aliveTimer: ReturnType<typeof setInterval>;
  private linkedWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(private readonly init: Libp2pChannelInit) {
    this.parties = init.parties;
    this.self = init.self;
    this.stats = emptyStats(init.parties);
    this.signal = this.controller.signal;
    setMaxListeners(0, this.signal); // one listener per send or recv in flight, removed when done
    this.links = Array.from({ length: init.parties }, () => undefined);
    const budget = init.peerBudget ?? new PeerBudget(defaultPeerLimits(init.maxPayload));
    const limits = sessionLimits(init.maxPayload);
    this.inbound = Array.from(
      { length: init.parties },
      (_, p) => new PartyInbound(p, limits, budget, init.maxPayload),
    );
    this.remoteEnded = Array.from({ length: init.parties }, () => false);
    this.jobBytes = encodeJobId(init.jobId);
    this.liveness = new Liveness(init.parties, init.stepMs, performance.now());
    this.aliveTimer = setInterval(() => this.sendAlive(), aliveIntervalMs(init.stepMs));
    this.aliveTimer.unref();
    if (init.jobMs > 0) {
      this.jobTimer = setTimeout(
        () => this.abort(new Error(`job timeout after ${init.jobMs} ms`)),
        init.jobMs,
      );
      this.jobTimer.unref();
    }
  }

  /** The job id. */
  get jobId(): string {
    return this.init.jobId;
  }

  /** Whether the session failed or closed. */
  get isDone(): boolean {
    return this.done;
  }

  /** Whether a link to `party` is attached. */
  hasLink(party: number): boolean {
    return this.links[party] !== undefined;
  }

  /** Attaches the link to `party` (after the handshake). */
  attach(party: number, link: FrameLink): void {
    if (this.done) {
      void link.closeWith(this.abortFrameFor(-1, 'session is over'));
      return;
    }
    this.links[party] = link;
    this.inbound[party]!.inbox.peer = link.remote; // before any frame is delivered or charged
    link.receiveDirect(this.inbound[party]!.inbox.inFlight); // a party: charged for its large frames
    link.setHandler({
      onFrame: (f) => this.onFrame(party, f),
      onEnd: (end) => this.onLinkEnd(party, end),
    });
    if (this.allLinked()) for (const w of this.linkedWaiters.splice(0)) w.resolve();
  }

  private allLinked(): boolean {
    return this.links.every((l, i) => i === this.self || l !== undefined);
  }

  /** Resolves when every other party is linked; rejects if the session fails first or `signal` fires. */
  whenLinked(signal: AbortSignal): Promise<void> {
    if (this.allLinked()) return Promise.resolve();
    if (this.failure !== undefined) return Promise.reject(this.failure(-1, -1));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      this.linkedWaiters.push({
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
    });
  }

  async send(to: number, step: number, payload: Uint8Array, options: AbortOptions = {}): Promise<void> {
    this.checkParty(to);
    this.liveness.ownReached(step);
    if (this.failure !== undefined) throw this.failure(to, step);
    checkMessageSize(payload.length, this.init.maxPayload);
    const link = this.links[to];
    if (link === undefined) throw new ChannelClosedError(to, step, 'no link to that party');
    let ok: boolean;
    try {
      ok = writeMessage(link, this.jobBytes, step, payload, this.init.maxPayload);
    } catch (err) {
      const failure = this.failure as Failure | undefined; // the link may have failed the session already
      if (failure !== undefined) throw failure(to, step);
      throw await this.sendFailure(to, step, `stream not writable: ${(err as Error).message}`);
    }
    this.stats.sent[to]!.bytes += payload.length;
    this.stats.sent[to]!.messages++;
    // a stream can take a message without signalling backpressure (Yamux's window exhausted
    // queues it by reference): a receiver already silent past the step timeout fails it anyway,
    // through the same watch (which looks once more after pending I/O)
    if (!ok || this.liveness.verdict(to, performance.now()).kind !== 'wait') {
      try {
        const watch = {
          drain: (o: { signal: AbortSignal }) => link.drain(o),
          verdict: () => this.liveness.verdict(to, performance.now()),
        };
        const signal =
          options.signal === undefined ? this.signal : AbortSignal.any([options.signal, this.signal]);
        await drainWatched(watch, to, step, signal);
      } catch (err) {
        if (options.signal?.aborted) throw options.signal.reason;
        const failed = this.failure as Failure | undefined; // the session may have failed while we waited
        if (failed !== undefined) throw failed(to, step);
        if (err instanceof SendTimeoutError) {
          this.init.log(
            'job %s: send to party %d timed out (step %d): %s',
            this.jobId,
            to,
            step,
            err.message,
          );
          throw err;
        }
        throw await this.sendFailure(to, step, `stream closed while sending: ${(err as Error).message}`);
      }
    }
  }

  recv(from: number, step: number, options: AbortOptions = {}): Promise<Uint8Array> {
    this.checkParty(from);
    if (!Number.isInteger(step) || step < 0 || step > 0xffffffff) throw new RangeError('step must be a u32');
    this.liveness.ownReached(step);
    if (this.failure !== undefined) return Promise.reject(this.failure(from, step));
    const { inbox, waiters } = this.inbound[from]!;
    const have = inbox.take(step);
    if (have !== undefined) return Promise.resolve(have);
    if (inbox.wasConsumed(step))
      return Promise.reject(new RangeError(`step ${step} from party ${from} was already received or passed`));
    if (this.remoteEnded[from])
      return Promise.reject(new PartyAbortedError(from, step, 'it closed the session'));
    if (waiters.has(step))
      return Promise.reject(new RangeError(`already receiving step ${step} from party ${from}`));
    options.signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const signal = options.signal;
      const onAbort = (): void => {
        waiter.cleanup();
        reject(signal!.reason as Error);
      };
      const waiter: Waiter = {
        step,
        resolve,
        reject,
        timer: undefined,
        cleanup: () => {
          clearTimeout(waiter.timer);
          signal?.removeEventListener('abort', onAbort);
          waiters.delete(step);
        },
      };
      waiter.timer = setTimeout(this.onStepTimer, this.init.stepMs, from, waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.set(step, waiter);
    });
  }

  /**
   * A recv's step timer fired: wait on while `from` is heard from and moves, else time the recv out.
   * The timeout is decided once more after pending I/O is read (see the module comment): `final`.
   */
  private readonly onStepTimer = (from: number, waiter: Waiter, final = false): void => {
    const v = this.liveness.verdict(from, performance.now());
    if (v.kind === 'wait') {
      waiter.timer = setTimeout(this.onStepTimer, v.ms, from, waiter);
      return;
    }
    if (!final) {
      // This party's own event loop may have been blocked past the deadline: read what is
      // waiting in the sockets first (setImmediate runs after the poll phase), then decide.
      setImmediate(() => {
        if (this.inbound[from]!.waiters.get(waiter.step) === waiter) this.onStepTimer(from, waiter, true);
      });
      return;
    }
    waiter.cleanup();
    this.init.log(
      v.kind === 'stalled'
        ? 'job %s: party %d is alive but made no progress for %d ms (awaiting step %d)'
        : 'job %s: party %d sent nothing, not even a keep-alive, for %d ms (awaiting step %d)',
      this.jobId,
      from,
      v.ms,
      waiter.step,
    );
    waiter.reject(new StepTimeoutError(from, waiter.step, v.ms));
  };

  abort(reason: Error): void {
    if (this.done) return;
    this.init.log('job %s: aborted locally: %s', this.jobId, reason.message);
    this.fail(
      (from, step) => new ChannelClosedError(from, step, `aborted: ${reason.message}`),
      culpritOf(reason, this.self, this.parties),
      reason.message,
    );
  }

  async close(): Promise<void> {
    if (this.done) {
      await this.closeLinks();
      return;
    }
    this.done = true;
    this.failure = (from, step) => new ChannelClosedError(from, step, 'channel closed');
    this.rejectAll();
    this.dropInbound();
    this.finish(new Error('channel closed'));
    await this.closeLinks();
  }

  private checkParty(p: number): void {
    if (!Number.isInteger(p) || p < 0 || p >= this.parties || p === this.self) {
      throw new RangeError(`party must be another party's index (0..${this.parties - 1}, not ${this.self})`);
    }
  }

  /** Takes one part of a message above the frame limit; the last delivers the message. */
  private onPart(party: number, f: Extract<Frame, { kind: 'part' }>): void {
    const r = this.inbound[party]!.part(f);
    if (r.kind === 'protocol-error') return this.protocolFailure(party, r.reason);
    if (r.kind === 'refused') return this.inboundFailure(party, r.refused);
    this.stats.received[party]!.bytes += f.chunk.length;
    if (r.kind === 'more') return;
    this.stats.received[party]!.messages++;
    if (r.refused !== undefined) this.inboundFailure(party, r.refused);
  }

  private onFrame(party: number, f: Frame): void {
    if (this.done) return;
    if (f.jobId !== this.jobId) {
      this.protocolFailure(party, 'frame for another job on this stream');
      return;
    }
    this.liveness.heard(
      party,
      performance.now(),
      f.kind === 'alive' || f.kind === 'data' || f.kind === 'part' ? f.step : undefined,
    );
    switch (f.kind) {
      case 'alive':
        return;
      case 'data': {
        if (f.payload.length > this.init.maxPayload) {
          this.protocolFailure(party, 'payload over the limit');
          return;
        }
        this.stats.received[party]!.bytes += f.payload.length;
        this.stats.received[party]!.messages++;
        const refused = this.inbound[party]!.deliver(f.step, f.payload);
        if (refused !== undefined) this.inboundFailure(party, refused);
        return;
      }
      case 'part':
        return this.onPart(party, f);
      case 'abort': {
        const culprit =
          f.culprit >= 0 && f.culprit < this.parties && f.culprit !== this.self ? f.culprit : party;
        const reason = culprit === party ? f.reason : `reported by party ${party}: ${f.reason}`;
        this.init.log(
          'job %s: party %d aborted (code %d, blames party %d)',
          this.jobId,
          party,
          f.code,
          culprit,
        );
        // Pass the culprit on: a peer that hears of the abort from us first must still blame the
        // party that aborted, not us (a race the channel tests caught under load).
        this.fail((_from, step) => new PartyAbortedError(culprit, step, reason), culprit, reason, party);
        return;
      }
      default:
        this.protocolFailure(party, `unexpected ${f.kind} frame`);
    }
  }

  private onLinkEnd(party: number, end: LinkEnd): void {
    if (this.done) return;
    switch (end.kind) {
      case 'remote-closed':
        // a party that finished closes its stream: only recvs that can no longer be satisfied fail
        this.remoteEnded[party] = true;
        this.inbound[party]!.rejectWaiters(
          (step) => new PartyAbortedError(party, step, 'it closed the session'),
        );
        return;
      case 'reset':
        this.init.log('job %s: stream with party %d reset: %s', this.jobId, party, end.error.message);
        this.linkLost(party, end.error.message);
        return;
      case 'protocol-error':
        this.fail(
          (_f, step) => new PartyAbortedError(party, step, end.error.message),
          party,
          end.error.message,
        );
        return;
      case 'local':
        return;
    }
  }

  private protocolFailure(party: number, why: string): void {
    this.init.log('job %s: protocol error from party %d: %s', this.jobId, party, why);
    this.fail(
      (_f, step) => new PartyAbortedError(party, step, `protocol error: ${why}`),
      party,
      `protocol error: ${why}`,
    );
  }

  /** A frame `party` should not have sent (duplicate, or over a bound): fails the session blaming it. */
  private inboundFailure(party: number, refused: Refusal): void {
    this.init.log('job %s: refused a frame of party %d: %s', this.jobId, party, refused.reason);
    this.fail((_f, step) => refused.error(step), party, refused.reason);
  }

  private abortFrameFor(culprit: number, reason: string): Uint8Array {
    return encodeAbort(this.jobId, ABORT_CODE.aborted, culprit, -1, reason);
  }

  /**
   * The error for a send to `to` that found its stream dead. The stream may have died because the
   * peer vanished, or because the peer failed and closed it after an abort frame we have not read
   * yet: give the reading side a moment to tell which, then blame the peer as disconnected.
   */
  private async sendFailure(to: number, step: number, detail: string): Promise<Error> {
    if (!this.signal.aborted && !this.remoteEnded[to]) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, SEND_ERROR_GRACE_MS);
        this.signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
    const failure = this.failure as Failure | undefined;
    if (failure !== undefined) return failure(to, step);
    if (this.remoteEnded[to]) return new PartyAbortedError(to, step, 'it closed the session');
    return this.linkLost(to, detail)(to, step);
  }

  /**
   * The stream to `party` died (a reset seen by the reader, or a send that failed first): the peer
   * vanished, so the session fails naming it, whichever direction noticed. Returns the failure.
   */
  private linkLost(party: number, detail: string): Failure {
    this.fail(
      (_f, step) => new PartyAbortedError(party, step, `disconnected (${detail})`),
      party,
      'disconnected',
    );
    return this.failure ?? ((from, step) => new ChannelClosedError(from, step, detail));
  }

  /**
   * Fails the session: sets the failure, rejects waiters, drops buffered frames, tells every other
   * party (except `skip`) that `culprit` failed it, and closes the links (aborting the culprit's).
   */
  private fail(failure: Failure, culprit: number, reason: string, skip = -1): void {
    if (this.done) return;
    this.done = true;
    this.failure = failure;
    this.rejectAll();
    this.dropInbound();
    this.finish(failure(-1, -1));
    const frame = this.abortFrameFor(culprit, reason.slice(0, 256));
    this.links.forEach((l, i) => {
      if (l === undefined) return;
      if (i === skip || i === culprit) l.abort(new Error(`session failed: ${reason}`));
      else void l.closeWith(frame);
    });
  }

  private rejectAll(): void {
    this.inbound.forEach((inbound, p) => inbound.rejectWaiters((step) => this.failure!(p, step)));
    for (const w of this.linkedWaiters.splice(0)) w.reject(this.failure!(-1, -1));
  }

  /** Drops what no recv will take now, giving its bytes back to each peer's budget. */
  private dropInbound(): void {
    for (const { inbox } of this.inbound) inbox.clear();
  }

  /** A keep-alive with this party's furthest step to every linked party. */
  private sendAlive(): void {
    if (this.done) return;
    const frame = encodeAlive(this.init.jobId, this.liveness.ownStep);
    this.links.forEach((link, p) => {
      if (link === undefined || link.isEnded || this.remoteEnded[p]) return;
      try {
        link.send(frame);
      } catch {
        // a failing link reports itself through onEnd
      }
    });
  }

  private finish(reason: Error): void {
    clearTimeout(this.jobTimer);
    clearInterval(this.aliveTimer);
    this.controller.abort(reason);
    this.init.onDone();
  }

  private async closeLinks(): Promise<void> {
    await Promise.all(this.links.map((l) => l?.close()));
  }
}
