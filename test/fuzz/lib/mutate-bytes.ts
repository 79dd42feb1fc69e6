/**
 * Byte-level mutations for binary codecs (and for the text of JSON inputs): bit flips, interesting
 * bytes and words (length-field extremes, little and big endian, aligned or not), insertion,
 * deletion, duplication, truncation, splicing with another corpus input and dictionary tokens.
 */
import type { Rng } from './rng.js';

/** Options of {@link mutateBytes}. */
export interface ByteMutateOptions {
  /** Other inputs to splice with. */
  corpus?: readonly Uint8Array[];
  /** Tokens worth inserting (magic numbers, keywords). */
  dictionary?: readonly Uint8Array[];
  /** Longest output (default 1 MiB). */
  maxLength?: number;
  /** Most stacked mutations per call (default 6). */
  maxStack?: number;
}

const INTERESTING_BYTES = [0, 1, 2, 0x7f, 0x80, 0xfe, 0xff, 0x20, 0x0a, 0x22, 0x2c, 0x5c];

/** Word values that break length fields: zero, one, sign bits, all ones, around the input length. */
function interestingWords(length: number): number[] {
  return [
    0,
    1,
    2,
    7,
    8,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0x8000,
    0xffff,
    0x10000,
    0x7fffffff,
    0x80000000,
    0xfffffffe,
    0xffffffff,
    length,
    Math.max(0, length - 1),
    length + 1,
    8 * length,
    Math.floor(length / 8),
  ];
}

/** The parts joined, as a plain Uint8Array (decoders must not meet a Buffer's methods). */
function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

function writeWord(
  out: Uint8Array,
  at: number,
  width: 1 | 2 | 4 | 8,
  value: number,
  bigEndian: boolean,
): void {
  for (let k = 0; k < width && at + k < out.length; k++) {
    const shift = 8 * (bigEndian ? width - 1 - k : k);
    out[at + k] = shift >= 32 ? (value >= 2 ** 32 ? 0xff : 0) : (value >>> shift) & 0xff;
  }
}

/** One mutation of `input` (a new array; `input` is not modified). */
export function mutateOnce(rng: Rng, input: Uint8Array, options: ByteMutateOptions = {}): Uint8Array {
  const maxLength = options.maxLength ?? 1 << 20;
  const len = input.length;
  const out = input.slice();
  const at = rng.int(len);
  switch (rng.int(12)) {
    case 0: // flip a bit
      if (len > 0) out[at] = out[at]! ^ (1 << rng.int(8));
      return out;
    case 1: // an interesting byte
      if (len > 0) out[at] = rng.pick(INTERESTING_BYTES);
      return out;
    case 2: // an interesting word, any offset
    case 3: {
      // an interesting word at an aligned offset (length fields usually are)
      const width = rng.pick([1, 2, 4, 8] as const);
      const pos = rng.chance(0.5) ? at - (at % width) : at;
      writeWord(out, pos, width, rng.pick(interestingWords(len)), rng.chance(0.25));
      return out;
    }
    case 4: {
      // small arithmetic on a byte
      if (len > 0) out[at] = (out[at]! + rng.range(-16, 16)) & 0xff;
      return out;
    }
    case 5: {
      // insert random bytes or a run of one byte
      const n = Math.min(rng.size(4096), maxLength - len);
      const ins = rng.chance(0.5)
        ? rng.bytes(Math.max(0, n))
        : new Uint8Array(Math.max(0, n)).fill(rng.u32());
      return concat(out.subarray(0, at), ins, out.subarray(at));
    }
    case 6: {
      // delete a range
      const n = rng.size(len - at);
      return concat(out.subarray(0, at), out.subarray(at + n));
    }
    case 7: {
      // duplicate a range in place
      const n = Math.min(rng.size(len - at), maxLength - len);
      return concat(out.subarray(0, at + n), out.subarray(at, at + n), out.subarray(at + n));
    }
    case 8: // truncate
      return out.subarray(0, rng.int(len + 1)).slice();
    case 9: {
      // splice: our head, another input's tail
      const other = options.corpus?.length ? rng.pick(options.corpus) : out;
      return concat(out.subarray(0, at), other.subarray(rng.int(other.length + 1))).subarray(0, maxLength);
    }
    case 10: {
      // a dictionary token, inserted or overwriting
      const token = options.dictionary?.length ? rng.pick(options.dictionary) : rng.bytes(4);
      if (rng.chance(0.5)) return concat(out.subarray(0, at), token, out.subarray(at)).subarray(0, maxLength);
      out.set(token.subarray(0, Math.max(0, len - at)), at);
      return out;
    }
    default: {
      // grow: append a large block (memory checks need big inputs too)
      const n = Math.min(rng.pick([1 << 12, 1 << 16, 1 << 20]), maxLength - len);
      return concat(out, new Uint8Array(Math.max(0, n)).fill(rng.pick(INTERESTING_BYTES)));
    }
  }
}

/** 1 to `maxStack` stacked mutations of `input`. */
export function mutateBytes(rng: Rng, input: Uint8Array, options: ByteMutateOptions = {}): Uint8Array {
  let out = input;
  const n = rng.stack(options.maxStack ?? 6);
  for (let i = 0; i < n; i++) out = mutateOnce(rng, out, options);
  return out;
}

/** Smaller variants of `input` (halves, then ever smaller chunks removed), for minimization. */
export function* shrinkBytes(input: Uint8Array): Generator<Uint8Array> {
  for (let chunk = input.length >> 1; chunk >= 1; chunk >>= 1) {
    for (let at = 0; at + chunk <= input.length; at += chunk) {
      yield concat(input.subarray(0, at), input.subarray(at + chunk));
    }
  }
  // simpler bytes: zero each non-zero byte (only for short inputs)
  if (input.length <= 256) {
    for (let i = 0; i < input.length; i++) {
      if (input[i] === 0) continue;
      const z = input.slice();
      z[i] = 0;
      yield z;
    }
  }
}

/** Concatenates byte arrays. */
export { concat as concatBytes };
