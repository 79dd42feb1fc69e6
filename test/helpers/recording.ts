/** A session wrapper that records every payload a party receives (for the privacy-split tests). */
import type { Session } from '../../src/protocols/session.js';

/** One received message. */
export interface Received {
  from: number;
  step: number;
  payload: Uint8Array;
}

/** `s`, with every payload it receives appended (copied) to `log`. */
export function recording(s: Session, log: Received[]): Session {
  return new Proxy(s, {
    get(target, key) {
      if (key === 'recv') {
        return async (from: number, step: number) => {
          const payload = await target.recv(from, step);
          log.push({ from, step, payload: payload.slice() });
          return payload;
        };
      }
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** The set of 64-bit little-endian words found at any byte offset of the payloads. */
export function wordsSeen(log: readonly Received[]): Set<bigint> {
  const seen = new Set<bigint>();
  for (const { payload } of log) {
    const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    for (let i = 0; i + 8 <= payload.length; i++) seen.add(dv.getBigUint64(i, true));
  }
  return seen;
}
