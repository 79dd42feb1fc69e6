/**
 * The audit messages of the jobs protocol (src/jobs/service/messages.ts carries them):
 *
 * - `audit-head` (a party of a job -> the other parties, when the job ended there): the sender's
 *   signed audit head `{ peer, seq, hash, sig }`. The receiver keeps it (exchange.ts) if the sender
 *   was a party of a job this peer took part in. Reply: `{ ok: true }` or an error.
 * - `audit-held` (any peer -> a peer it exchanged heads with): "which signed heads of my log do you
 *   hold?" Reply: `{ ok: true, heads }`, the sender's own heads only (at most
 *   {@link MAX_HELD_REPLY_HEADS}).
 *
 * Both are small: {@link MAX_AUDIT_MESSAGE_BYTES} bounds a message, and the parsers accept exactly
 * these fields with bounded lengths.
 */
import { parseSignedHead, type SignedAuditHead } from './entry.js';

/** An audit message. */
export type AuditMessage =
  { type: 'audit-head'; jobId: string; head: SignedAuditHead } | { type: 'audit-held' };

/** Largest audit message, serialized (bytes); a signed head is about 260. */
export const MAX_AUDIT_MESSAGE_BYTES = 1024;

/** Most heads an `audit-held` reply carries. */
export const MAX_HELD_REPLY_HEADS = 32;

const JOB_ID = /^[0-9a-f]{32}$/;

/**
 * Checks an untrusted audit message (`value.type` is `audit-head` or `audit-held`).
 * @throws TypeError describing what is wrong.
 */
export function parseAuditMessage(value: Record<string, unknown>): AuditMessage {
  const keys = Object.keys(value).sort().join();
  if (value.type === 'audit-held') {
    if (keys !== 'type') throw new TypeError('audit-held carries no fields');
    return { type: 'audit-held' };
  }
  if (value.type !== 'audit-head') throw new TypeError('unknown message type');
  if (keys !== 'head,jobId,type') throw new TypeError('audit-head carries exactly jobId and head');
  if (typeof value.jobId !== 'string' || !JOB_ID.test(value.jobId)) throw new TypeError('invalid job id');
  return { type: 'audit-head', jobId: value.jobId, head: parseSignedHead(value.head) };
}

/**
 * The heads of an untrusted `audit-held` reply, or undefined when it carries none or malformed ones
 * (never throws: a reply parser drops what it does not understand).
 */
export function parseHeldReply(value: unknown): SignedAuditHead[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_HELD_REPLY_HEADS) return undefined;
  try {
    return value.map(parseSignedHead);
  } catch {
    return undefined;
  }
}
