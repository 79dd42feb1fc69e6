/**
 * The signed audit heads this peer keeps of other peers' logs (`<dataDir>/audit.log.peers.json`),
 * and the peers it sent its own heads to:
 *
 * ```json
 * { "v": 1,
 *   "held": { "<peer id>": { "heads": [{ "seq": 57, "hash": "…", "sig": "…", "job": "…", "at": "…" }],
 *                            "conflicts": [] } },
 *   "sent": { "<peer id>": { "seq": 61, "at": "…" } } }
 * ```
 *
 * Bounded: at most {@link MAX_HEADS_PER_PEER} heads per peer, spread over the peer's history (when
 * full, the head closest to its neighbours goes; the oldest and the newest stay), at most
 * {@link MAX_CONFLICTS_PER_PEER} conflicting pairs (two different heads of one entry, both signed:
 * proof that the peer forked its log), at most {@link MAX_PEERS} peers (new ones are refused
 * beyond). Heads from a peer arrive only for jobs this peer took part in (exchange.ts).
 */
import { readFileSync } from 'node:fs';
import { AuditLogError } from '../errors.js';
import type { SignedAuditHead } from './entry.js';
import { writeFileAtomicSync } from './files.js';

/** Heads kept per peer. */
export const MAX_HEADS_PER_PEER = 16;
/** Conflicting heads kept per peer. */
export const MAX_CONFLICTS_PER_PEER = 4;
/** Peers kept. */
export const MAX_PEERS = 1024;

/** A head held, with the job it came with and when. */
export interface HeldHead {
  /** The entry's seq. */
  seq: number;
  /** Its hash. */
  hash: string;
  /** The peer's signature. */
  sig: string;
  /** The job whose end brought it. */
  job: string;
  /** When it arrived. */
  at: string;
}

/** What is held of one peer. */
export interface HeldOfPeer {
  /** Heads, by seq. */
  heads: HeldHead[];
  /** Heads that contradict a held one (same seq, other hash). */
  conflicts: HeldHead[];
}

interface PeersFile {
  v: 1;
  held: Record<string, HeldOfPeer>;
  sent: Record<string, { seq: number; at: string }>;
}

const HEX64 = /^[0-9a-f]{64}$/;
const SIG = /^[A-Za-z0-9_-]{86}$/;
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function parseHeld(v: unknown): HeldHead {
  if (
    !isObj(v) ||
    Object.keys(v).sort().join() !== 'at,hash,job,seq,sig' ||
    !Number.isSafeInteger(v.seq) ||
    (v.seq as number) < 1 ||
    typeof v.hash !== 'string' ||
    !HEX64.test(v.hash) ||
    typeof v.sig !== 'string' ||
    !SIG.test(v.sig) ||
    typeof v.job !== 'string' ||
    typeof v.at !== 'string'
  )
    throw new TypeError('a held head is malformed');
  return v as unknown as HeldHead;
}

/**
 * Parses the file's text strictly.
 * @throws TypeError naming what is wrong.
 */
export function parsePeersFile(text: string): PeersFile {
  const v: unknown = JSON.parse(text);
  if (!isObj(v) || v.v !== 1 || !isObj(v.held) || !isObj(v.sent))
    throw new TypeError('not a peers heads file');
  const held: Record<string, HeldOfPeer> = Object.create(null) as Record<string, HeldOfPeer>;
  for (const [peer, h] of Object.entries(v.held)) {
    if (!isObj(h) || !Array.isArray(h.heads) || !Array.isArray(h.conflicts))
      throw new TypeError(`malformed entry for ${peer.slice(0, 64)}`);
    held[peer] = {
      heads: h.heads.slice(0, MAX_HEADS_PER_PEER).map(parseHeld),
      conflicts: h.conflicts.slice(0, MAX_CONFLICTS_PER_PEER * 2).map(parseHeld),
    };
  }
  const sent: PeersFile['sent'] = Object.create(null) as PeersFile['sent'];
  for (const [peer, s] of Object.entries(v.sent)) {
    if (!isObj(s) || !Number.isSafeInteger(s.seq) || typeof s.at !== 'string')
      throw new TypeError(`malformed sent entry for ${peer.slice(0, 64)}`);
    sent[peer] = { seq: s.seq as number, at: s.at };
  }
  return { v: 1, held, sent };
}

/** The store; see the module comment. */
export class PeerHeadsStore {
  private data: PeersFile | undefined;

  constructor(readonly path: string) {}

  /** The signed heads held of `peer` (conflicting ones included), oldest first. */
  of(peer: string): SignedAuditHead[] {
    const h = this.load().held[peer];
    if (h === undefined) return [];
    return [...h.heads, ...h.conflicts].map((x) => ({ peer, seq: x.seq, hash: x.hash, sig: x.sig }));
  }

  /** Everything held, by peer. */
  held(): Record<string, HeldOfPeer> {
    return { ...this.load().held };
  }

  /** Peers this peer holds heads of, or sent its heads to. */
  peers(): string[] {
    const d = this.load();
    return [...new Set([...Object.keys(d.held), ...Object.keys(d.sent)])];
  }

  /**
   * Keeps a verified head of `head.peer` that came with `job`: `added`, `known` (already held, or
   * one from this job already kept), `conflict` (another head of the same entry is held: both are
   * kept as proof), or `full` (too many peers).
   */
  add(head: SignedAuditHead, job: string, now = new Date()): 'added' | 'known' | 'conflict' | 'full' {
    const d = this.load();
    let h = d.held[head.peer];
    if (h === undefined) {
      if (Object.keys(d.held).length >= MAX_PEERS) return 'full';
      h = { heads: [], conflicts: [] };
    }
    const held: HeldHead = { seq: head.seq, hash: head.hash, sig: head.sig, job, at: now.toISOString() };
    const same = h.heads.find((x) => x.seq === head.seq);
    if (same !== undefined) {
      if (same.hash === head.hash) return 'known';
      if (h.conflicts.length >= 2 * MAX_CONFLICTS_PER_PEER || h.conflicts.some((x) => x.hash === head.hash))
        return 'conflict';
      h.conflicts.push({ ...same }, held);
      d.held[head.peer] = h;
      this.save();
      return 'conflict';
    }
    if (h.heads.some((x) => x.job === job)) return 'known';
    h.heads.push(held);
    h.heads.sort((a, b) => a.seq - b.seq);
    while (h.heads.length > MAX_HEADS_PER_PEER) {
      let drop = 1;
      let gap = Infinity;
      for (let i = 1; i < h.heads.length - 1; i++) {
        const g = h.heads[i + 1]!.seq - h.heads[i - 1]!.seq;
        if (g < gap) {
          gap = g;
          drop = i;
        }
      }
      h.heads.splice(drop, 1);
    }
    d.held[head.peer] = h;
    this.save();
    return 'added';
  }

  /** Records that `peer` accepted this peer's head `seq`. */
  sent(peer: string, seq: number, now = new Date()): void {
    const d = this.load();
    if (d.sent[peer] === undefined && Object.keys(d.sent).length >= MAX_PEERS) return;
    if ((d.sent[peer]?.seq ?? 0) >= seq) return;
    d.sent[peer] = { seq, at: now.toISOString() };
    this.save();
  }

  private load(): PeersFile {
    if (this.data !== undefined) return this.data;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new AuditLogError(`cannot read ${this.path}: ${(err as Error).message}`, { cause: err });
      this.data = {
        v: 1,
        held: Object.create(null) as Record<string, HeldOfPeer>,
        sent: Object.create(null) as PeersFile['sent'],
      };
      return this.data;
    }
    try {
      this.data = parsePeersFile(text);
    } catch (err) {
      throw new AuditLogError(
        `the peers' audit heads file ${this.path} is corrupt: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    return this.data;
  }

  private save(): void {
    try {
      writeFileAtomicSync(this.path, JSON.stringify(this.data) + '\n');
    } catch (err) {
      throw new AuditLogError(`cannot write ${this.path}: ${(err as Error).message}`, { cause: err });
    }
  }
}
