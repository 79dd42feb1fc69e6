// The WebAssembly kernel's fused rep3 ops (fused-composed.ts over its own ops) against the
// reference loops, with operands in its resident memory and outside it; and the reference kernel's
// own loops against the chains of elementwise ops they replace.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KernelUnavailableError } from '../../src/tensor/kernel.js';
import { referenceKernel } from '../../src/tensor/kernels/reference.js';
import { loadWasmKernel } from '../../src/tensor/kernels/wasm.js';
import { fusedSuite } from './fused-suite.js';

fusedSuite('reference', referenceKernel());

try {
  const k = loadWasmKernel();
  fusedSuite('wasm, plain arrays', k);
  fusedSuite('wasm, resident operands', k, {
    place: (a) => {
      const r = k.alloc(a.length);
      r.set(a);
      return r;
    },
  });
} catch (err) {
  if (!(err instanceof KernelUnavailableError)) throw err;
  test(`wasm kernel unavailable (${err.message})`, () => {
    assert.ok(process.env.PEERMPC_REQUIRE_WASM === undefined, 'the wasm kernel is required');
  });
}

test.run();
