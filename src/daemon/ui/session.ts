/**
 * The console's login codes and sessions, kept in memory (a daemon restart logs everyone out).
 *
 * A login code is 256 random bits (base64url), valid {@link CODE_TTL_MS} and redeemable once: it is
 * what `peermpc ui` prints in a URL, so it must be worthless once used or old. Redeeming it creates
 * a session: a 256-bit random id (the cookie) and its own 256-bit CSRF token, dropped after
 * {@link SESSION_IDLE_MS} without a request. Codes and sessions are stored under the SHA-256 of
 * their secret, so a lookup's timing says nothing about a secret, and a memory dump holds no cookie.
 * Both stores are bounded: the oldest entry goes first. A code used a second time while it would
 * still be valid ends the session its first use opened (see {@link ConsoleAuth.redeem}).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a login code is valid (ms). */
export const CODE_TTL_MS = 60_000;

/** A session ends after this long without a request (ms). */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;

/** Most login codes outstanding at once. */
export const MAX_CODES = 32;

/** Most sessions at once. */
export const MAX_SESSIONS = 64;

/** A console session. */
export interface ConsoleSession {
  /** The per-session CSRF token forms carry (base64url, 256 bits). */
  readonly csrf: string;
  /** When it was created (ms since the epoch). */
  readonly created: number;
  /** Last request (ms since the epoch). */
  lastSeen: number;
}

/** A freshly issued login code. */
export interface IssuedCode {
  /** The code (base64url). */
  code: string;
  /** When it stops being valid (ms since the epoch). */
  expiresAt: number;
}

/** Options of {@link ConsoleAuth}. */
export interface ConsoleAuthInit {
  /** Clock (ms since the epoch); default `Date.now`. */
  now?: () => number;
  /** Random bytes; default node:crypto's. */
  random?: (n: number) => Buffer;
}

/** 256 bits of randomness as base64url. */
function secret(random: (n: number) => Buffer): string {
  return random(32).toString('base64url');
}

/** The key a secret is stored under. */
function keyOf(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** Whether two strings are equal, compared in constant time (for equal lengths). */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Login codes and sessions of one console; see the module comment. */
export class ConsoleAuth {
  private readonly codes = new Map<string, number>(); // key -> expiresAt
  /** Codes redeemed while they would still be valid: code key -> the session it opened. */
  private readonly used = new Map<string, { session: string; expiresAt: number }>();
  private readonly sessions = new Map<string, ConsoleSession>(); // key -> session
  private readonly now: () => number;
  private readonly random: (n: number) => Buffer;

  constructor(init: ConsoleAuthInit = {}) {
    this.now = init.now ?? Date.now;
    this.random = init.random ?? randomBytes;
  }

  /** Issues a one-time login code. */
  issueCode(): IssuedCode {
    this.sweep();
    const code = secret(this.random);
    const expiresAt = this.now() + CODE_TTL_MS;
    this.codes.set(keyOf(code), expiresAt);
    while (this.codes.size > MAX_CODES) this.codes.delete(this.codes.keys().next().value!);
    return { code, expiresAt };
  }

  /**
   * Redeems `code` (once) for a new session: the session id (the cookie's value) and the session.
   * Undefined when the code is unknown, used or expired; `'reused'` when it was redeemed before and
   * would still be valid: the session that first use opened is ended then. A code is meant for one
   * browser, so a second use means that someone else had it too (another local user who read it
   * from the process list, where `peermpc ui --open` puts it for the browser) and may be the one
   * who used it first: that session must not outlive the owner's notice.
   */
  redeem(code: string): { id: string; session: ConsoleSession } | 'reused' | undefined {
    if (code.length === 0 || code.length > 128) return undefined;
    const key = keyOf(code);
    const expiresAt = this.codes.get(key);
    this.codes.delete(key); // single use, whatever happens next
    const t = this.now();
    if (expiresAt === undefined) {
      const first = this.used.get(key);
      if (first === undefined || t >= first.expiresAt) return undefined;
      this.used.delete(key);
      this.sessions.delete(first.session);
      return 'reused';
    }
    if (t >= expiresAt) return undefined;
    this.sweep();
    const id = secret(this.random);
    const session: ConsoleSession = { csrf: secret(this.random), created: t, lastSeen: t };
    this.sessions.set(keyOf(id), session);
    while (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    this.used.set(key, { session: keyOf(id), expiresAt });
    while (this.used.size > MAX_CODES) this.used.delete(this.used.keys().next().value!);
    return { id, session };
  }

  /** The live session of cookie value `id` (its idle time restarts), or undefined. */
  session(id: string | undefined): ConsoleSession | undefined {
    if (id === undefined || id.length === 0 || id.length > 128) return undefined;
    const key = keyOf(id);
    const s = this.sessions.get(key);
    if (s === undefined) return undefined;
    const t = this.now();
    if (t - s.lastSeen >= SESSION_IDLE_MS) {
      this.sessions.delete(key);
      return undefined;
    }
    s.lastSeen = t;
    // most recently used last, so that the bound drops the least recently used
    this.sessions.delete(key);
    this.sessions.set(key, s);
    return s;
  }

  /** Whether `s` is still a live session (without touching it): for long-lived streams. */
  alive(s: ConsoleSession): boolean {
    for (const v of this.sessions.values()) if (v === s) return this.now() - s.lastSeen < SESSION_IDLE_MS;
    return false;
  }

  /** Ends the session of cookie value `id`. */
  end(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(keyOf(id));
  }

  /** Sessions held (for tests). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, exp] of this.codes) if (t >= exp) this.codes.delete(k);
    for (const [k, u] of this.used) if (t >= u.expiresAt) this.used.delete(k);
    for (const [k, s] of this.sessions) if (t - s.lastSeen >= SESSION_IDLE_MS) this.sessions.delete(k);
  }
}
