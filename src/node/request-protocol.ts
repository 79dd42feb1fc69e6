/**
 * Request/reply messaging between peers for the layers above (jobs): one JSON request and one JSON
 * reply per stream, each length-prefixed, on a protocol id under `/peermpc/`.
 *
 * The sender is authenticated by libp2p (Noise): the handler receives the remote peer id. Both ends
 * check the access lists; the server bounds the request size and the time to read it and to
 * answer; the client bounds the reply size and the whole exchange.
 *
 * A protocol whose messages differ in size may be *typed*: the request is then two frames, the
 * message's `type` (at most {@link MAX_TYPE_BYTES} bytes of ASCII) and the message, and the server
 * bounds the message by its type's limit before reading it: an unknown type is refused unread, and
 * a small control message cannot carry megabytes. The message's own `type` must equal the frame's.
 */
import '../polyfills.js';
import type { Connection, Logger, PeerId, Stream } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';
import { DENIED_REASON, DENIED_REPLY, failureText, isDeniedReply, refuseInBand } from './denials.js';
import { AccessDeniedError } from './errors.js';
import { isRelayed } from './nat.js';

/** A request/reply exchange failed (unreachable peer, timeout, oversized or malformed reply). */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    readonly peer: string,
    readonly protocol: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`request to ${peer} on ${protocol} failed: ${reason}`, options);
  }
}

/** The connection a request came on: its remote address (as this peer sees it) and whether it is relayed. */
export interface RequestConnection {
  /** The remote multiaddr of the connection (a `/p2p-circuit` one when relayed). */
  remoteAddr: string;
  /** Whether the connection goes through a relay. */
  relayed: boolean;
}

/** Handles one request from an authenticated peer; resolves with the reply (JSON-serialisable). */
export type RequestHandler = (message: unknown, from: string, via: RequestConnection) => Promise<unknown>;

/** Options of a request handler. */
export interface HandleRequestsOptions {
  /**
   * Largest request accepted, in bytes (default 4 MiB), or, for a typed protocol, the largest of
   * each message type (no other type is accepted; clients must send with `typed`).
   */
  maxRequestBytes?: number | Readonly<Record<string, number>>;
  /** Time to read the request and send the reply, in ms. Default 30 000. */
  timeoutMs?: number;
}

/** Options of a request. */
export interface RequestOptions {
  /** Aborts the dial, the write and the wait for the reply. */
  signal?: AbortSignal;
  /** Largest reply accepted, in bytes. Default 4 MiB. */
  maxReplyBytes?: number;
  /** Whole exchange, in ms. Default 30 000. */
  timeoutMs?: number;
  /** Send the message's `type` as a frame first (the protocol is typed: see the module comment). */
  typed?: boolean;
}

/** Longest message type of a typed protocol (bytes). */
export const MAX_TYPE_BYTES = 32;

/** A typed request broke the framing (unknown type, or a message whose type is not the frame's). */
export class RequestTypeError extends Error {
  override readonly name = 'RequestTypeError';
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const RESERVED = ['/peermpc/kad/', '/peermpc/catalog/', '/peermpc/mpc/'];

/** Checks a protocol id for application messaging. @throws {RangeError} */
export function checkRequestProtocol(protocol: string): string {
  if (
    !/^\/peermpc\/[a-z0-9][a-z0-9._/-]*\/\d+\.\d+\.\d+$/.test(protocol) ||
    RESERVED.some((r) => protocol.startsWith(r))
  ) {
    throw new RangeError(
      `protocol must look like /peermpc/<name>/<version> and not be a reserved one: ${protocol}`,
    );
  }
  return protocol;
}

/** The stream handler serving `handler` on `protocol`. */
export function requestStreamHandler(
  protocol: string,
  handler: RequestHandler,
  isAllowed: (peerId: string) => boolean,
  log: Logger,
  options: HandleRequestsOptions = {},
): (stream: Stream, connection: Connection) => Promise<void> {
  const maxBytes = options.maxRequestBytes ?? 4 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 30_000;
  return async (stream, connection) => {
    const from = connection.remotePeer.toString();
    if (!isAllowed(from)) {
      log('%s request from denied peer %s refused', protocol, from);
      await refuseInBand(stream, enc.encode(JSON.stringify(DENIED_REPLY)), new AccessDeniedError(from));
      return;
    }
    const signal = AbortSignal.timeout(timeoutMs);
    const limits = typeof maxBytes === 'number' ? undefined : maxBytes;
    // lpStream reads `maxDataLength` from this object at every read: set per frame below.
    const lpOptions = { maxDataLength: limits === undefined ? (maxBytes as number) : largest(limits) };
    const lp = lpStream(stream, lpOptions);
    try {
      let message: unknown;
      try {
        let type: string | undefined;
        if (limits !== undefined) {
          lpOptions.maxDataLength = MAX_TYPE_BYTES;
          type = dec.decode((await lp.read({ signal })).subarray());
          if (!Object.hasOwn(limits, type)) throw new RequestTypeError('unknown message type');
          lpOptions.maxDataLength = limits[type]!;
        }
        message = JSON.parse(dec.decode((await lp.read({ signal })).subarray()));
        if (type !== undefined && (message as { type?: unknown } | null)?.type !== type)
          throw new RequestTypeError('the message is not of the type its frame announced');
      } catch (err) {
        log('%s: unreadable request from %s: %s', protocol, from, (err as Error).message);
        stream.abort(err as Error);
        return;
      }
      const remoteAddr = connection.remoteAddr.toString();
      const reply = await handler(message, from, { remoteAddr, relayed: isRelayed(connection) });
      await lp.write(enc.encode(JSON.stringify(reply ?? null)), { signal });
      await stream.close({ signal });
    } catch (err) {
      log('%s: request from %s failed: %s', protocol, from, (err as Error).message);
      stream.abort(err as Error);
    }
  };
}

/** Sends one request and returns the parsed reply (a refusal by the peer's access lists is a
 * RequestError saying so). @throws {RequestError} */
export async function sendRequest(
  dial: (peer: PeerId, protocol: string, options: { signal: AbortSignal }) => Promise<Stream>,
  peer: PeerId,
  protocol: string,
  message: unknown,
  options: RequestOptions = {},
): Promise<unknown> {
  const signal = AbortSignal.any([
    AbortSignal.timeout(options.timeoutMs ?? 30_000),
    ...(options.signal ? [options.signal] : []),
  ]);
  let stream: Stream | undefined;
  let reply: unknown;
  try {
    stream = await dial(peer, protocol, { signal });
    const lp = lpStream(stream, { maxDataLength: options.maxReplyBytes ?? 4 * 1024 * 1024 });
    const body = enc.encode(JSON.stringify(message));
    if (options.typed === true) await lp.writeV([typeFrame(message), body], { signal });
    else await lp.write(body, { signal });
    reply = JSON.parse(dec.decode((await lp.read({ signal })).subarray())) as unknown;
    await stream.close({ signal }).catch(() => {}); // the reply is read: a failed close loses nothing
  } catch (err) {
    stream?.abort(err as Error);
    const reason = signal.aborted && !options.signal?.aborted ? 'timeout' : failureText(err);
    throw new RequestError(peer.toString(), protocol, reason, { cause: err });
  }
  if (isDeniedReply(reply)) throw new RequestError(peer.toString(), protocol, DENIED_REASON);
  return reply;
}

/** The largest of a typed protocol's limits (what the length prefix may announce at most). */
function largest(limits: Readonly<Record<string, number>>): number {
  return Math.max(MAX_TYPE_BYTES, ...Object.values(limits));
}

/** The type frame of a typed request. @throws {RequestTypeError} when the message has no usable type. */
function typeFrame(message: unknown): Uint8Array {
  const type = (message as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !/^[a-z][a-z0-9-]*$/.test(type) || type.length > MAX_TYPE_BYTES)
    throw new RequestTypeError('a typed request needs a short lowercase "type"');
  return enc.encode(type);
}
