/**
 * The jobs protocol's inbound messages, one handler per kind. Each checks who may send it (the
 * transport authenticated `from`), then hands the lifecycle an event; a refusal is the typed error
 * in the reply. `propose` is participant.ts's; `audit-head` and `audit-held` are the audit
 * exchange's.
 */
import { logger } from '../../util/log.js';
import type { AuditExchange } from '../audit/exchange.js';
import { JobFailedError } from '../errors.js';
import type { JobStore } from '../store.js';
import type { JobDriver } from './driver.js';
import { errorReply, parseMessage, type JobsMessage, type JobsReply } from './messages.js';

const log = logger('jobs');

/** What the inbox needs. */
export interface InboxDeps {
  /** Job records. */
  store: JobStore;
  /** The lifecycle's driver. */
  driver: JobDriver;
  /** The audit heads exchange. */
  auditHeads: AuditExchange;
  /** Handles a `propose` (participant.ts). */
  propose(value: unknown, from: string): Promise<JobsReply>;
}

type Message<T extends JobsMessage['type']> = Extract<JobsMessage, { type: T }>;

/** Handles a message from `from` (authenticated by the transport). */
export async function handleMessage(deps: InboxDeps, value: unknown, from: string): Promise<JobsReply> {
  let message: JobsMessage;
  try {
    message = parseMessage(value);
  } catch (err) {
    return errorReply(err);
  }
  try {
    switch (message.type) {
      case 'propose':
        return await deps.propose(message.signed, from);
      case 'decision':
        return await onDecision(deps, message, from);
      case 'start':
        return await onStart(deps, message, from);
      case 'end':
        return await onEnd(deps, message, from);
      case 'probe':
        return { ok: true };
      case 'audit-head':
        return deps.auditHeads.receive(message, from, deps.store.find(message.jobId));
      case 'audit-held':
        return deps.auditHeads.answer(from);
    }
  } catch (err) {
    log.error('message %s from %s: %s', message.type, from, (err as Error).message);
    return errorReply(err);
  }
}

/** A participant's person decided: only to the requester, only from a participant. */
async function onDecision(deps: InboxDeps, m: Message<'decision'>, from: string): Promise<JobsReply> {
  const r = deps.store.get(m.jobId);
  if (!r.roles.includes('requester'))
    throw new JobFailedError(m.jobId, 'this peer is not the requester of that job');
  const approval = {
    decision: m.decision,
    by: 'person' as const,
    ...(m.reason !== undefined ? { reason: m.reason } : {}),
  };
  await deps.driver.step(m.jobId, { type: 'approval', peer: from, approval });
  return { ok: true };
}

/** The requester starts (or restarts) the session. */
async function onStart(deps: InboxDeps, m: Message<'start'>, from: string): Promise<JobsReply> {
  await deps.driver.step(m.jobId, { type: 'start', from, attempt: m.attempt ?? 0 });
  return { ok: true };
}

/** Someone ended the job: a participant (to the requester) or the requester (to a participant). */
async function onEnd(deps: InboxDeps, m: Message<'end'>, from: string): Promise<JobsReply> {
  const event = {
    type: 'end' as const,
    from,
    state: m.state,
    reason: m.reason,
    ...(m.party ? { party: m.party } : {}),
  };
  await deps.driver.step(m.jobId, event);
  return { ok: true };
}
