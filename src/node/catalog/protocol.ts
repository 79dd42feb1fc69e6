/**
 * The catalog protocol `/peermpc/catalog/1.0.0`: one request, one response, per stream.
 *
 * Both messages are length-prefixed (varint) UTF-8 JSON:
 * - request  `{ "name"?: string, "tag"?: string, "text"?: string, "field"?: "name"|"tag"|"any" }`:
 *   the owner's descriptions with that name and/or that tag (either match), or, when `text` is
 *   given, those the text matches in `field` (match.ts; best matches first); a server that predates
 *   `text` ignores it and answers the exact name/tag query, so clients send both;
 * - response `{ "ok": true, "descriptions": SignedDatasetDescription[] }` or
 *   `{ "ok": false, "error": string }`.
 * The server checks the access lists first, bounds the request size and the time it waits for it,
 * and closes the stream after answering. The client verifies every description it receives.
 */
import '../../polyfills.js';
import type { Connection, PeerId, Stream } from '@libp2p/interface';
import type { Logger } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';
import { AccessDeniedError, CatalogRequestError } from '../errors.js';
import type { SignedDatasetDescription } from '../types.js';
import { DENIED_REASON, failureText, refuseInBand } from '../denials.js';
import { normaliseTerm, type SearchField } from './match.js';

const SEARCH_FIELDS: readonly SearchField[] = ['name', 'tag', 'any'];

/** Protocol id. */
export const CATALOG_PROTOCOL = '/peermpc/catalog/1.0.0';
/** Largest request accepted by a server. */
export const MAX_REQUEST_BYTES = 4096;
/** Largest response accepted by a client. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** The `error` of the response to a denied peer. */
export const DENIED_ERROR = 'denied';
/** Most descriptions in one response. */
export const MAX_DESCRIPTIONS_PER_RESPONSE = 64;

/** A catalog query. */
export interface CatalogQuery {
  /** Match datasets of this name. */
  name?: string;
  /** Match datasets with this tag. */
  tag?: string;
  /** Match datasets where this (normalised) text is found in {@link CatalogQuery.field}. */
  text?: string;
  /** Where `text` is looked for (default `any`). */
  field?: SearchField;
}

type CatalogResponse = { ok: true; descriptions: unknown[] } | { ok: false; error: string };

const enc = new TextEncoder();
const dec = new TextDecoder();

/** What the server side needs from the peer. */
export interface CatalogServerDeps {
  /** Whether the access lists admit `peerId`. */
  isAllowed(peerId: string): boolean;
  /** This peer's descriptions matching a query. */
  query(q: CatalogQuery): SignedDatasetDescription[];
  /** Logger (peer ids and counts only). */
  log: Logger;
  /** Time an inbound request has to arrive and be answered (ms). */
  timeoutMs: number;
}

function parseQuery(bytes: Uint8Array): CatalogQuery {
  const v = JSON.parse(dec.decode(bytes)) as unknown;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('request is not an object');
  const o = v as Record<string, unknown>;
  const q: CatalogQuery = {};
  if (o.name !== undefined) {
    if (typeof o.name !== 'string') throw new Error('name is not a string');
    q.name = o.name;
  }
  if (o.tag !== undefined) {
    if (typeof o.tag !== 'string') throw new Error('tag is not a string');
    q.tag = o.tag;
  }
  if (o.text !== undefined) {
    const text = typeof o.text === 'string' ? normaliseTerm(o.text) : undefined;
    if (text === undefined) throw new Error('text is not a search term');
    q.text = text;
  }
  if (o.field !== undefined) {
    if (!(SEARCH_FIELDS as readonly unknown[]).includes(o.field))
      throw new Error('field is not name, tag or any');
    q.field = o.field as SearchField;
  }
  return q;
}

/** Returns the stream handler that serves catalog requests. */
export function catalogHandler(
  deps: CatalogServerDeps,
): (stream: Stream, connection: Connection) => Promise<void> {
  return async (stream, connection) => {
    const remote = connection.remotePeer.toString();
    if (!deps.isAllowed(remote)) {
      deps.log('catalog request from denied peer %s refused', remote);
      const answer = JSON.stringify({ ok: false, error: DENIED_ERROR } satisfies CatalogResponse);
      await refuseInBand(stream, enc.encode(answer), new AccessDeniedError(remote));
      return;
    }
    const signal = AbortSignal.timeout(deps.timeoutMs);
    const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_BYTES });
    try {
      let query: CatalogQuery;
      try {
        query = parseQuery((await lp.read({ signal })).subarray());
      } catch (err) {
        deps.log('bad catalog request from %s: %s', remote, (err as Error).message);
        await lp.write(
          enc.encode(JSON.stringify({ ok: false, error: 'bad request' } satisfies CatalogResponse)),
          {
            signal,
          },
        );
        await stream.close({ signal });
        return;
      }
      const descriptions = deps.query(query).slice(0, MAX_DESCRIPTIONS_PER_RESPONSE);
      deps.log.trace('catalog query from %s: %d result(s)', remote, descriptions.length);
      await lp.write(enc.encode(JSON.stringify({ ok: true, descriptions } satisfies CatalogResponse)), {
        signal,
      });
      await stream.close({ signal });
    } catch (err) {
      deps.log('catalog stream with %s failed: %s', remote, (err as Error).message);
      stream.abort(err as Error);
    }
  };
}

/** What the client side needs: a way to open a stream to a peer. */
export type DialCatalog = (peer: PeerId, options: { signal: AbortSignal }) => Promise<Stream>;

/**
 * Sends `query` to `peer` and returns the raw (unverified) descriptions.
 *
 * @throws {CatalogRequestError} on dial failure, timeout, protocol error or an error response.
 */
export async function requestCatalog(
  dial: DialCatalog,
  peer: PeerId,
  query: CatalogQuery,
  signal: AbortSignal,
): Promise<unknown[]> {
  const who = peer.toString();
  let stream: Stream | undefined;
  try {
    stream = await dial(peer, { signal });
    const lp = lpStream(stream, { maxDataLength: MAX_RESPONSE_BYTES });
    await lp.write(enc.encode(JSON.stringify(query)), { signal });
    const res = JSON.parse(dec.decode((await lp.read({ signal })).subarray())) as CatalogResponse;
    await stream.close({ signal }).catch(() => {}); // the response is read: a failed close loses nothing
    if (typeof res !== 'object' || res === null) throw new Error('response is not an object');
    if (res.ok !== true) {
      const error = String((res as { error?: unknown }).error).slice(0, 200);
      throw new Error(error === DENIED_ERROR ? DENIED_REASON : `peer answered: ${error}`);
    }
    if (!Array.isArray(res.descriptions)) throw new Error('response has no description list');
    return res.descriptions.slice(0, MAX_DESCRIPTIONS_PER_RESPONSE);
  } catch (err) {
    stream?.abort(err as Error);
    const reason = signal.aborted ? 'timeout' : failureText(err);
    throw new CatalogRequestError(who, reason, { cause: err });
  }
}
