/**
 * The messages of the jobs protocol between peers (one request, one reply per stream; the
 * transport authenticates the sender's peer id):
 *
 * - `propose` (requester -> participant): the signed job. Reply: `approved`, `pending` (a person
 *   decides) or an error (refused: bad signature, replay, policy...).
 * - `decision` (participant -> requester): a person's later approval or rejection.
 * - `start` (requester -> participant): every participant approved; open the MPC session (again,
 *   as attempt `attempt`, after a session failed while every party still answered).
 * - `end` (either way): the job ended in `state` (rejected, cancelled, expired, failed) elsewhere;
 *   `party` names the peer at fault. Nothing is released.
 * - `probe` (any party -> any party of a job): "are you there?", to tell which party disappeared
 *   when a session fails. The reply says nothing but that the peer answers.
 * - `audit-head`, `audit-held`: the exchange of signed audit heads (src/jobs/audit/wire.ts).
 */
import { boundText, MESSAGE_MAX } from '../../util/bound.js';
import type { SignedAuditHead } from '../audit/entry.js';
import {
  MAX_AUDIT_MESSAGE_BYTES,
  parseAuditMessage,
  parseHeldReply,
  type AuditMessage,
} from '../audit/wire.js';
import type { SignedJob } from '../job/types.js';

/** Final states an `end` message may carry. */
export const END_STATES = ['rejected', 'cancelled', 'expired', 'failed'] as const;

/** A message of the jobs protocol. */
export type JobsMessage =
  | { type: 'propose'; signed: SignedJob }
  | { type: 'decision'; jobId: string; decision: 'approved' | 'rejected'; reason?: string }
  | { type: 'start'; jobId: string; attempt?: number }
  | { type: 'end'; jobId: string; state: (typeof END_STATES)[number]; reason: string; party?: string }
  | { type: 'probe'; jobId: string }
  | AuditMessage;

/** The reply to a message. */
export type JobsReply =
  | { ok: true; decision?: 'approved' | 'pending'; heads?: SignedAuditHead[] }
  | { ok: false; error: { name: string; message: string } };

/** Largest message (a job with a large program). */
export const MAX_JOBS_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * Largest message of each type, in bytes, enforced before the message is read (the protocol is
 * typed: src/node/request-protocol.ts). Only a proposal carries a program; the rest carry a job id
 * and at most a reason, which the sender bounds to a few hundred characters (8 KiB leaves room for
 * JSON escapes of every character).
 */
export const MAX_MESSAGE_BYTES: Readonly<Record<JobsMessage['type'], number>> = Object.freeze({
  propose: MAX_JOBS_MESSAGE_BYTES,
  decision: 8 * 1024,
  start: 256,
  end: 8 * 1024,
  probe: 256,
  'audit-head': MAX_AUDIT_MESSAGE_BYTES,
  'audit-held': 64,
});

/** Longest error message in a reply (a policy refusal lists every reason, each bounded). */
export const REPLY_MESSAGE_MAX = 2 * MESSAGE_MAX;

/** Largest reply (a decision or a bounded error). */
export const MAX_REPLY_BYTES = 16 * 1024;

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const JOB_ID = /^[0-9a-f]{32}$/;

/**
 * Checks the envelope of an untrusted message (the job itself is verified by the service); reasons
 * and names from the peer are bounded (src/util/bound.ts).
 * @throws TypeError describing what is wrong.
 */
export function parseMessage(value: unknown): JobsMessage {
  if (!isObj(value)) throw new TypeError('message is not an object');
  const id = value.jobId;
  const needId = (): string => {
    if (typeof id !== 'string' || !JOB_ID.test(id)) throw new TypeError('invalid job id');
    return id;
  };
  switch (value.type) {
    case 'propose':
      if (!isObj(value.signed)) throw new TypeError('propose carries no signed job');
      return { type: 'propose', signed: value.signed as unknown as SignedJob };
    case 'decision': {
      if (value.decision !== 'approved' && value.decision !== 'rejected')
        throw new TypeError('invalid decision');
      const m: JobsMessage = { type: 'decision', jobId: needId(), decision: value.decision };
      if (typeof value.reason === 'string') m.reason = boundText(value.reason);
      return m;
    }
    case 'start': {
      const m: JobsMessage = { type: 'start', jobId: needId() };
      if (value.attempt !== undefined) {
        if (
          typeof value.attempt !== 'number' ||
          !Number.isInteger(value.attempt) ||
          value.attempt < 0 ||
          value.attempt > 16
        ) {
          throw new TypeError('invalid attempt');
        }
        m.attempt = value.attempt;
      }
      return m;
    }
    case 'end': {
      if (!(END_STATES as readonly unknown[]).includes(value.state)) throw new TypeError('invalid end state');
      const m: JobsMessage = {
        type: 'end',
        jobId: needId(),
        state: value.state as (typeof END_STATES)[number],
        reason: typeof value.reason === 'string' ? boundText(value.reason) : '',
      };
      if (typeof value.party === 'string') m.party = boundText(value.party, 64);
      return m;
    }
    case 'probe':
      return { type: 'probe', jobId: needId() };
    case 'audit-head':
    case 'audit-held':
      return parseAuditMessage(value);
    default:
      throw new TypeError('unknown message type');
  }
}

/**
 * Checks an untrusted reply: anything but a well-formed `ok` reply is an error whose name and
 * message are bounded (they are logged, audited and shown).
 */
export function parseReply(value: unknown): JobsReply {
  if (isObj(value) && value.ok === true) {
    const d = value.decision;
    const heads = value.heads === undefined ? undefined : parseHeldReply(value.heads);
    return {
      ok: true,
      ...(d === 'approved' || d === 'pending' ? { decision: d } : {}),
      ...(heads !== undefined ? { heads } : {}),
    };
  }
  const e = isObj(value) && isObj(value.error) ? value.error : {};
  return {
    ok: false,
    error: {
      name: typeof e.name === 'string' ? boundText(e.name, 64) : 'Error',
      message: typeof e.message === 'string' ? boundText(e.message, REPLY_MESSAGE_MAX) : 'malformed reply',
    },
  };
}

/** A reply that carries an error. */
export function errorReply(err: unknown): JobsReply {
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    ok: false,
    error: { name: boundText(e.name, 64), message: boundText(e.message, REPLY_MESSAGE_MAX) },
  };
}
