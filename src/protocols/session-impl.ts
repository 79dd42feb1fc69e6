/**
 * The Session implementation: a channel plus step counter, pairwise and own PRGs, timeouts, abort
 * propagation and counters.
 *
 * Setup (`createSession`, one round, step 1): every party draws an ephemeral x25519 key pair
 * (@noble/curves), sends its 32-byte public key to every other party and derives, for each peer j,
 * the 16-byte seed of their shared PRG as
 *   HKDF-SHA256(ikm = x25519(sk_i, pk_j), salt = "peermpc/session/v1" || session id,
 *               info = "pair-prg" || min(i,j) || max(i,j) || pk_min || pk_max, length 16)
 * where strings are UTF-8, party indices are 4-byte big-endian and pk_min is the public key of
 * party min(i,j). The pair's PRG is stream 0 of that seed (tensor/prg: AES-128-CTR, zero counter).
 * The keys are fresh per session and the seed is bound to the session id, the pair and both public
 * keys, so no two sessions or pairs share a stream. Secret keys are dropped after setup. The own
 * PRG (`ownPrg`) is stream 0 of a fresh random 16-byte seed. This resists a passive observer of the
 * session's traffic and one semi-honest party; it does not authenticate peers (the transport does:
 * Noise on libp2p streams, nothing in memory).
 *
 * Known-answer tests only: `SessionInit.testOnlyKeys` fixes the ephemeral secret key and the own
 * PRG seed, so a session's whole transcript is reproducible. It is refused unless the environment
 * variable `PEERMPC_TEST_ONLY_KEYS` is exactly `1` (see {@link TEST_ONLY_KEYS_ENV}); no production
 * code path sets that variable or passes the option.
 *
 * Steps: the session hands out step numbers in program order (SPMD: every party calls the same
 * primitives in the same order, so step numbers agree). `recv` waits at most `timeouts.stepMs`;
 * on timeout the session aborts, telling every peer, and rejects with a StepTimeoutError naming
 * the silent party. The whole session aborts after `timeouts.sessionMs`, or when `signal` fires.
 */
import { setMaxListeners } from 'node:events';
import { hkdfSync, randomBytes } from 'node:crypto';
import { Prg, SEED_BYTES } from '../tensor/index.js';
import { StepTimeoutError, type Channel } from './channel.js';
import type { Session, SessionStats, SessionTimeouts } from './session.js';
import { x25519Key } from './x25519.js';

/** Default timeouts: one minute per step, one hour per session. */
export const DEFAULT_TIMEOUTS: SessionTimeouts = Object.freeze({ stepMs: 60_000, sessionMs: 3_600_000 });

/** Options of {@link createSession}. */
export interface SessionInit {
  /** The job or simulation id, the same on every party. */
  id: string;
  /** This party's connection to the others. */
  channel: Channel;
  /** Timeouts (defaults: {@link DEFAULT_TIMEOUTS}). */
  timeouts?: Partial<SessionTimeouts>;
  /** Aborts the session from outside. */
  signal?: AbortSignal;
  /**
   * TESTS ONLY: fixed keys for a reproducible (known-answer) transcript. Never set it outside a
   * test: with fixed keys, anyone who knows them can compute every PRG stream of the session and
   * so every share. Refused (with {@link TestOnlyKeysRefusedError}) unless
   * `process.env.PEERMPC_TEST_ONLY_KEYS === '1'`.
   */
  testOnlyKeys?: TestOnlySessionKeys;
}

/**
 * TESTS ONLY: one party's fixed session keys (see {@link SessionInit.testOnlyKeys}). The values are
 * copied at setup; the caller's arrays are left as they are.
 */
export interface TestOnlySessionKeys {
  /** The party's x25519 ephemeral secret key for the setup round (32 bytes, RFC 7748 encoding). */
  ephemeralSecretKey: Uint8Array;
  /** The seed of the party's own PRG, `ownPrg()` (16 bytes). */
  ownPrgSeed: Uint8Array;
}

/**
 * The environment variable that allows {@link SessionInit.testOnlyKeys}: the option is refused
 * unless it is exactly `'1'`. Test files set it in their own process; production code never does.
 */
export const TEST_ONLY_KEYS_ENV = 'PEERMPC_TEST_ONLY_KEYS';

/** Fixed session keys were given outside a test (the {@link TEST_ONLY_KEYS_ENV} guard is not set). */
export class TestOnlyKeysRefusedError extends Error {
  override readonly name = 'TestOnlyKeysRefusedError';
  constructor() {
    super(`fixed session keys are for tests only: refused unless ${TEST_ONLY_KEYS_ENV}=1`);
  }
}

/** The whole session ran longer than its timeout. */
export class SessionTimeoutError extends Error {
  override readonly name = 'SessionTimeoutError';
  constructor(timeoutMs: number) {
    super(`session exceeded its timeout of ${timeoutMs} ms`);
  }
}

const enc = new TextEncoder();

/** A Session over a Channel. Create it with {@link createSession}. */
export class SessionImpl implements Session {
  /** Number of parties. */
  readonly parties: number;
  /** This party's index. */
  readonly self: number;
  /** Timeouts. */
  readonly timeouts: SessionTimeouts;
  /** Aborted when the session fails anywhere, times out or closes. */
  readonly signal: AbortSignal;
  /** Counters. */
  readonly stats: SessionStats = { rounds: 0, bytesSent: 0, bytesReceived: 0 };
  private readonly controller = new AbortController();
  private step = 0;
  private readonly pairs: (Prg | undefined)[];
  private readonly own: Prg;
  private readonly sessionTimer: ReturnType<typeof setTimeout>;
  private readonly unlink: () => void;

  /** Use {@link createSession}, which runs the key agreement. */
  constructor(
    /** The session id. */
    readonly id: string,
    /** The connection to the other parties. */
    readonly channel: Channel,
    timeouts: Partial<SessionTimeouts> = {},
    signal?: AbortSignal,
    /** TESTS ONLY: the own PRG's seed (refused unless {@link TEST_ONLY_KEYS_ENV} is '1'). */
    testOnlyOwnPrgSeed?: Uint8Array,
  ) {
    if (testOnlyOwnPrgSeed !== undefined) {
      assertTestOnlyKeysAllowed();
      checkBytes(testOnlyOwnPrgSeed, SEED_BYTES, 'testOnlyKeys.ownPrgSeed');
    }
    this.own = testOnlyOwnPrgSeed === undefined ? Prg.random() : new Prg(testOnlyOwnPrgSeed);
    this.parties = channel.parties;
    this.self = channel.self;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...timeouts };
    for (const [k, v] of Object.entries(this.timeouts)) {
      if (!(typeof v === 'number' && v > 0))
        throw new RangeError(`timeout ${k} must be a positive number of ms`);
    }
    this.signal = this.controller.signal;
    // every send and recv in flight listens on it and stops listening when done: a protocol with
    // many concurrent messages is not a leak (Node warns past 10 listeners otherwise)
    setMaxListeners(0, this.signal);
    this.pairs = new Array<Prg | undefined>(this.parties).fill(undefined);
    const onOuter = (): void => this.abort(asError(signal?.reason ?? channel.signal?.reason));
    signal?.addEventListener('abort', onOuter, { once: true });
    channel.signal?.addEventListener('abort', onOuter, { once: true });
    this.unlink = () => {
      signal?.removeEventListener('abort', onOuter);
      channel.signal?.removeEventListener('abort', onOuter);
    };
    this.sessionTimer = setTimeout(
      () => this.abort(new SessionTimeoutError(this.timeouts.sessionMs)),
      this.timeouts.sessionMs,
    );
    if (signal?.aborted) onOuter();
  }

  /** The last step number handed out (0 before any). */
  get currentStep(): number {
    return this.step;
  }

  /** Allocates the next step number. */
  nextStep(): number {
    return ++this.step;
  }

  /** The PRG shared with `peer` (same stream on both sides: consume it in the same order). */
  pairPrg(peer: number): Prg {
    const p = this.pairs[peer];
    if (p === undefined) throw new RangeError(`party ${this.self} has no PRG shared with party ${peer}`);
    return p;
  }

  /** This party's private PRG. */
  ownPrg(): Prg {
    return this.own;
  }

  /** Sends a payload to `to` for `step`, counting its bytes. */
  send(to: number, step: number, payload: Uint8Array): Promise<void> {
    this.stats.bytesSent += payload.byteLength;
    return this.channel.send(to, step, payload, { signal: this.signal });
  }

  /** Receives `from`'s payload for `step` within the step timeout, counting its bytes. */
  recv(from: number, step: number): Promise<Uint8Array> {
    const ms = this.timeouts.stepMs;
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new StepTimeoutError(from, step, ms);
        reject(err);
        this.abort(err);
      }, ms);
      this.channel.recv(from, step, { signal: this.signal }).then(
        (payload) => {
          clearTimeout(timer);
          this.stats.bytesReceived += payload.byteLength;
          resolve(payload);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(asError(err));
        },
      );
    });
  }

  /** Records one communication round. */
  countRound(): void {
    this.stats.rounds++;
  }

  /** Fails the session here and on every peer (they learn this party's step and the reason). */
  abort(reason: Error): void {
    if (this.controller.signal.aborted) return;
    // The session's own signal first, so that the channel's abort (which calls back through the
    // channel signal) finds the session already aborted.
    this.controller.abort(reason);
    const err = new Error(`${reason.name}: ${reason.message} (party ${this.self} at step ${this.step})`, {
      cause: reason,
    });
    err.name = reason.name;
    this.channel.abort(err);
    this.stop();
  }

  /** Ends the session normally: stops its timer and closes the channel. */
  async close(): Promise<void> {
    this.stop();
    await this.channel.close();
  }

  private stop(): void {
    clearTimeout(this.sessionTimer);
    this.unlink();
  }

  /** Installs the pairwise PRG seeds (setup only). */
  setPairSeed(peer: number, seed: Uint8Array): void {
    this.pairs[peer] = new Prg(seed);
  }
}

/**
 * Creates a session over `init.channel` and runs its setup round (x25519 key agreement with every
 * peer). Every party of the channel must call it with the same id. Call `close()` when done: the
 * session timer keeps the process alive until then (so a stuck session fails instead of the
 * process exiting with the job unsettled).
 * @throws the channel's error (naming the party) when a peer fails or stays silent during setup.
 * @throws TestOnlyKeysRefusedError when `init.testOnlyKeys` is given without the test-only guard
 *   (`PEERMPC_TEST_ONLY_KEYS=1`); TypeError when those keys have the wrong type or length.
 */
export async function createSession(init: SessionInit): Promise<SessionImpl> {
  if (typeof init.id !== 'string' || init.id.length === 0)
    throw new TypeError('session id must be a non-empty string');
  const fixed = init.testOnlyKeys;
  if (fixed !== undefined) {
    assertTestOnlyKeysAllowed();
    checkBytes(fixed.ephemeralSecretKey, 32, 'testOnlyKeys.ephemeralSecretKey');
    checkBytes(fixed.ownPrgSeed, SEED_BYTES, 'testOnlyKeys.ownPrgSeed');
  }
  const s = new SessionImpl(init.id, init.channel, init.timeouts, init.signal, fixed?.ownPrgSeed);
  try {
    // the secret lives in the key object (node:crypto) or its own copy (noble) until collected
    const key = x25519Key(fixed === undefined ? undefined : Uint8Array.from(fixed.ephemeralSecretKey));
    const pk = key.publicKey;
    const step = s.nextStep();
    const peers = [...Array(s.parties).keys()].filter((p) => p !== s.self);
    await Promise.all(peers.map((p) => s.send(p, step, pk)));
    const theirs = await Promise.all(peers.map((p) => s.recv(p, step)));
    if (peers.length > 0) s.countRound();
    const salt = Buffer.concat([enc.encode('peermpc/session/v1'), enc.encode(init.id)]);
    peers.forEach((p, idx) => {
      const other = theirs[idx]!;
      if (other.byteLength !== 32) throw new RangeError(`party ${p} sent a malformed setup key`);
      let shared: Uint8Array;
      try {
        shared = key.shared(other);
      } catch {
        throw new RangeError(`party ${p} sent a setup key that gives no shared secret`);
      }
      const [lo, hi] = s.self < p ? [s.self, p] : [p, s.self];
      const [pkLo, pkHi] = s.self < p ? [pk, other] : [other, pk];
      const info = Buffer.concat([enc.encode('pair-prg'), u32(lo), u32(hi), pkLo, pkHi]);
      const seed = new Uint8Array(hkdfSync('sha256', shared, salt, info, SEED_BYTES));
      shared.fill(0);
      s.setPairSeed(p, seed);
    });
    return s;
  } catch (err) {
    s.abort(asError(err));
    throw err;
  }
}

/** The test-only guard: throws unless PEERMPC_TEST_ONLY_KEYS is exactly "1". */
function assertTestOnlyKeysAllowed(): void {
  if (process.env[TEST_ONLY_KEYS_ENV] !== '1') throw new TestOnlyKeysRefusedError();
}

/** Checks a key's type and length (never its contents, which are not printed). */
function checkBytes(v: unknown, length: number, what: string): void {
  if (!(v instanceof Uint8Array) || v.byteLength !== length)
    throw new TypeError(`${what} must be a Uint8Array of ${length} bytes`);
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, false);
  return b;
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** A random session id (for simulations). */
export function randomSessionId(): string {
  return randomBytes(8).toString('hex');
}
