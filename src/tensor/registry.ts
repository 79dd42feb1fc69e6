/**
 * Chooses the Z_2^64 kernel at run time: the fastest that loads (native, then wasm, then the
 * reference), unless `PEERMPC_KERNEL=reference|wasm|native` or `setKernel` forces one.
 */
import { KernelUnavailableError, type KernelName, type RingKernel } from './kernel.js';
import { loadNativeKernel } from './kernels/native.js';
import { referenceKernel } from './kernels/reference.js';
import { loadWasmKernel } from './kernels/wasm.js';
import { logger } from '../util/log.js';

const log = logger('tensor:kernel');

const loaders: Record<KernelName, () => RingKernel> = {
  reference: referenceKernel,
  wasm: loadWasmKernel,
  native: loadNativeKernel,
};

/** All kernel names, slowest first. */
export const KERNEL_NAMES: readonly KernelName[] = ['reference', 'wasm', 'native'];

const loaded = new Map<KernelName, RingKernel | Error>();
let active: RingKernel | undefined;

function isKernelName(name: string): name is KernelName {
  return (KERNEL_NAMES as readonly string[]).includes(name);
}

/** Loads (once) and returns the named kernel; throws KernelUnavailableError if it cannot load here. */
export function getKernel(name: KernelName): RingKernel {
  if (!isKernelName(name))
    throw new RangeError(
      `unknown ring kernel "${String(name)}" (expected one of ${KERNEL_NAMES.join(', ')})`,
    );
  let k = loaded.get(name);
  if (k === undefined) {
    try {
      k = loaders[name]();
    } catch (err) {
      k = err instanceof Error ? err : new Error(String(err));
    }
    loaded.set(name, k);
  }
  if (k instanceof Error)
    throw k instanceof KernelUnavailableError ? k : new KernelUnavailableError(name, k.message);
  return k;
}

/** Names of the kernels that load on this machine, slowest first. */
export function availableKernels(): KernelName[] {
  return KERNEL_NAMES.filter((n) => {
    try {
      getKernel(n);
      return true;
    } catch {
      return false; // it does not load here: that is the answer
    }
  });
}

/** Makes `name` the active kernel for every ring tensor operation; returns it. */
export function setKernel(name: KernelName): RingKernel {
  active = getKernel(name);
  log('using ring kernel %s (%s)', active.name, active.description);
  return active;
}

/** The active kernel (chosen on first use). */
export function kernel(): RingKernel {
  if (active !== undefined) return active;
  const forced = process.env.PEERMPC_KERNEL;
  if (forced !== undefined && forced !== '') {
    if (!isKernelName(forced))
      throw new RangeError(`PEERMPC_KERNEL="${forced}" is not one of ${KERNEL_NAMES.join(', ')}`);
    return setKernel(forced);
  }
  for (const name of ['native', 'wasm'] as const) {
    try {
      return setKernel(name);
    } catch (err) {
      log('ring kernel %s unavailable: %s', name, (err as Error).message);
    }
  }
  return setKernel('reference');
}

/** Runs `fn` with `name` as the active kernel, restoring the previous one afterwards. */
export function withKernel<T>(name: KernelName, fn: () => T): T {
  const prev = kernel();
  setKernel(name);
  try {
    return fn();
  } finally {
    active = prev;
  }
}
