/**
 * Runtime polyfills that every entry point loads before anything else.
 *
 * libp2p 3.x calls `Promise.withResolvers`, which Node 20 lacks (Node >= 22 has it).
 * Importing this module first (it has no imports of its own) makes Node 20.19+ work.
 */

interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = function withResolvers<T>(): Resolvers<T> {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

/** True once the polyfills are installed; importing this module is what installs them. */
export const polyfillsInstalled = true;
