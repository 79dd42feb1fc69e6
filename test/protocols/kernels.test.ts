/**
 * The protocols on every ring kernel: the other conformance runs use the fastest kernel (native on
 * most machines); this runs rep3 and additive on the WebAssembly and reference kernels too, so a
 * kernel-specific fault (such as resident memory reused under a live payload) cannot hide.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import type { Protocol, Share } from '../../src/protocols/protocol.js';
import { protocolFactory } from '../../src/protocols/registry.js';
import { availableKernels, setKernel, type KernelName } from '../../src/tensor/index.js';
import { runConformance } from './conformance.js';

const kernels = availableKernels().filter((k) => k !== 'native') as KernelName[];

test('the kernels this file covers are available', () => {
  assert.ok(kernels.includes('reference'));
  if (process.env.PEERMPC_REQUIRE_WASM !== undefined) assert.ok(kernels.includes('wasm'));
});
test.run();

const ONLY = ['mul and matmul', 'boolean ops', 'truncate', 'input from every party'];
for (const k of kernels) {
  for (const name of ['rep3', 'additive']) {
    // The factory runs on every party at the start of each test, so the kernel is set per test.
    const make = (s: Parameters<ReturnType<typeof protocolFactory>['create']>[0]) => {
      setKernel(k);
      return protocolFactory(name).create(s) as Protocol<Share>;
    };
    runConformance(`${name} on the ${k} kernel`, make, 3, { only: ONLY });
  }
}
