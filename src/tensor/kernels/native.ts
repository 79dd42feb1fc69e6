/** Placeholder until the native kernel lands. */
import { KernelUnavailableError, type RingKernel } from '../kernel.js';

/** Loads the native N-API kernel (synchronously). */
export function loadNativeKernel(): RingKernel {
  throw new KernelUnavailableError('native', 'not built yet');
}
