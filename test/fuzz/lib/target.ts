/**
 * What a fuzz target is, and the two kinds the harness builds: byte targets (binary codecs, text
 * files) mutated byte by byte, and JSON targets mutated as trees (and, now and then, as text).
 * Every target takes bytes, the form its decoder meets on the wire or on disk.
 */
import { concatBytes, mutateBytes, shrinkBytes } from './mutate-bytes.js';
import { mutateJson, serialize, shrinkJson } from './mutate-json.js';
import type { Rng } from './rng.js';

/** One generated input: its bytes and, for a JSON target, the tree they were written from. */
export interface Candidate {
  /** What the decoder gets. */
  bytes: Uint8Array;
  /** The tree (JSON targets), for shrinking. */
  tree?: unknown;
}

/** A target ready to run. */
export interface Prepared {
  /** The seeds, as candidates (each must pass). */
  seeds: Candidate[];
  /** The input of one iteration: a mutated seed. */
  generate(rng: Rng): Promise<Candidate>;
  /** Feeds one input to the decoder; resolves with what it returned. */
  run(bytes: Uint8Array): Promise<unknown>;
  /** Whether an error is a typed, expected refusal (anything else is a finding). */
  expected(err: unknown): boolean;
  /** Checks a returned value (throw an InvariantError when wrong). */
  check?(result: unknown, bytes: Uint8Array): void;
  /** Simpler variants of a candidate, for minimization. */
  shrink(c: Candidate): AsyncGenerator<Candidate>;
}

/** A named fuzz target. */
export interface FuzzTarget {
  /** Name on the command line. */
  name: string;
  /** The decoder and entry points it drives. */
  summary: string;
  /** Builds the seeds and state. */
  prepare(): Promise<Prepared>;
}

/** A returned value broke a property the decoder promises. */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

/** Whether `err` is a stack overflow (never an expected refusal, whatever its class). */
export function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /Maximum call stack/.test(err.message);
}

/** A TypeError thrown by the engine itself (a null dereference...), not by a check in the code. */
export function isEngineTypeError(err: unknown): boolean {
  return (
    err instanceof TypeError &&
    /Cannot read propert|Cannot set propert|is not a function|is not iterable|Cannot convert|is not a constructor|Cannot create property|Cannot destructure|Invalid array length|called on null or undefined/.test(
      err.message,
    )
  );
}

/** A predicate accepting instances of `classes`, except stack overflows and engine TypeErrors. */
export function expectErrors(
  ...classes: (abstract new (...args: never[]) => Error)[]
): (e: unknown) => boolean {
  return (err) => !isStackOverflow(err) && !isEngineTypeError(err) && classes.some((c) => err instanceof c);
}

type MaybePromise<T> = T | Promise<T>;

/** Common fields of the two target kinds. */
interface SpecBase {
  name: string;
  summary: string;
  /** The decoder call (return what it returns). */
  run(bytes: Uint8Array): MaybePromise<unknown>;
  /** See {@link Prepared.expected}. */
  expected(err: unknown): boolean;
  /** See {@link Prepared.check}. */
  check?(result: unknown, bytes: Uint8Array): void;
}

/** A byte target. */
export interface BytesSpec extends SpecBase {
  /** Valid inputs to start from. */
  seeds(): MaybePromise<Uint8Array[]>;
  /** Tokens worth inserting. */
  dictionary?: Uint8Array[];
  /** Longest input (default 1 MiB). */
  maxLength?: number;
}

/** A JSON target. */
export interface JsonSpec extends SpecBase {
  /** Valid trees to start from. */
  seeds(): MaybePromise<unknown[]>;
  /** Strings worth trying. */
  dictionary?: string[];
  /** Turns a tree into input bytes (re-signs, re-hashes...); default its JSON text. */
  encode?(tree: unknown): MaybePromise<Uint8Array>;
  /** Share of inputs that get byte mutations after encoding (default 0.1). */
  textMutations?: number;
  /** Tokens for those byte mutations (default: the dictionary's strings as JSON). */
  textDictionary?: Uint8Array[];
  /** Longest input (default 4 MiB, the jobs protocol's message limit). */
  maxLength?: number;
}

const enc = new TextEncoder();

async function asPromise<T>(fn: () => MaybePromise<T>): Promise<T> {
  return fn();
}

/** A target whose inputs are mutated as bytes. */
export function bytesTarget(spec: BytesSpec): FuzzTarget {
  return {
    name: spec.name,
    summary: spec.summary,
    async prepare() {
      const seeds = await spec.seeds();
      const options = { corpus: seeds, dictionary: spec.dictionary, maxLength: spec.maxLength };
      return {
        seeds: seeds.map((bytes) => ({ bytes })),
        generate: async (rng) => ({ bytes: mutateBytes(rng, rng.pick(seeds), options) }),
        run: (bytes) => asPromise(() => spec.run(bytes)),
        expected: spec.expected,
        check: spec.check,
        async *shrink(c) {
          for (const bytes of shrinkBytes(c.bytes)) yield { bytes };
        },
      };
    },
  };
}

/** A target whose inputs are JSON trees, mutated structurally (and sometimes as text). */
export function jsonTarget(spec: JsonSpec): FuzzTarget {
  const encode = async (tree: unknown): Promise<Uint8Array> =>
    spec.encode ? spec.encode(tree) : enc.encode(serialize(tree));
  return {
    name: spec.name,
    summary: spec.summary,
    async prepare() {
      const trees = await spec.seeds();
      const seeds = await Promise.all(trees.map(async (tree) => ({ tree, bytes: await encode(tree) })));
      const dictionary = spec.dictionary ?? [];
      const textRate = spec.textMutations ?? 0.1;
      const maxLength = spec.maxLength ?? 4 << 20;
      return {
        seeds,
        async generate(rng) {
          // a mutant too large to write (or over maxLength) is drawn again, from the same rng
          let tree: unknown;
          let bytes: Uint8Array | undefined;
          for (let attempt = 0; bytes === undefined && attempt < 8; attempt++) {
            tree = mutateJson(rng, rng.pick(trees), { dictionary, donors: trees });
            bytes = await encode(tree).catch(() => undefined);
            if (bytes !== undefined && bytes.length > maxLength) bytes = undefined;
          }
          if (bytes === undefined) return rng.pick(seeds);
          if (!rng.chance(textRate)) return { tree, bytes };
          const tokens =
            spec.textDictionary ?? dictionary.slice(0, 64).map((s) => enc.encode(JSON.stringify(s)));
          return { bytes: mutateBytes(rng, bytes, { dictionary: tokens, maxStack: 3 }) };
        },
        run: (bytes) => asPromise(() => spec.run(bytes)),
        expected: spec.expected,
        check: spec.check,
        async *shrink(c) {
          if (c.tree === undefined) {
            for (const bytes of shrinkBytes(c.bytes)) yield { bytes };
            return;
          }
          for (const tree of shrinkJson(c.tree)) yield { tree, bytes: await encode(tree) };
        },
      };
    },
  };
}

/** Files packed into one input: joined by NUL bytes (a file's own NULs shift the split: fine). */
export function packFiles(...files: (string | Uint8Array)[]): Uint8Array {
  const parts: Uint8Array[] = [];
  files.forEach((f, i) => {
    if (i > 0) parts.push(new Uint8Array([0]));
    parts.push(typeof f === 'string' ? enc.encode(f) : f);
  });
  return concatBytes(...parts);
}

/** The inverse of {@link packFiles}: at most `n` files (the last takes the rest); missing ones are undefined. */
export function unpackFiles(bytes: Uint8Array, n: number): (Uint8Array | undefined)[] {
  const out: (Uint8Array | undefined)[] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    if (start > bytes.length) {
      out.push(undefined);
      continue;
    }
    const nul = i === n - 1 ? -1 : bytes.indexOf(0, start);
    const end = nul === -1 ? bytes.length : nul;
    out.push(bytes.subarray(start, end));
    start = nul === -1 ? bytes.length + 1 : nul + 1;
  }
  return out;
}
