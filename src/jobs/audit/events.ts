/**
 * What the audit log records. Fields are ids, hashes, dataset names, decisions, reasons and output
 * shapes: the types leave no room for a data value.
 *
 * {@link auditEventProblem} checks an event read back from disk against exactly these fields and
 * types: a line whose event has an unknown field, a missing `type` or a field of the wrong type is
 * tampering (or corruption), never an entry.
 */
import { boundText } from '../../util/bound.js';
import { JOB_STATES, type JobState } from '../state.js';

/** Kinds of audit events. */
export const AUDIT_EVENT_TYPES = [
  /** This peer (as requester) signed and sent a job. */
  'job.requested',
  /** A job arrived from a requester (verified or not). */
  'job.received',
  /** This peer decided on a job: approved, rejected (by a person), refused (by policy or checks). */
  'job.decided',
  /** The job's state changed on this peer. */
  'job.state',
  /** Output shares left this peer for the recipient, or (on the requester) the result was received. */
  'job.released',
  /** A dataset policy was set or removed. */
  'policy.changed',
  /** The first signed entry of a log that began unsigned (v0.1): `entries` are the unsigned ones. */
  'audit.signed',
  /** The log was repaired when opened after a crash (a torn last line, a head one entry behind). */
  'audit.repaired',
  /** `entries` were moved to an archived segment; `anchor` is the hash of the last one. */
  'audit.archived',
  /** Archived `entries` were deleted by retention; `anchor` (their last hash) still starts the chain. */
  'audit.pruned',
  /**
   * The access lists refused `peer` (`reason`: `connection` or the protocol), or, without `peer`,
   * a summary of refusals counted but not recorded one by one (throttled: jobs/service/denials.ts).
   */
  'access.denied',
  /** A job spent `privacy` of a dataset's privacy budget for `requester` (before any share moved). */
  'dp.spent',
] as const;

/** Kinds of audit events. */
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** An audit event. */
export interface AuditEvent {
  /** Kind. */
  type: AuditEventType;
  /** Job id. */
  job?: string;
  /** The requester's peer id. */
  requester?: string;
  /** The program hash. */
  programHash?: string;
  /** Datasets involved, as `owner/name`. */
  datasets?: string[];
  /** A decision. */
  decision?: 'approved' | 'rejected' | 'refused';
  /** Who decided: a policy rule, a person, or a check (signature, replay, expiry). */
  by?: 'policy' | 'person' | 'check';
  /** Why (rejection reason, failure message): never a data value. */
  reason?: string;
  /** New state. */
  state?: JobState;
  /** Who received released outputs. */
  releasedTo?: string;
  /** Outputs released: names and shapes only. */
  outputs?: { name: string; shape: number[] }[];
  /** The other peer concerned (e.g. who sent a job). */
  peer?: string;
  /** A dataset whose policy changed. */
  dataset?: string;
  /** Entries of the log concerned (audit.* events), by sequence number. */
  entries?: { first: number; last: number };
  /** A hash of this log (audit.* events): the last archived or pruned entry's. */
  anchor?: string;
  /** What a DP job spent (dp.spent): zCDP rho, and epsilon at the budget's delta when it has one. */
  privacy?: { rho: number; epsilon?: number; delta?: number };
  /** Parties this peer reached only through a relay in the job's session (job.released): peer ids. */
  relayed?: string[];
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): boolean => typeof v === 'string';
const isSeq = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 1;

/** Each field's check. */
const FIELDS: Record<keyof AuditEvent, (v: unknown) => boolean> = {
  type: (v) => (AUDIT_EVENT_TYPES as readonly unknown[]).includes(v),
  job: isStr,
  requester: isStr,
  programHash: isStr,
  datasets: (v) => Array.isArray(v) && v.every(isStr),
  decision: (v) => v === 'approved' || v === 'rejected' || v === 'refused',
  by: (v) => v === 'policy' || v === 'person' || v === 'check',
  reason: isStr,
  state: (v) => (JOB_STATES as readonly unknown[]).includes(v),
  releasedTo: isStr,
  outputs: (v) =>
    Array.isArray(v) &&
    v.every(
      (o) =>
        isObj(o) &&
        Object.keys(o).length === 2 &&
        isStr(o.name) &&
        Array.isArray(o.shape) &&
        o.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0),
    ),
  peer: isStr,
  dataset: isStr,
  entries: (v) =>
    isObj(v) &&
    Object.keys(v).length === 2 &&
    isSeq(v.first) &&
    isSeq(v.last) &&
    (v.first as number) <= (v.last as number),
  anchor: (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v),
  relayed: (v) => Array.isArray(v) && v.length <= 64 && v.every(isStr),
  privacy: (v) =>
    isObj(v) &&
    Object.entries(v).every(
      ([k, x]) => ['rho', 'epsilon', 'delta'].includes(k) && typeof x === 'number' && Number.isFinite(x),
    ) &&
    typeof v.rho === 'number',
};

/** What is wrong with an event read back from a log, or undefined when it is a well-formed event. */
export function auditEventProblem(value: unknown): string | undefined {
  if (!isObj(value)) return 'its event is not an object';
  if (!('type' in value)) return 'its event has no type';
  for (const [k, v] of Object.entries(value)) {
    const check = Object.hasOwn(FIELDS, k) ? FIELDS[k as keyof AuditEvent] : undefined;
    if (check === undefined) return `its event has an unknown field ${JSON.stringify(k.slice(0, 64))}`;
    if (!check(v)) return `its event's field "${k}" is malformed`;
  }
  return undefined;
}

/** Longest string kept in an event (characters): the log's own bound, whatever its callers did. */
export const MAX_EVENT_TEXT = 2_000;

/** Most items kept in an event's lists (datasets, outputs). */
export const MAX_EVENT_ITEMS = 64;

/**
 * `event` with every string cut to {@link MAX_EVENT_TEXT} characters and every list to
 * {@link MAX_EVENT_ITEMS} items (a last `…(N more)` dataset says how many were dropped), so no
 * caller can grow the log by megabytes with one entry.
 */
export function boundEvent(event: AuditEvent): AuditEvent {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(event)) {
    if (typeof v === 'string') out[k] = boundText(v, MAX_EVENT_TEXT);
    else if (k === 'datasets' && Array.isArray(v))
      out[k] = [
        ...v.slice(0, MAX_EVENT_ITEMS).map((d: string) => boundText(d, MAX_EVENT_TEXT)),
        ...(v.length > MAX_EVENT_ITEMS ? [`…(${v.length - MAX_EVENT_ITEMS} more)`] : []),
      ];
    else if (k === 'outputs' && Array.isArray(v))
      out[k] = v.slice(0, MAX_EVENT_ITEMS).map((o: { name: string; shape: number[] }) => ({
        name: boundText(o.name, MAX_EVENT_TEXT),
        shape: o.shape,
      }));
    else out[k] = v;
  }
  return out as unknown as AuditEvent;
}
