/**
 * TensorFlow.js, chosen once at start-up: `@tensorflow/tfjs-node` when it is installed (an optional
 * dependency: its install downloads a binary and fails on machines without that host), otherwise
 * `@tensorflow/tfjs` on its cpu backend, which has every kernel (training included). The
 * WebAssembly backend is faster for inference but lacks training kernels (Conv2DBackpropFilter...)
 * and, once loaded, prints its minified source with any uncaught error: it is used only when asked
 * for with `PEERMPC_TF_BACKEND=wasm`. The choice is logged.
 *
 * tfjs is peermpc's user-facing tensor type and its plaintext/float model layer; shares never go
 * through tfjs (it has no int64 and its int32 multiply is not exact, STACK-NOTES).
 */
import { logger } from '../util/log.js';

const log = logger('tensor:tf');

/** The tfjs namespace (the same API whichever package provided it). */
export type Tf = typeof import('@tensorflow/tfjs');

/** Which tfjs backend is active. */
export type TfBackend = 'tensorflow' | 'wasm' | 'cpu';

let loading: Promise<Tf> | undefined;

/**
 * Loads tfjs with the best backend available. `PEERMPC_TF_BACKEND=wasm|cpu|tensorflow` forces one.
 * Resolves to the tfjs namespace; subsequent calls return the same instance.
 */
export function loadTf(): Promise<Tf> {
  loading ??= choose();
  return loading;
}

async function choose(): Promise<Tf> {
  const forced = process.env.PEERMPC_TF_BACKEND;
  if (forced === undefined || forced === '' || forced === 'tensorflow') {
    try {
      const mod = '@tensorflow/tfjs-node';
      const tfn = (await import(mod)) as Tf;
      await tfn.ready();
      log('tfjs backend: tensorflow (tfjs-node)');
      return tfn;
    } catch (err) {
      if (forced === 'tensorflow')
        throw new Error(
          `PEERMPC_TF_BACKEND=tensorflow but tfjs-node did not load: ${(err as Error).message}`,
          { cause: err },
        );
      log('tfjs-node not available (%s); falling back', (err as Error).message.split('\n')[0]);
    }
  }
  const tf = await import('@tensorflow/tfjs');
  if (forced === 'wasm') {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        log('tfjs backend: wasm');
        return tf;
      }
    } catch (err) {
      throw new Error(
        `PEERMPC_TF_BACKEND=wasm but the wasm backend did not load: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    throw new Error('PEERMPC_TF_BACKEND=wasm but tfjs refused the wasm backend');
  }
  // Production mode: tfjs would print a banner to install tfjs-node on every first use; the
  // choice is logged here instead (the README says how to install tfjs-node for speed).
  tf.enableProdMode();
  await tf.setBackend('cpu');
  await tf.ready();
  log('tfjs backend: cpu (install @tensorflow/tfjs-node for speed)');
  return tf;
}

/** The name of the active backend (after {@link loadTf} resolved). */
export async function tfBackend(): Promise<TfBackend> {
  const tf = await loadTf();
  return tf.getBackend() as TfBackend;
}
