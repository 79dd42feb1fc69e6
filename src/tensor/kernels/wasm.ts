/** Placeholder until the WebAssembly kernel lands. */
import { KernelUnavailableError, type RingKernel } from '../kernel.js';

/** Loads the WebAssembly SIMD kernel (synchronously). */
export function loadWasmKernel(): RingKernel {
  throw new KernelUnavailableError('wasm', 'not built yet');
}
