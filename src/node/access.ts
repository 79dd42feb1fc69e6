/**
 * Access lists: allow and deny lists of peer ids, persisted in `<dataDir>/access.json`.
 *
 * Enforced twice: by the libp2p connection gater (a denied peer cannot open or accept a connection)
 * and again by every peermpc protocol handler (a stream from a denied peer is reset), so a change
 * applies at once even to connections that were already open.
 * Rules: deny wins; when the allow list is non-empty only listed peers get in; this peer always does.
 */
import { boundText } from '../util/bound.js';
import { MAX_PEER_ID_CHARS } from './peer-keys.js';
import '../polyfills.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConnectionGater, PeerId } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { writeFileAtomic } from './atomic-file.js';
import { DeniedAttempts, type DeniedAttempt } from './denials.js';
import { InvalidPeerAddressError, StateFileError } from './errors.js';
import type { AccessLists } from './types.js';

/** File name of the access lists inside the data directory. */
export const ACCESS_FILE = 'access.json';

/** Validates and normalises a peer id string. @throws {InvalidPeerAddressError} */
export function normalisePeerId(value: string): string {
  try {
    if (value.length > MAX_PEER_ID_CHARS) throw new TypeError('too long for a peer id');
    return peerIdFromString(value).toString();
  } catch (err) {
    throw new InvalidPeerAddressError(boundText(value, 128), { cause: err });
  }
}

/** Mutable, persisted access lists. */
export class AccessList {
  private allowSet = new Set<string>();
  private denySet = new Set<string>();
  private readonly path: string;
  private readonly denied = new DeniedAttempts();

  private constructor(
    dataDir: string,
    /** This peer's id: always allowed. */
    private readonly self: string,
  ) {
    this.path = join(dataDir, ACCESS_FILE);
  }

  /** Loads `<dataDir>/access.json` (missing = empty lists), then merges `initial`. */
  static async load(dataDir: string, self: string, initial?: Partial<AccessLists>): Promise<AccessList> {
    const list = new AccessList(dataDir, self);
    let text: string | undefined;
    try {
      text = await readFile(list.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== undefined) {
      let parsed: Partial<AccessLists>;
      try {
        parsed = JSON.parse(text) as Partial<AccessLists>;
        if (!Array.isArray(parsed.allow ?? []) || !Array.isArray(parsed.deny ?? []))
          throw new Error('not lists');
        for (const p of parsed.allow ?? []) list.allowSet.add(normalisePeerId(p));
        for (const p of parsed.deny ?? []) list.denySet.add(normalisePeerId(p));
      } catch (err) {
        throw new StateFileError(list.path, `corrupt access lists: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    const changed = (initial?.allow?.length ?? 0) + (initial?.deny?.length ?? 0) > 0;
    for (const p of initial?.allow ?? []) list.allowSet.add(normalisePeerId(p));
    for (const p of initial?.deny ?? []) list.denySet.add(normalisePeerId(p));
    if (changed) await list.save();
    return list;
  }

  /** The lists, sorted. */
  get(): AccessLists {
    return { allow: [...this.allowSet].sort(), deny: [...this.denySet].sort() };
  }

  /** Whether `peerId` (string) may talk to this peer. */
  isAllowed(peerId: string): boolean {
    if (peerId === this.self) return true;
    if (this.denySet.has(peerId)) return false;
    return this.allowSet.size === 0 || this.allowSet.has(peerId);
  }

  /**
   * Whether `peerId` may talk to this peer, reporting a refusal of `what` (`connection` or a
   * protocol id) to the {@link AccessList.onDenied} listeners.
   */
  admit(peerId: string, what: string): boolean {
    const ok = this.isAllowed(peerId);
    if (!ok) this.denied.report(peerId, what);
    return ok;
  }

  /** Calls `listener` with every refused inbound connection or stream; returns the unsubscribe. */
  onDenied(listener: (a: DeniedAttempt) => void): () => void {
    return this.denied.on(listener);
  }

  /** Adds to the allow list and persists. */
  async allow(peerIds: string[]): Promise<AccessLists> {
    for (const p of peerIds) this.allowSet.add(normalisePeerId(p));
    await this.save();
    return this.get();
  }

  /** Adds to the deny list and persists. */
  async deny(peerIds: string[]): Promise<AccessLists> {
    for (const p of peerIds) this.denySet.add(normalisePeerId(p));
    await this.save();
    return this.get();
  }

  /** Removes from both lists and persists. */
  async clear(peerIds: string[]): Promise<AccessLists> {
    for (const p of peerIds) {
      const id = normalisePeerId(p);
      this.allowSet.delete(id);
      this.denySet.delete(id);
    }
    await this.save();
    return this.get();
  }

  /**
   * A libp2p connection gater that consults these lists on every dial and every accepted connection;
   * an inbound connection refused once the remote is known (after Noise) is a denied attempt.
   */
  gater(): ConnectionGater {
    const denied = (peerId: PeerId): boolean => !this.isAllowed(peerId.toString());
    return {
      denyDialPeer: denied,
      denyInboundEncryptedConnection: (peerId) => !this.admit(peerId.toString(), 'connection'),
      denyOutboundEncryptedConnection: denied,
      denyInboundUpgradedConnection: denied,
      denyOutboundUpgradedConnection: denied,
    };
  }

  private async save(): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify(this.get(), null, 2) + '\n');
  }
}
