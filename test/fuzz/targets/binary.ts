/**
 * Binary decoders: the ring tensor codec and the protocols' payload reader (src/tensor/codec.ts,
 * src/protocols/wire.ts), the MPC frame codec (src/node/mpc/frame.ts), and a dataset's data and
 * prints files (src/node/dataset/data-file.ts, row-prints.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDataFile, DataFileError, DataFileWriter } from '../../../src/node/dataset/data-file.js';
import { decodeRowPrints, encodeRowPrints, readPrintsFile } from '../../../src/node/dataset/row-prints.js';
import { FrameDecoder } from '../../../src/node/mpc/frame-decoder.js';
import * as F from '../../../src/node/mpc/frame.js';
import { payloadTensor, payloadWords } from '../../../src/protocols/wire.js';
import { CodecError, decodeRing, encodeRing, RingTensor } from '../../../src/tensor/index.js';
import { freshDir } from '../lib/scratch.js';
import { bytesTarget, expectErrors, InvariantError } from '../lib/target.js';

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/** `src/tensor/codec.ts` decodeRing (three option sets, aligned and not) and wire.ts payloadWords. */
export const tensorTarget = bytesTarget({
  name: 'tensor',
  summary: 'ring tensor codec decodeRing (+ re-encode round trip) and wire.ts payloadWords/payloadTensor',
  seeds: () =>
    (
      [
        [[], 'ring'],
        [[0], 'ring'],
        [[3], 'bool'],
        [[2, 3], 'ring'],
        [[1, 1, 1, 1, 1, 1, 1, 1], 'ring'],
        [[4, 0, 2], 'bool'],
        [[5, 7], 'ring'],
      ] as const
    ).map(([shape, kind]) => {
      const n = (shape as readonly number[]).reduce((a, b) => a * b, 1);
      const values = Array.from({ length: n }, (_, i) => BigInt(i) * 0x0123456789abcdefn + 1n);
      return encodeRing(RingTensor.fromBigInts(values, [...shape]), kind);
    }),
  dictionary: [new Uint8Array([0x52, 0x50, 1, 0]), new Uint8Array([0x52, 0x50, 1, 1])],
  run(bytes) {
    // an unaligned copy too, to take the copying path
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    const results: unknown[] = [];
    for (const [input, options] of [
      [bytes, {}],
      [shifted, { maxWords: 1024, kind: 'bool' as const }],
      [bytes, { copy: true, maxWords: 1 }],
    ] as const) {
      try {
        const { tensor, kind } = decodeRing(input, options);
        if (!same(encodeRing(tensor, kind), input))
          throw new InvariantError('decode then encode changed the bytes');
        results.push(tensor.shape);
      } catch (err) {
        if (!(err instanceof CodecError)) throw err;
        results.push(err.code);
      }
    }
    for (const n of [bytes.length >> 3, 1, 0]) {
      try {
        payloadTensor(bytes, [n], 1, 7);
        payloadWords(shifted, n, 1, 7);
      } catch (err) {
        if (!(err instanceof RangeError) || !/sent \d+ bytes for step/.test(err.message)) throw err;
      }
    }
    return results;
  },
  expected: expectErrors(CodecError),
});

/** One decoded frame written back with the module's encoders. */
function reencode(f: F.Frame): Uint8Array {
  try {
    return encodeFrame(f);
  } catch (err) {
    throw new InvariantError(`a decoded ${f.kind} frame cannot be encoded: ${(err as Error).message}`);
  }
}

function encodeFrame(f: F.Frame): Uint8Array {
  switch (f.kind) {
    case 'hello':
      return F.encodeHello(f.jobId, f.from, f.to, f.parties, f.digest);
    case 'ready':
      return F.encodeReady(f.jobId);
    case 'alive':
      return F.encodeAlive(f.jobId, f.step);
    case 'data':
      return F.encodeData(f.jobId, f.step, f.payload);
    case 'part': {
      const h = F.encodePartHeader(F.encodeJobId(f.jobId), f.step, f.total, f.offset, f.chunk.length);
      return new Uint8Array(Buffer.concat([h, f.chunk]));
    }
    case 'abort':
      return F.encodeAbort(f.jobId, f.code, f.culprit, f.step, f.reason);
  }
}

/** Deterministic chunk boundaries for a stream (a function of its length). */
export function chunksOf(bytes: Uint8Array): Uint8Array[] {
  const sizes = [1, 3, 17, 256, 4096, 65_536];
  const out: Uint8Array[] = [];
  for (let at = 0, k = bytes.length % sizes.length; at < bytes.length; k++) {
    const n = sizes[k % sizes.length]!;
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

function decodeStream(chunks: Uint8Array[], maxPayload: number): { frames: F.Frame[]; error?: string } {
  const d = new FrameDecoder(maxPayload);
  const frames: F.Frame[] = [];
  try {
    for (const c of chunks) frames.push(...d.push(c));
  } catch (err) {
    if (!(err instanceof F.FrameError)) throw err;
    return { frames, error: err.reason };
  }
  return { frames };
}

const job = 'job-0123456789abcdef';
const digest = new Uint8Array(32).fill(7);

function partFrame(step: number, total: number, offset: number, chunk: Uint8Array): Uint8Array {
  const h = F.encodePartHeader(F.encodeJobId(job), step, total, offset, chunk.length);
  return Buffer.concat([h, chunk]);
}

/** `src/node/mpc/frame.ts` and `frame-decoder.ts`: FrameDecoder whole and chunked (same frames), decodeFrameBody, re-encoding. */
export const frameTarget = bytesTarget({
  name: 'frame',
  summary: 'MPC frames: FrameDecoder.push whole vs chunked, decodeFrameBody, re-encode round trip',
  seeds: () => [
    F.encodeHello(job, 0, 1, 3, digest),
    F.encodeReady(job),
    F.encodeAlive(job, 7),
    F.encodeData(job, 5, new Uint8Array(24).fill(1)),
    F.encodeData(job, 6, new Uint8Array(5000).fill(2)),
    partFrame(8, 9000, 0, new Uint8Array(24).fill(3)),
    partFrame(8, 9000, 4000, new Uint8Array(5000).fill(4)),
    F.encodeAbort(job, F.ABORT_CODE.aborted, 2, 9, 'party 2 failed: timeout'),
    F.encodeAbort('é', F.ABORT_CODE.denied, -1, -1, ''),
    Buffer.concat([
      F.encodeReady(job),
      F.encodeData(job, 0, new Uint8Array(8)),
      F.encodeData(job, 1, new Uint8Array(16)),
    ]),
  ],
  dictionary: [
    new Uint8Array([1]),
    new Uint8Array([3]),
    new Uint8Array([0xff, 0xff, 0xff, 0xff]),
    new Uint8Array([0xef, 0xbb, 0xbf]), // a UTF-8 byte order mark
    new Uint8Array([0xed, 0xa0, 0x80]), // an encoded surrogate (invalid UTF-8)
  ],
  run(bytes) {
    const maxPayload = 1 << 16;
    const whole = decodeStream([bytes], maxPayload);
    const chunked = decodeStream(chunksOf(bytes), maxPayload);
    // A push that throws drops the frames it decoded before the bad one (the link fails anyway), so
    // chunks can deliver more frames before the error: the whole decode's frames must be a prefix.
    const prefix = whole.error !== undefined && chunked.error !== undefined;
    if (
      whole.error !== chunked.error ||
      (prefix ? whole.frames.length > chunked.frames.length : whole.frames.length !== chunked.frames.length)
    )
      throw new InvariantError(
        `whole: ${whole.frames.length} frames, ${whole.error}; chunked: ${chunked.frames.length}, ${chunked.error}`,
      );
    let at = 0;
    whole.frames.forEach((f, i) => {
      const len = 4 + new DataView(bytes.buffer, bytes.byteOffset + at).getUint32(0, true);
      if (!same(reencode(f), bytes.subarray(at, at + len)))
        throw new InvariantError(`frame ${i} does not re-encode to its bytes`);
      if (!same(reencode(chunked.frames[i]!), bytes.subarray(at, at + len)))
        throw new InvariantError(`chunked frame ${i} differs from the whole decode`);
      at += len;
    });
    try {
      return [whole.frames.length, F.decodeFrameBody(bytes.subarray(4)).kind];
    } catch (err) {
      if (!(err instanceof F.FrameError)) throw err;
      return [whole.frames.length, err.reason];
    }
  },
  expected: expectErrors(F.FrameError),
});

async function dataFile(rows: number[][]): Promise<Uint8Array> {
  const path = join(freshDir('data-seed'), 'data.bin');
  const w = await DataFileWriter.create(path, rows[0]?.length ?? 2);
  for (const r of rows) await w.append(Float64Array.from(r));
  await w.finish();
  const { readFileSync } = await import('node:fs');
  return readFileSync(path);
}

/** `src/node/dataset/data-file.ts` readDataFile and row-prints.ts readPrintsFile/decodeRowPrints. */
export const dataFileTarget = bytesTarget({
  name: 'data-file',
  summary: 'dataset data.bin (readDataFile) and prints.bin (readPrintsFile, decodeRowPrints)',
  seeds: async () => [
    await dataFile([]),
    await dataFile([[1, 2]]),
    await dataFile([
      [1.5, -0, 3],
      [Number.MAX_VALUE, 5e-324, -7],
    ]),
    encodeRowPrints(new BigUint64Array([1n, 5n, 0xffffffffffffffffn])),
  ],
  dictionary: [new Uint8Array([0x50, 0x4d, 0x44, 0x53])],
  async run(bytes) {
    const dir = freshDir('data-file');
    writeFileSync(join(dir, 'data.bin'), bytes);
    writeFileSync(join(dir, 'prints.bin'), bytes);
    const prints = await readPrintsFile(join(dir, 'prints.bin'), bytes.length >> 3);
    if (prints !== undefined && !same(encodeRowPrints(prints.prints), bytes))
      throw new InvariantError('prints do not re-encode to the file');
    decodeRowPrints(bytes.subarray(1));
    const d = await readDataFile(join(dir, 'data.bin'));
    if (d.values.length !== d.rows * d.columns) throw new InvariantError('values do not fill rows x columns');
    return d.rows;
  },
  expected: expectErrors(DataFileError),
});
