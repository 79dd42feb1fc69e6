/**
 * Opening a peer's audit log for its job service, and reading one offline.
 *
 * The job service opens `<dataDir>/audit.log` signed with the peer's key (keys.ts: the key the
 * service signs jobs with when it signs synchronously, else `<dataDir>/peer.key` next to the log)
 * and with the retention of `<dataDir>/jobs/config.json` (retention.ts).
 *
 * `audit verify --offline <dataDir>` opens the same files read-only: nothing is repaired or
 * written, signatures are checked with the public key of the peer id (read from `peer.key`, or
 * given), and heads other peers exported can be checked against it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AuditLogError } from '../errors.js';
import type { SignedAuditHead } from './entry.js';
import { parseSignedHead } from './entry.js';
import { auditVerifier, peerIdOfKeyFile, resolveAuditSigner } from './keys.js';
import { AuditLog, type AuditVerifyResult, type HeldHeads } from './log.js';
import { parsePeersFile } from './peer-heads.js';
import { loadAuditRetention } from './retention.js';

/** The audit log's file name in a data directory. */
export const AUDIT_LOG_FILE = 'audit.log';

/** The peer key's file name in a data directory (src/node/identity.ts). */
export const PEER_KEY_FILE = 'peer.key';

/** What {@link openAuditLog} needs. */
export interface OpenAuditLogInit {
  /** The log file (`<dataDir>/audit.log`). */
  path: string;
  /** This peer's id. */
  self: string;
  /** The job signer: used when it signs synchronously (an in-process key), else the key file. */
  signer: { sign(data: Uint8Array): Uint8Array | Promise<Uint8Array> };
  /** `<dataDir>/jobs`, for the retention settings; none without it. */
  jobsDir?: string;
  /** The key file; default `peer.key` next to the log. */
  keyFile?: string;
}

/**
 * Opens the job service's log (repairing what a crash left, see log.ts).
 * @throws AuditLogError when no key of `self` is at hand or the log cannot be opened; TypeError for
 * a malformed retention setting.
 */
export function openAuditLog(init: OpenAuditLogInit): AuditLog {
  const signer = resolveAuditSigner(
    init.self,
    init.signer,
    init.keyFile ?? join(dirname(init.path), PEER_KEY_FILE),
  );
  return new AuditLog(init.path, {
    signer,
    ...(init.jobsDir !== undefined ? { retention: loadAuditRetention(init.jobsDir) } : {}),
  });
}

/** Options of {@link verifyAuditOffline}. */
export interface OfflineVerifyOptions {
  /** Whose log (default: the peer id of `<dataDir>/peer.key`). */
  peerId?: string;
  /**
   * Files of heads other peers hold of this log: a peer's `audit.log.peers.json`, the JSON of
   * `peermpc audit heads --json`, or a list of signed heads.
   */
  headsFiles?: string[];
}

/**
 * Checks the audit log of `dataDir` without a daemon (read-only).
 * @throws AuditLogError when the peer id cannot be known or a heads file cannot be read.
 */
export function verifyAuditOffline(dataDir: string, options: OfflineVerifyOptions = {}): AuditVerifyResult {
  const path = join(dataDir, AUDIT_LOG_FILE);
  if (!existsSync(path) && !existsSync(`${path}.head`))
    throw new AuditLogError(`there is no audit log in ${dataDir}`);
  const peer = options.peerId ?? peerIdOfKeyFile(join(dataDir, PEER_KEY_FILE));
  if (auditVerifier(peer) === undefined) throw new AuditLogError(`${peer} is not an Ed25519 peer id`);
  const log = new AuditLog(path, { peer, readOnly: true });
  const held = (options.headsFiles ?? []).map((f) => readHeadsFile(f, peer));
  return log.verify({ held });
}

/**
 * The heads of `peer`'s log in a file exported by another peer (see {@link OfflineVerifyOptions}).
 * @throws AuditLogError when unreadable or of no known form.
 */
export function readHeadsFile(path: string, peer: string): HeldHeads {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new AuditLogError(`cannot read the heads file ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const o = v as Record<string, unknown>;
    // `peermpc audit heads --json`: { holder, held: { <peer>: { heads, conflicts } } }
    // or a peer's audit.log.peers.json: { v, held, sent }
    if (typeof o === 'object' && o !== null && !Array.isArray(o) && typeof o.held === 'object') {
      const file = parsePeersFile(JSON.stringify({ v: 1, sent: {}, ...o, held: o.held }));
      const h = file.held[peer];
      const heads: SignedAuditHead[] = [...(h?.heads ?? []), ...(h?.conflicts ?? [])].map((x) => ({
        peer,
        seq: x.seq,
        hash: x.hash,
        sig: x.sig,
      }));
      return { holder: typeof o.holder === 'string' ? o.holder : path, heads };
    }
    if (Array.isArray(v)) return { holder: path, heads: v.map(parseSignedHead) };
  } catch (err) {
    throw new AuditLogError(`the heads file ${path} is malformed: ${(err as Error).message}`, { cause: err });
  }
  throw new AuditLogError(`the heads file ${path} is not a list of heads nor a peers heads file`);
}
