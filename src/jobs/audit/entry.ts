/**
 * One line of the audit log, as written and as read back.
 *
 * A signed line (v2, from 0.2) is exactly `{ v, seq, time, event, prev, hash, sig }`:
 * `hash = sha256(canonicalJson({ v, seq, time, event, prev }))` and `sig` is the peer's Ed25519
 * signature (base64url) of `peermpc:audit:v2\n<seq>\n<hash>`, so a signature also fixes the
 * position of the hash in the log: the pair `(seq, hash, sig)` is a signed head that another peer
 * can keep and later hold against the log.
 *
 * A legacy line (v0.1 logs) is exactly `{ seq, time, event, prev, hash }` with
 * `hash = sha256(canonicalJson({ seq, time, event, prev }))` and no signature. Legacy lines may only
 * open a log: the first signed entry after them (`audit.signed`) chains to the last one, which
 * anchors them all.
 *
 * Anything else (a missing or extra top-level field, a field of the wrong type, an event that is
 * not exactly an {@link AuditEvent}) is not an entry: `verify` reports it as tampering and `list`
 * never shows it.
 */
import { canonicalJson } from '../../node/canonical-json.js';
import { sha256Hex } from '../program/hash.js';
import { auditEventProblem, type AuditEvent } from './events.js';
import type { AuditVerifier } from './keys.js';

/** The `prev` of the first line. */
export const GENESIS_HASH = '0'.repeat(64);

/** Version of signed lines. */
export const AUDIT_LINE_VERSION = 2;

/** Prefix of the signed bytes, so an audit signature is never valid for anything else. */
export const AUDIT_SIGNING_DOMAIN = 'peermpc:audit:v2\n';

/** One entry of the log. */
export interface AuditEntry {
  /** 2 for a signed entry; absent on a legacy (v0.1, unsigned) one. */
  v?: 2;
  /** 1, 2, 3... */
  seq: number;
  /** ISO 8601 time of the append. */
  time: string;
  /** What happened. */
  event: AuditEvent;
  /** Hash of the previous entry. */
  prev: string;
  /** Hash of this entry. */
  hash: string;
  /** The peer's signature of `(seq, hash)`, base64url; absent on a legacy entry. */
  sig?: string;
}

/** A signed head: an entry's position and hash, signed by the log's peer. */
export interface SignedAuditHead {
  /** The peer whose log it is. */
  peer: string;
  /** The entry's sequence number. */
  seq: number;
  /** The entry's hash. */
  hash: string;
  /** The peer's signature of `(seq, hash)`, base64url. */
  sig: string;
}

const SIGNED_KEYS = ['event', 'hash', 'prev', 'seq', 'sig', 'time', 'v'];
const LEGACY_KEYS = ['event', 'hash', 'prev', 'seq', 'time'];
const HEX64 = /^[0-9a-f]{64}$/;
/** An Ed25519 signature in base64url (64 bytes). */
const SIG = /^[A-Za-z0-9_-]{86}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** The hash of a signed entry's content. */
export function entryHash(e: Pick<AuditEntry, 'seq' | 'time' | 'event' | 'prev'>): string {
  return sha256Hex(
    canonicalJson({ v: AUDIT_LINE_VERSION, seq: e.seq, time: e.time, event: e.event, prev: e.prev }),
  );
}

/** The hash of a legacy (v0.1) entry's content. */
export function legacyEntryHash(e: Pick<AuditEntry, 'seq' | 'time' | 'event' | 'prev'>): string {
  return sha256Hex(canonicalJson({ seq: e.seq, time: e.time, event: e.event, prev: e.prev }));
}

/** The bytes a head signature covers. */
export function headSigningBytes(seq: number, hash: string): Uint8Array {
  return new TextEncoder().encode(`${AUDIT_SIGNING_DOMAIN}${seq}\n${hash}`);
}

/** True when `sig` is `verifier`'s signature of `(seq, hash)`. */
export function headSignatureValid(
  verifier: AuditVerifier,
  head: { seq: number; hash: string; sig: string },
): boolean {
  if (!SIG.test(head.sig)) return false;
  try {
    return verifier.verify(headSigningBytes(head.seq, head.hash), Buffer.from(head.sig, 'base64url'));
  } catch {
    return false;
  }
}

/**
 * Calls `fn` for each line of `text` (a log's or a segment's): its 1-based number, its text, whether
 * a newline ended it, and the offset after it; stops when `fn` returns false. Allocates nothing per
 * line but its text.
 */
export function forEachLine(
  text: string,
  fn: (line: number, raw: string, terminated: boolean, end: number) => boolean | void,
): void {
  let start = 0;
  let n = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    n++;
    if (nl < 0) {
      fn(n, text.slice(start), false, text.length);
      return;
    }
    if (fn(n, text.slice(start, nl), true, nl + 1) === false) return;
    start = nl + 1;
  }
}

/** Whether a parsed value has exactly `keys` (sorted). */
function hasExactly(o: Record<string, unknown>, keys: string[]): boolean {
  const own = Object.keys(o).sort();
  return own.length === keys.length && own.every((k, i) => k === keys[i]);
}

/** A line read back: an entry, or what is wrong with it. */
export type ParsedLine = { entry: AuditEntry; problem?: undefined } | { entry?: undefined; problem: string };

const NOT_AN_OBJECT: ParsedLine = Object.freeze({
  problem: 'not a valid audit entry (not a JSON object: edited or corrupt)',
});

/**
 * Parses one line strictly (see the module comment): exact fields and types. Does not check the
 * hash, the signature or the chain.
 */
export function parseLine(raw: string): ParsedLine {
  // every entry line starts with `{`: anything else is refused without the cost of a JSON error
  if (raw.charCodeAt(0) !== 0x7b) return NOT_AN_OBJECT;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return { problem: 'not a valid audit entry (not JSON: edited or corrupt)' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return { problem: 'not a valid audit entry (not an object)' };
  const o = v as Record<string, unknown>;
  const signed = 'v' in o || 'sig' in o;
  if (!hasExactly(o, signed ? SIGNED_KEYS : LEGACY_KEYS)) {
    const extra = Object.keys(o).filter((k) => !SIGNED_KEYS.includes(k));
    const missing = (signed ? SIGNED_KEYS : LEGACY_KEYS).filter((k) => !(k in o));
    return {
      problem: `not a valid audit entry (${[
        ...extra.slice(0, 3).map((k) => `unknown field ${JSON.stringify(k.slice(0, 64))}`),
        ...missing.map((k) => `no field "${k}"`),
        ...(extra.length === 0 && missing.length === 0
          ? ['fields of an unsigned entry mixed with a signed one']
          : []),
      ].join(', ')}: added or edited)`,
    };
  }
  if (signed && o.v !== AUDIT_LINE_VERSION) return { problem: 'not a valid audit entry (unknown version)' };
  if (!Number.isSafeInteger(o.seq) || (o.seq as number) < 1)
    return { problem: 'not a valid audit entry (malformed "seq")' };
  if (typeof o.time !== 'string' || !ISO_TIME.test(o.time) || !Number.isFinite(Date.parse(o.time)))
    return { problem: 'not a valid audit entry (malformed "time")' };
  if (typeof o.prev !== 'string' || !HEX64.test(o.prev))
    return { problem: 'not a valid audit entry (malformed "prev")' };
  if (typeof o.hash !== 'string' || !HEX64.test(o.hash))
    return { problem: 'not a valid audit entry (malformed "hash")' };
  if (signed && (typeof o.sig !== 'string' || !SIG.test(o.sig)))
    return { problem: 'not a valid audit entry (malformed "sig")' };
  const eventProblem = auditEventProblem(o.event);
  if (eventProblem !== undefined) return { problem: `not a valid audit entry (${eventProblem})` };
  return { entry: o as unknown as AuditEntry };
}

/**
 * What is wrong with a well-formed entry's own content: its hash, and (signed entries, when a
 * verifier is given) its signature. The chain (`prev`, `seq`) is the caller's.
 */
export function entryProblem(entry: AuditEntry, verifier: AuditVerifier | undefined): string | undefined {
  const legacy = entry.v === undefined;
  let expected: string;
  try {
    expected = legacy ? legacyEntryHash(entry) : entryHash(entry);
  } catch {
    return `entry ${entry.seq} cannot be hashed (corrupt)`;
  }
  if (expected !== entry.hash) return `entry ${entry.seq} was edited (its hash does not match its content)`;
  if (!legacy && verifier !== undefined && !headSignatureValid(verifier, entry as Required<AuditEntry>))
    return `entry ${entry.seq} is not signed by ${verifier.peerId.slice(0, 16)}… (forged, or rewritten without the key)`;
  return undefined;
}

/** The signed head of a signed entry. */
export function headOf(peer: string, entry: AuditEntry): SignedAuditHead | undefined {
  return entry.sig === undefined ? undefined : { peer, seq: entry.seq, hash: entry.hash, sig: entry.sig };
}

/** Parses an untrusted signed head (from a peer or a file): exact fields, bounded. @throws TypeError */
export function parseSignedHead(value: unknown): SignedAuditHead {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError('a signed head is not an object');
  const o = value as Record<string, unknown>;
  if (!hasExactly(o, ['hash', 'peer', 'seq', 'sig']))
    throw new TypeError('a signed head has exactly the fields peer, seq, hash and sig');
  if (typeof o.peer !== 'string' || o.peer.length === 0 || o.peer.length > 128)
    throw new TypeError('a signed head has a malformed peer id');
  if (!Number.isSafeInteger(o.seq) || (o.seq as number) < 1)
    throw new TypeError('a signed head has a malformed seq');
  if (typeof o.hash !== 'string' || !HEX64.test(o.hash))
    throw new TypeError('a signed head has a malformed hash');
  if (typeof o.sig !== 'string' || !SIG.test(o.sig))
    throw new TypeError('a signed head has a malformed signature');
  return { peer: o.peer, seq: o.seq as number, hash: o.hash, sig: o.sig };
}
