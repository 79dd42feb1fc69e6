/**
 * The MPC frame codec: pure (no I/O, no libp2p), so it can be fuzzed on its own.
 *
 * Every frame on an MPC stream is
 * ```
 * u32 LE  length of the rest of the frame (kind .. end)
 * u8      kind: 1 hello, 2 ready, 3 data, 4 abort, 5 alive, 6 part
 * u8      job id length L (1..128), then L bytes of UTF-8 job id
 * kind-specific body:
 *   hello: u16 from, u16 to, u16 parties, 32-byte digest of the ordered party list
 *   ready: (empty)
 *   data:  u32 step, then the payload (the rest of the frame)
 *   abort: u8 code, u16 culprit (0xffff: none), u32 step (0xffffffff: none), u16 reason length R,
 *          R bytes of UTF-8 reason
 *   alive: u32 step: "I am still working on this job, and have reached this step" (a keep-alive
 *          between data frames; the step lets the receiver tell a busy party from a stuck one)
 *   part:  u32 step, u32 total, u32 offset, then a chunk: one piece of a message larger than the
 *          frame limit; the pieces of a message follow each other in order (`alive` frames may
 *          come between them), offsets from 0, until `total` bytes arrived (message-parts.ts)
 * ```
 * all integers little-endian. A stream carries one job between one pair of parties: the dialler
 * sends `hello`, the acceptor answers `ready` (or `abort` with a code), then both send `data`
 * frames, and `alive` frames while they compute (so a busy party is never taken for a dead one);
 * `abort` ends the job on the receiver.
 *
 * The decoder rejects, with a {@link FrameError} carrying a fixed reason, a length above the
 * maximum before buffering the body, an unknown kind, a bad job id, a body of the wrong size and
 * invalid UTF-8.
 */

/** Frame kinds on the wire. */
export const FRAME_KIND = { hello: 1, ready: 2, data: 3, abort: 4, alive: 5, part: 6 } as const;

/** Abort codes. */
export const ABORT_CODE = {
  /** The sending party (or `culprit`) failed the job. */
  aborted: 1,
  /** The receiver has no open session with that job id. */
  unknownJob: 2,
  /** The sender is not the party it claims for that job, or the link is not expected. */
  notAParty: 3,
  /** The receiver could not decode a frame. */
  protocolError: 4,
  /** The parties of the job differ between sender and receiver. */
  partiesMismatch: 5,
  /** The sender's access lists refuse the receiver. */
  denied: 6,
} as const;

/** One of {@link ABORT_CODE}'s values. */
export type AbortCode = (typeof ABORT_CODE)[keyof typeof ABORT_CODE];

/** A decoded frame. */
export type Frame =
  | { kind: 'hello'; jobId: string; from: number; to: number; parties: number; digest: Uint8Array }
  | { kind: 'ready'; jobId: string }
  | { kind: 'alive'; jobId: string; step: number }
  | { kind: 'data'; jobId: string; step: number; payload: Uint8Array }
  | { kind: 'part'; jobId: string; step: number; total: number; offset: number; chunk: Uint8Array }
  | { kind: 'abort'; jobId: string; code: AbortCode; culprit: number; step: number; reason: string };

/** Why a frame was rejected. */
export type FrameErrorReason =
  'oversized' | 'too-short' | 'unknown-kind' | 'bad-job-id' | 'bad-length' | 'bad-utf8' | 'bad-field';

/** A frame could not be decoded; `reason` is fixed, safe to log. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(
    readonly reason: FrameErrorReason,
    detail: string,
  ) {
    super(`invalid MPC frame (${reason}): ${detail}`);
  }
}

/** Longest job id in bytes. */
export const MAX_JOB_ID_BYTES = 128;
/** Longest abort reason in bytes (longer ones are cut). */
export const MAX_REASON_BYTES = 1024;
/** Size of the party-list digest. */
export const DIGEST_BYTES = 32;
/** No culprit / no step in an abort frame. */
export const NONE_U16 = 0xffff;
/** No step in an abort frame. */
export const NONE_U32 = 0xffffffff;

const enc = new TextEncoder();
const strictDec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }); // keep a leading BOM: ids round-trip byte for byte

/** Largest frame length (the u32 prefix) for a maximum payload (or part chunk) of `maxPayload` bytes. */
export function maxFrameLength(maxPayload: number): number {
  return 2 + MAX_JOB_ID_BYTES + 12 + maxPayload;
}

/** Encodes a job id, checking its length. @throws {RangeError} */
export function encodeJobId(jobId: string): Uint8Array {
  const b = enc.encode(jobId);
  if (b.length < 1 || b.length > MAX_JOB_ID_BYTES)
    throw new RangeError(`job id must be 1..${MAX_JOB_ID_BYTES} bytes`);
  return b;
}

/** Writes `v` as a little-endian u16 at `at`. */
function putU16(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v;
  buf[at + 1] = v >>> 8;
}

/** Writes `v` as a little-endian u32 at `at`. */
function putU32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v;
  buf[at + 1] = v >>> 8;
  buf[at + 2] = v >>> 16;
  buf[at + 3] = v >>> 24;
}

/** The little-endian u16 at `at`. */
function getU16(buf: Uint8Array, at: number): number {
  return buf[at]! | (buf[at + 1]! << 8);
}

/** The little-endian u32 at `at`. */
export function getU32(buf: Uint8Array, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
}

/**
 * A frame's buffer with its length, kind and job id written: `extra` bytes follow them (of
 * `bodyBytes` after the job id in all, the rest sent apart); the kind's fields go at `at`.
 */
function header(
  kind: number,
  job: Uint8Array,
  bodyBytes: number,
  extra: number,
): { buf: Uint8Array; at: number } {
  const buf = new Uint8Array(4 + 2 + job.length + extra);
  putU32(buf, 0, 2 + job.length + bodyBytes);
  buf[4] = kind;
  buf[5] = job.length;
  buf.set(job, 6);
  return { buf, at: 6 + job.length };
}

function checkStep(step: number): void {
  if (!Number.isInteger(step) || step < 0 || step > 0xffffffff) throw new RangeError('step must be a u32');
}

/** Encodes a hello frame. */
export function encodeHello(
  jobId: string,
  from: number,
  to: number,
  parties: number,
  digest: Uint8Array,
): Uint8Array {
  if (digest.length !== DIGEST_BYTES) throw new RangeError('digest must be 32 bytes');
  const { buf, at } = header(FRAME_KIND.hello, encodeJobId(jobId), 6 + DIGEST_BYTES, 6 + DIGEST_BYTES);
  putU16(buf, at, from);
  putU16(buf, at + 2, to);
  putU16(buf, at + 4, parties);
  buf.set(digest, at + 6);
  return buf;
}

/** Encodes a ready frame. */
export function encodeReady(jobId: string): Uint8Array {
  return header(FRAME_KIND.ready, encodeJobId(jobId), 0, 0).buf;
}

/** Encodes a keep-alive frame: the sender still works on the job and has reached `step`. */
export function encodeAlive(jobId: string, step: number): Uint8Array {
  const { buf, at } = header(FRAME_KIND.alive, encodeJobId(jobId), 4, 4);
  putU32(buf, at, step);
  return buf;
}

/**
 * Encodes the header of a data frame (everything before the payload); send the payload right after.
 * `jobIdBytes` is the pre-encoded job id.
 */
export function encodeDataHeader(jobIdBytes: Uint8Array, step: number, payloadBytes: number): Uint8Array {
  checkStep(step);
  const { buf, at } = header(FRAME_KIND.data, jobIdBytes, 4 + payloadBytes, 4);
  putU32(buf, at, step);
  return buf;
}

/**
 * Encodes a whole data frame into one buffer, copying the payload (one allocation: for small
 * payloads, where the copy costs less than a second write). `jobIdBytes` is the pre-encoded job id.
 */
export function encodeDataFrame(jobIdBytes: Uint8Array, step: number, payload: Uint8Array): Uint8Array {
  checkStep(step);
  const { buf, at } = header(FRAME_KIND.data, jobIdBytes, 4 + payload.length, 4 + payload.length);
  putU32(buf, at, step);
  buf.set(payload, at + 4);
  return buf;
}

/**
 * Encodes the header of a part frame (everything before the chunk): bytes `offset ..
 * offset + chunkBytes` of a message of `total` bytes at `step`; send the chunk right after.
 */
export function encodePartHeader(
  jobIdBytes: Uint8Array,
  step: number,
  total: number,
  offset: number,
  chunkBytes: number,
): Uint8Array {
  checkStep(step);
  if (!(total <= 0xffffffff && offset >= 0 && offset + chunkBytes <= total))
    throw new RangeError('part outside its message');
  const { buf, at } = header(FRAME_KIND.part, jobIdBytes, 12 + chunkBytes, 12);
  putU32(buf, at, step);
  putU32(buf, at + 4, total);
  putU32(buf, at + 8, offset);
  return buf;
}

/** Encodes a whole data frame into one buffer (copies the payload). */
export function encodeData(jobId: string, step: number, payload: Uint8Array): Uint8Array {
  return encodeDataFrame(encodeJobId(jobId), step, payload);
}

/** Encodes an abort frame; the reason is cut to {@link MAX_REASON_BYTES}. */
export function encodeAbort(
  jobId: string,
  code: AbortCode,
  culprit: number,
  step: number,
  reason: string,
): Uint8Array {
  let r = enc.encode(reason);
  if (r.length > MAX_REASON_BYTES) r = enc.encode(strictCut(reason, MAX_REASON_BYTES));
  const { buf, at } = header(FRAME_KIND.abort, encodeJobId(jobId), 9 + r.length, 9 + r.length);
  buf[at] = code;
  putU16(buf, at + 1, culprit < 0 || culprit > NONE_U16 ? NONE_U16 : culprit);
  putU32(buf, at + 3, step < 0 || step > NONE_U32 ? NONE_U32 : step);
  putU16(buf, at + 7, r.length);
  buf.set(r, at + 9);
  return buf;
}

/** Cuts `s` so its UTF-8 encoding fits in `max` bytes (on a code point boundary). */
function strictCut(s: string, max: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const n = enc.encode(ch).length;
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out;
}

const ABORT_CODES = new Set<number>(Object.values(ABORT_CODE));

/** A plain Uint8Array copy (not a Buffer, whose `slice` would share memory), offset 0. */
function copyOf(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

/**
 * Remembers the last job id decoded, as bytes and string, so that the frames of one stream (one
 * job) are not decoded to a new string each time: a frame whose job id bytes are the same gets the
 * same string, already checked as UTF-8.
 */
export class JobIdCache {
  private bytes: Uint8Array | undefined;
  private id = '';

  /** The job id of `bytes`. @throws {FrameError} 'bad-utf8' when they are not UTF-8. */
  decode(bytes: Uint8Array): string {
    if (this.bytes !== undefined && sameBytes(this.bytes, bytes)) return this.id;
    this.id = decodeJobId(bytes);
    this.bytes = bytes.slice();
    return this.id;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function decodeJobId(bytes: Uint8Array): string {
  try {
    return strictDec.decode(bytes);
  } catch {
    throw new FrameError('bad-utf8', 'job id is not UTF-8');
  }
}

/**
 * Decodes one frame body (the bytes after the u32 length); `jobIds` spares decoding the same job
 * id again. @throws {FrameError}
 */
export function decodeFrameBody(body: Uint8Array, jobIds?: JobIdCache): Frame {
  if (body.length < 2) throw new FrameError('too-short', `${body.length} byte(s)`);
  const kind = body[0]!;
  const jobLen = body[1]!;
  if (jobLen < 1 || jobLen > MAX_JOB_ID_BYTES) throw new FrameError('bad-job-id', `job id length ${jobLen}`);
  if (body.length < 2 + jobLen) throw new FrameError('too-short', 'job id cut short');
  const idBytes = body.subarray(2, 2 + jobLen);
  const jobId = jobIds === undefined ? decodeJobId(idBytes) : jobIds.decode(idBytes);
  const at = 2 + jobLen;
  const rest = body.length - at;
  switch (kind) {
    case FRAME_KIND.hello: {
      if (rest !== 6 + DIGEST_BYTES) throw new FrameError('bad-length', `hello body of ${rest} bytes`);
      const from = getU16(body, at);
      const to = getU16(body, at + 2);
      const parties = getU16(body, at + 4);
      if (parties < 2 || from >= parties || to >= parties || from === to) {
        throw new FrameError('bad-field', 'hello party indices out of range');
      }
      return {
        kind: 'hello',
        jobId,
        from,
        to,
        parties,
        digest: copyOf(body.subarray(at + 6, at + 6 + DIGEST_BYTES)),
      };
    }
    case FRAME_KIND.ready:
      if (rest !== 0) throw new FrameError('bad-length', `ready body of ${rest} bytes`);
      return { kind: 'ready', jobId };
    case FRAME_KIND.alive:
      if (rest !== 4) throw new FrameError('bad-length', `alive body of ${rest} bytes`);
      return { kind: 'alive', jobId, step: getU32(body, at) };
    case FRAME_KIND.data:
      if (rest < 4) throw new FrameError('bad-length', 'data frame without step');
      // a copy: the payload owns its (8-byte aligned) buffer, so word views on it are safe
      return { kind: 'data', jobId, step: getU32(body, at), payload: copyOf(body.subarray(at + 4)) };
    case FRAME_KIND.part: {
      if (rest < 12) throw new FrameError('bad-length', 'part frame cut short');
      const total = getU32(body, at + 4);
      const offset = getU32(body, at + 8);
      const chunk = copyOf(body.subarray(at + 12));
      if (chunk.length === 0 || offset + chunk.length > total)
        throw new FrameError('bad-field', 'part outside its message');
      return { kind: 'part', jobId, step: getU32(body, at), total, offset, chunk };
    }
    case FRAME_KIND.abort: {
      if (rest < 9) throw new FrameError('bad-length', 'abort frame cut short');
      const code = body[at]!;
      if (!ABORT_CODES.has(code)) throw new FrameError('bad-field', `abort code ${code}`);
      const culprit = getU16(body, at + 1);
      const step = getU32(body, at + 3);
      const rlen = getU16(body, at + 7);
      if (rlen > MAX_REASON_BYTES || rest !== 9 + rlen)
        throw new FrameError('bad-length', 'abort reason length');
      let reason: string;
      try {
        reason = strictDec.decode(body.subarray(at + 9, at + 9 + rlen));
      } catch {
        throw new FrameError('bad-utf8', 'abort reason is not UTF-8');
      }
      return {
        kind: 'abort',
        jobId,
        code: code as AbortCode,
        culprit: culprit === NONE_U16 ? -1 : culprit,
        step: step === NONE_U32 ? -1 : step,
        reason,
      };
    }
    default:
      throw new FrameError('unknown-kind', `kind ${kind}`);
  }
}
