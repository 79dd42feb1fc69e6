/**
 * Waiting for work on a caller's terms: the caller may stop waiting when its signal aborts while
 * the work itself goes on (it may be shared with other callers).
 */

/** `work`, or a rejection with the signal's reason when `signal` aborts first (`work` goes on). */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      work.catch(() => undefined); // its failure is no longer anyone's to handle
      return;
    }
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err as Error);
      },
    );
  });
}
