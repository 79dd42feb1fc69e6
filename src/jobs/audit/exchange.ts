/**
 * The exchange of signed audit heads between the peers of a job (after Certificate Transparency's
 * signed tree heads and Sharemind's audit): when a job ends on a peer, it sends its signed head
 * `(seq, hash, sig)` to the job's other parties, which keep it (peer-heads.ts). Later,
 * `peermpc audit verify --with-peers` asks those peers which heads of this log they hold and checks
 * that the log still contains each of those entries with the same hash: a truncation or a rewrite
 * after another peer saw the head shows, even by someone who can write every local file, and even
 * by someone holding the key (two signed versions of one entry are a fork).
 *
 * What it cannot show: changes to entries no other peer has seen a later head of (the part of the
 * log after the last exchange), and, because the chain is linear (no consistency proofs), a rewrite
 * of which every held head has since been replaced by heads of the new version (peers keep heads
 * spread over the whole history, peer-heads.ts, so this takes many later exchanges with each peer).
 */
import { sessionParties } from '../job/parties.js';
import type { JobRecord } from '../store.js';
import type { JobsReply } from '../service/messages.js';
import type { JobsTransport } from '../service/transport.js';
import { logger } from '../../util/log.js';
import { headSignatureValid } from './entry.js';
import { AuditHeadRefusedError } from './errors.js';
import { auditVerifier } from './keys.js';
import type { AuditLog, AuditVerifyResult, HeldHeads } from './log.js';
import { PeerHeadsStore } from './peer-heads.js';
import { MAX_HELD_REPLY_HEADS, parseHeldReply, type AuditMessage } from './wire.js';

const log = logger('jobs:audit');

/** Peers asked at once by {@link AuditExchange.verifyWithPeers}. */
export const VERIFY_CONCURRENCY = 8;

/** Longest wait for one peer's answer in {@link AuditExchange.verifyWithPeers} (ms). */
export const ASK_TIMEOUT_MS = 5_000;

/** Most peers {@link AuditExchange.verifyWithPeers} asks. */
export const MAX_VERIFY_PEERS = 256;

/** What {@link AuditExchange} works with. */
export interface AuditExchangeInit {
  /** This peer's log. */
  audit: AuditLog;
  /** This peer's id. */
  self: string;
  /** The jobs protocol's messaging. */
  transport: JobsTransport;
  /** Time given to one message (ms). */
  timeoutMs: () => number;
  /** The held heads file; default `<audit log>.peers.json`. */
  heldPath?: string;
}

/** The exchange of one peer; see the module comment. */
export class AuditExchange {
  /** Heads this peer holds of others, and the peers it sent its own to. */
  readonly held: PeerHeadsStore;

  constructor(private readonly init: AuditExchangeInit) {
    this.held = new PeerHeadsStore(init.heldPath ?? `${init.audit.path}.peers.json`);
  }

  /**
   * Sends this peer's signed head to the other parties of `record`'s job, when the job ended here
   * and this peer took part in it (requested or approved it: a job refused here tells nobody
   * anything). Never throws: a peer that cannot be told is logged.
   */
  async share(record: JobRecord): Promise<void> {
    if (!this.tookPart(record)) return;
    const head = this.init.audit.head();
    if (head === undefined) return;
    const job = record.signed.job;
    const others = sessionParties(job).filter((p) => p !== this.init.self);
    await Promise.all(
      others.map(async (p) => {
        try {
          const reply = await this.init.transport.request(
            p,
            { type: 'audit-head', jobId: job.id, head },
            { signal: AbortSignal.timeout(this.init.timeoutMs()) },
          );
          if (reply.ok) this.held.sent(p, head.seq);
          else log('job %s: %s did not keep our audit head: %s', job.id, p, reply.error.message);
        } catch (err) {
          log('job %s: could not send our audit head to %s: %s', job.id, p, (err as Error).message);
        }
      }),
    );
  }

  /** Whether this peer requested or approved the job (only then it exchanges heads about it). */
  private tookPart(record: JobRecord): boolean {
    return record.roles.includes('requester') || record.approvals[this.init.self]?.decision === 'approved';
  }

  /**
   * Handles `audit-head` from `from`: keeps the head if `from` was a party of `record`'s job, this
   * peer took part in it (requested or approved it), and the head is `from`'s, signed by it.
   * @throws AuditHeadRefusedError otherwise.
   */
  receive(
    m: Extract<AuditMessage, { type: 'audit-head' }>,
    from: string,
    record: JobRecord | undefined,
  ): JobsReply {
    if (record === undefined) throw new AuditHeadRefusedError('no such job here');
    const job = record.signed.job;
    if (from === this.init.self || !sessionParties(job).includes(from))
      throw new AuditHeadRefusedError('the sender is not a party of that job');
    if (!this.tookPart(record)) throw new AuditHeadRefusedError('this peer did not take part in that job');
    if (m.head.peer !== from) throw new AuditHeadRefusedError("the head is not the sender's");
    const verifier = auditVerifier(from);
    if (verifier === undefined || !headSignatureValid(verifier, m.head))
      throw new AuditHeadRefusedError('the head is not signed by the sender');
    const outcome = this.held.add(m.head, job.id);
    if (outcome === 'full') throw new AuditHeadRefusedError('this peer holds heads of too many peers');
    if (outcome === 'conflict')
      log.error('peer %s signed two different audit entries %d: kept both as proof', from, m.head.seq);
    return { ok: true };
  }

  /** Handles `audit-held` from `from`: the heads of `from`'s log this peer holds. */
  answer(from: string): JobsReply {
    return { ok: true, heads: this.held.of(from).slice(-MAX_HELD_REPLY_HEADS) };
  }

  /**
   * Verifies this peer's log, and asks `peers` (default: every peer it exchanged heads with) for
   * the heads of it they hold, checking each against the log.
   */
  async verifyWithPeers(peers?: string[]): Promise<AuditVerifyResult> {
    const targets = [...new Set(peers ?? this.held.peers())]
      .filter((p) => p !== this.init.self)
      .slice(0, MAX_VERIFY_PEERS);
    const held: HeldHeads[] = [];
    for (let i = 0; i < targets.length; i += VERIFY_CONCURRENCY) {
      held.push(...(await Promise.all(targets.slice(i, i + VERIFY_CONCURRENCY).map((p) => this.ask(p)))));
    }
    const res = this.init.audit.verify({ held });
    if (targets.length === 0) res.notes.push('no peer to ask: this peer has not exchanged audit heads yet');
    return { ...res, peers: res.peers ?? [] };
  }

  private async ask(peer: string): Promise<HeldHeads> {
    try {
      const reply = await this.init.transport.request(
        peer,
        { type: 'audit-held' },
        { signal: AbortSignal.timeout(Math.min(this.init.timeoutMs(), ASK_TIMEOUT_MS)) },
      );
      if (!reply.ok) return { holder: peer, heads: [], error: reply.error.message };
      const heads = parseHeldReply(reply.heads ?? []);
      if (heads === undefined) return { holder: peer, heads: [], error: 'malformed reply' };
      return { holder: peer, heads };
    } catch (err) {
      return { holder: peer, heads: [], error: (err as Error).message };
    }
  }
}
