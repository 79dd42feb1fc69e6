/**
 * DHT keys of the catalog.
 *
 * - Provider keys: the CID (v1, raw, sha2-256) of `peermpc:dataset:<name>`, of `peermpc:tag:<tag>`
 *   and of `peermpc:prefix:<3 characters>`; an owner provides one per dataset, one per tag and one
 *   per distinct start of the name, the tags and their words (match.ts).
 * - Page keys: the same texts followed by `#p<page>`, `page` in 0..{@link KEY_PAGES}-1. An owner
 *   provides, besides each key, the one page of it that {@link pageOf} gives its peer id, so a key
 *   held by many owners is spread over {@link KEY_PAGES} smaller keys (pages.ts reads them). Names,
 *   tags and prefixes never contain `#`, so a page key is never another key.
 * - Record keys: `/peermpc-dataset/<owner>/<name>` may hold a copy of the signed description; the
 *   validator accepts only a description signed by `<owner>` and named `<name>`, the selector
 *   prefers the newest. peermpc does not put such records today (a copy served by other peers
 *   would bypass the owner's access lists); the validator makes every peer refuse forged ones.
 */
import '../../polyfills.js';
import { peerIdFromString } from '@libp2p/peer-id';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import { verifySignedDescription } from '../dataset/description.js';

/** Namespace (first key segment) of dataset description records in the DHT. */
export const DATASET_RECORD_NAMESPACE = 'peermpc-dataset';

/**
 * Pages of every provider key. A protocol constant: searchers read pages 0..KEY_PAGES-1, so a
 * change makes owners and searchers of different versions miss each other's pages.
 */
export const KEY_PAGES = 16;

/** The key text of a dataset name. */
export function datasetNameKey(name: string): string {
  return `peermpc:dataset:${name}`;
}

/** The key text of a tag. */
export function datasetTagKey(tag: string): string {
  return `peermpc:tag:${tag}`;
}

/** The key text of a prefix of a name, a tag or one of their words (see match.ts). */
export function datasetPrefixKey(prefix: string): string {
  return `peermpc:prefix:${prefix}`;
}

/** The key text of page `page` of the key text `key`. */
export function pageKey(key: string, page: number): string {
  return `${key}#p${page}`;
}

/**
 * The page an owner provides its keys under: the first byte of sha256 of its peer id's multihash,
 * modulo {@link KEY_PAGES}. Searchers never compute it (they read every page); it spreads owners
 * over the pages and keeps an owner on the same page across restarts, so that it withdraws the
 * records it made before.
 * @throws when `owner` is not a peer id
 */
export async function pageOf(owner: string): Promise<number> {
  const digest = await sha256.digest(peerIdFromString(owner).toMultihash().bytes);
  return digest.digest[0]! % KEY_PAGES;
}

/** The CID provided for a key text (v1, raw, sha2-256 of its UTF-8 bytes). */
export async function keyCid(text: string): Promise<CID> {
  const digest = await sha256.digest(new TextEncoder().encode(text));
  return CID.createV1(raw.code, digest);
}

/** The CID provided for a dataset name. */
export async function datasetNameCid(name: string): Promise<CID> {
  return keyCid(datasetNameKey(name));
}

/** The CID provided for a tag. */
export async function datasetTagCid(tag: string): Promise<CID> {
  return keyCid(datasetTagKey(tag));
}

/** The CID provided for a prefix of a name, a tag or one of their words (see match.ts). */
export async function datasetPrefixCid(prefix: string): Promise<CID> {
  return keyCid(datasetPrefixKey(prefix));
}

/** The DHT record key holding `owner`'s description of `name`. */
export function datasetRecordKey(owner: string, name: string): Uint8Array {
  return new TextEncoder().encode(`/${DATASET_RECORD_NAMESPACE}/${owner}/${name}`);
}

/**
 * UTF-8 text, refusing invalid bytes (a lenient decoder maps distinct keys to one name).
 * @throws SyntaxError, as JSON.parse does for text that is not JSON.
 */
function strictText(b: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(b);
  } catch {
    throw new SyntaxError('a dataset record key or value is not UTF-8 text');
  }
}

function parseRecordKey(key: Uint8Array): { owner: string; name: string } {
  const parts = strictText(key).split('/');
  if (parts.length !== 4 || parts[0] !== '' || parts[1] !== DATASET_RECORD_NAMESPACE) {
    throw new Error('malformed dataset record key');
  }
  return { owner: parts[2]!, name: parts[3]! };
}

function parseValue(value: Uint8Array): unknown {
  return JSON.parse(strictText(value)) as unknown;
}

/** kad-dht validator: the value must be a description signed by the key's owner, of the key's name. */
export async function datasetRecordValidator(key: Uint8Array, value: Uint8Array): Promise<void> {
  const expected = parseRecordKey(key);
  await verifySignedDescription(parseValue(value), expected.owner, expected);
}

/** kad-dht selector: the record with the latest `created` time (records are validated first). */
export function datasetRecordSelector(_key: Uint8Array, records: Uint8Array[]): number {
  let best = 0;
  let bestTime = -Infinity;
  records.forEach((r, i) => {
    try {
      const t = Date.parse((parseValue(r) as { description: { created: string } }).description.created);
      if (t > bestTime) {
        best = i;
        bestTime = t;
      }
    } catch {
      // an unparsable record never wins
    }
  });
  return best;
}
