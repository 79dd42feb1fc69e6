/**
 * Fixture targets for the harness's own tests (harness.test.ts): each misbehaves in one way the
 * harness must catch. Not real decoders; `getTarget` mirrors targets/index.ts for the worker.
 */
import { bytesTarget, expectErrors, type FuzzTarget } from './lib/target.js';

/** The error a fixture throws to refuse an input. */
export class FixtureRefusal extends Error {
  override readonly name = 'FixtureRefusal';
}

/** Whether the `hang` fixture hangs on `bytes`. */
export const hangs = (bytes: Uint8Array): boolean => bytes.length > 0 && bytes[0]! % 16 === 0;

const seeds = (): Uint8Array[] => [new Uint8Array([1, 2, 3, 4]), new Uint8Array([7])];

/** Fixture targets by name. */
export const FIXTURES: Record<string, FuzzTarget> = {
  hang: bytesTarget({
    name: 'hang',
    summary: 'loops forever when the first byte is a multiple of 16',
    seeds,
    run(bytes) {
      if (hangs(bytes)) for (;;);
      return bytes.length;
    },
    expected: () => false,
  }),
  crash: bytesTarget({
    name: 'crash',
    summary: 'an engine TypeError on a 0xff first byte, else a typed refusal',
    seeds,
    run(bytes) {
      if (bytes[0] === 0xff) return (undefined as unknown as { x: number }).x;
      throw new FixtureRefusal('no');
    },
    expected: expectErrors(FixtureRefusal, TypeError),
  }),
  alloc: bytesTarget({
    name: 'alloc',
    summary: 'asks for 256 MiB whatever the input',
    seeds,
    run: () => new Uint8Array(256 * 2 ** 20).length,
    expected: () => false,
  }),
  escape: bytesTarget({
    name: 'escape',
    summary: 'returns, leaving a rejected promise nobody handles',
    seeds,
    run() {
      void Promise.reject(new Error('escaped'));
      return 0;
    },
    expected: () => false,
  }),
};

/** The fixture called `name`. */
export function getTarget(name: string): FuzzTarget {
  const t = FIXTURES[name];
  if (t === undefined) throw new Error(`no fixture ${name}`);
  return t;
}
