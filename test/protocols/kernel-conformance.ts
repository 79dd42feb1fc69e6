/**
 * The whole protocol conformance suite on one ring kernel, for the per-kernel test files
 * (kernels-reference.test.ts, kernels-wasm.test.ts). The other conformance runs use the fastest
 * kernel (native on most machines); these run rep3, additive and plaintext on the WebAssembly and
 * reference kernels too, so a kernel-specific fault (such as resident memory reused under a live
 * payload) cannot hide. One file per kernel: each runs in its own process under the test runner's
 * per-file time limit.
 *
 * Configurations: the ones of rep3.test.ts and plaintext.test.ts's first, and the two smallest of
 * additive.test.ts (local truncation; an owner outside the compute parties with truncation pairs).
 * The 3- and 5-compute-party additive runs exercise no other kernel code and are left to the
 * default kernel.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AdditiveProtocol } from '../../src/protocols/additive/index.js';
import { PlaintextProtocol } from '../../src/protocols/plaintext/index.js';
import type { Protocol, Share } from '../../src/protocols/protocol.js';
import { rep3Protocol } from '../../src/protocols/rep3/index.js';
import type { Session } from '../../src/protocols/session.js';
import { availableKernels, kernel, setKernel, type KernelName } from '../../src/tensor/index.js';
import { runConformance, type MakeProtocol } from './conformance.js';

/**
 * Registers and runs the conformance suites on kernel `name` (made the process's active kernel).
 * When the kernel does not load here, one test says so, and fails if `required`.
 */
export function runConformanceOnKernel(name: KernelName, required: boolean): void {
  const available = availableKernels().includes(name);
  if (!available) {
    test(`the ${name} kernel does not load here: its conformance run is skipped`, () => {
      assert.ok(!required, `the ${name} kernel is required but does not load`);
    });
    test.run();
    return;
  }
  setKernel(name);
  // Every protocol instance checks that nothing switched the kernel under the suite.
  const on =
    (make: (s: Session) => Protocol<Share>): MakeProtocol =>
    (s) => {
      if (kernel().name !== name) throw new Error(`expected the ${name} kernel, found ${kernel().name}`);
      return make(s);
    };
  const range = (n: number): number[] => [...Array(n).keys()];
  const at = `on the ${name} kernel`;
  runConformance(
    `rep3, 3 parties, ${at}`,
    on((s) => rep3Protocol(s) as Protocol<Share>),
    3,
  );
  runConformance(
    `rep3, 4 parties, compute parties [3, 1, 0], ${at}`,
    on((s) => rep3Protocol(s, { computeParties: [3, 1, 0] }) as Protocol<Share>),
    4,
  );
  runConformance(
    `additive, 2 compute parties + dealer, ${at}`,
    on((s) => new AdditiveProtocol(s, { computeParties: range(2), dealer: 2 }) as Protocol<Share>),
    3,
  );
  runConformance(
    `additive, 2 compute parties + dealer + owner, truncation pairs, ${at}`,
    on(
      (s) =>
        new AdditiveProtocol(s, {
          computeParties: range(2),
          dealer: 2,
          truncation: 'pair',
        }) as Protocol<Share>,
    ),
    4,
  );
  runConformance(
    `plaintext, 3 parties, party 0 computes, ${at}`,
    on((s) => new PlaintextProtocol(s) as Protocol<Share>),
    3,
    { privacy: false },
  );
}
