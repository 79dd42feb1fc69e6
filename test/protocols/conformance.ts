/**
 * The protocol conformance suite: every protocol runs the same tests against plaintext
 * expectations (SecretFlow SPU's api_test, libp2p's interface-compliance-tests). Call
 * `runConformance` from a `*.test.ts` file:
 *
 *   runConformance('rep3', (s) => rep3Protocol(s), 3);
 *   runConformance('additive 2+dealer', (s) => new AdditiveProtocol(s, {...}), 3);
 *
 * It checks: input from every party and reveal to every subset (exact); local ops, mul, matmul
 * (2-D, batched), boolean ops, a2b, bitToA (exact against BigInt); truncation (within 1 of floor
 * division); fixed-point mul/matmul and a chain of 10 products (within a bound computed per
 * step); comparisons, ReLU, max/argmax (exact on the encoded values); sum/mean; the SharedTensor
 * API against tfjs; that every call's measured rounds and bytes equal its declared cost on every
 * party; privacy (uniform messages for inputs and multiplications; nothing to parties a reveal
 * does not name); and failure (a party that throws or goes silent makes every other party reject
 * naming it within the step timeout).
 */
import { suite } from 'uvu';
import { fixedTests } from './conformance-fixed.js';
import type { MakeProtocol } from './conformance-helpers.js';
import { ringTests } from './conformance-ring.js';
import { securityTests } from './conformance-security.js';

export type { MakeProtocol } from './conformance-helpers.js';

/** Options of {@link runConformance}. */
export interface ConformanceOptions {
  /** Run the privacy checks (default true; the plaintext protocol has none to pass). */
  privacy?: boolean;
  /** Step timeout of the failure tests, ms (default 400). */
  stepMs?: number;
  /** Only the tests whose name contains one of these strings (default: all). */
  only?: string[];
}

/**
 * Registers and runs the conformance suite for a protocol with `parties` session parties.
 * @param name suite name shown by uvu
 * @param makeProtocol creates the protocol on one party's session (called on every party)
 * @param parties number of session parties (compute parties, dealer, owners...)
 */
export function runConformance(
  name: string,
  makeProtocol: MakeProtocol,
  parties: number,
  options: ConformanceOptions = {},
): void {
  const s = suite(name);
  const only = options.only;
  const t = ((title: string, fn: () => Promise<void>) => {
    if (only === undefined || only.some((o) => title.includes(o))) s(title, fn);
  }) as unknown as typeof s;
  const cfg = { make: makeProtocol, parties };
  ringTests(t, cfg);
  fixedTests(t, cfg);
  securityTests(t, { ...cfg, privacy: options.privacy ?? true, stepMs: options.stepMs ?? 400 });
  s.run();
}
