/**
 * Denied attempts, on both sides of the access lists.
 *
 * On the denying peer, every connection or stream the lists refuse is reported to listeners (the
 * daemon prints a line, the jobs layer audits it, both throttled: a stranger can make attempts as fast
 * as it can open connections). On the denied peer, a refusal must read as one: a stream refused on an
 * open connection is answered in band ({@link DENIED_REPLY}), and a connection closed during its
 * set-up (what the gater does to a denied peer, before any protocol) is explained as what it most
 * likely is.
 */
import type { Stream } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';

/** A connection or stream the access lists refused. */
export interface DeniedAttempt {
  /** The remote peer id. */
  peer: string;
  /** `connection`, or the protocol id of the refused stream. */
  what: string;
  /** When. */
  time: Date;
}

/** Listeners of denied attempts. */
export class DeniedAttempts {
  private readonly listeners = new Set<(a: DeniedAttempt) => void>();

  /** Calls `listener` with every denied attempt from now on; returns the unsubscribe. */
  on(listener: (a: DeniedAttempt) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Reports an attempt (a listener that throws is ignored). */
  report(peer: string, what: string, time: Date = new Date()): void {
    for (const l of this.listeners) {
      try {
        l({ peer, what, time });
      } catch {
        // a listener's failure must not change what the gater or a handler decides
      }
    }
  }
}

/**
 * Answers a refused peer in band: writes `reply` (one length-prefixed message) without reading its
 * request, then closes; aborts with `reason` when the stream cannot take it.
 */
export async function refuseInBand(stream: Stream, reply: Uint8Array, reason: Error): Promise<void> {
  const signal = AbortSignal.timeout(2_000);
  try {
    await lpStream(stream).write(reply, { signal });
    await stream.close({ signal });
  } catch {
    stream.abort(reason);
  }
}

/** The key of the in-band reply a request server sends a denied peer (no handler reply has it). */
export const DENIED_KEY = 'peermpc/denied';

/** The in-band reply to a request from a denied peer. */
export const DENIED_REPLY: Readonly<Record<string, string>> = { [DENIED_KEY]: 'access lists' };

/** Whether a reply is {@link DENIED_REPLY}. */
export function isDeniedReply(reply: unknown): boolean {
  return typeof reply === 'object' && reply !== null && Object.hasOwn(reply, DENIED_KEY);
}

/** What a denied peer is told about an in-band refusal. */
export const DENIED_REASON = "denied by the peer's access lists";

const CLOSED_BEFORE_ANSWER =
  'the peer closed the stream before answering (it may be stopping, or its access lists may deny this peer)';

/**
 * The text of a failed dial or exchange: the error's message (or its name), with the likely cause
 * when the remote closed the connection while it was being set up or before it answered (what a
 * peer whose access lists deny this one does). libp2p may reject with a stream's close event
 * rather than an error.
 */
export function failureText(err: unknown): string {
  const e = err as {
    name?: unknown;
    message?: unknown;
    type?: unknown;
    error?: unknown;
    local?: unknown;
  } | null;
  if (e?.type === 'close' && typeof e === 'object' && !(err instanceof Error)) {
    if (e.error !== undefined) return failureText(e.error);
    return e.local === true ? 'the stream was closed' : CLOSED_BEFORE_ANSWER;
  }
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : undefined;
  const name = typeof e?.name === 'string' && e.name !== '' ? e.name : undefined;
  const text = message ?? name ?? (err === undefined || err === null ? 'unknown error' : String(err));
  if (/stream closed while reading 0\//.test(text)) return CLOSED_BEFORE_ANSWER;
  if (/closed connection during opening/i.test(text)) {
    return `${text} (the peer refused the connection: its access lists may deny this peer)`;
  }
  return text;
}
