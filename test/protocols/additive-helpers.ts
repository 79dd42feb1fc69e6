/** Helpers for the additive protocol tests: sessions that record or tamper, cost glue, statistics. */
import type { AdditiveProtocol } from '../../src/protocols/additive/index.js';
import type { Cost, CostedPrimitive, CostExtra, Protocol, Share } from '../../src/protocols/protocol.js';
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

/** `s`, with `tamper` applied to every payload it sends. */
export function tampering(
  s: Session,
  tamper: (to: number, step: number, p: Uint8Array) => Uint8Array,
): Session {
  return new Proxy(s, {
    get(target, key) {
      if (key === 'send')
        return (to: number, step: number, p: Uint8Array) => target.send(to, step, tamper(to, step, p));
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Chi-square statistic of `counts` against a uniform distribution. */
export function chiSquare(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
}

/** Histogram of the top 4 and the bottom 4 bits of each word (32 buckets: 16 + 16). */
export function nibbleCounts(words: BigUint64Array): { top: number[]; bottom: number[] } {
  const top = new Array<number>(16).fill(0);
  const bottom = new Array<number>(16).fill(0);
  for (const w of words) {
    top[Number(w >> 60n)]!++;
    bottom[Number(w & 15n)]!++;
  }
  return { top, bottom };
}

/**
 * `p` for the conformance suite, whose cost calls give a matmul's result size and k but not its
 * operand sizes, on which a Beaver matmul's traffic depends (AdditiveCostExtra.operands). Until
 * CostExtra carries them, a matmul cost without them is evaluated lazily, when the suite compares
 * it after the call, with the operand sizes of the latest matmul this party ran.
 */
export function withMatmulOperands(p: AdditiveProtocol): Protocol<Share> {
  let last: [number, number] | undefined;
  const size = (x: Share): number => x.shape.reduce((a, b) => a * b, 1);
  return new Proxy(p, {
    get(target, key) {
      if (key === 'matmul' || key === 'matmulTrunc') {
        return (a: Share, b: Share, ...rest: unknown[]) => {
          last = [size(a), size(b)];
          return (target[key] as (...args: unknown[]) => unknown).call(target, a, b, ...rest);
        };
      }
      if (key === 'cost') {
        return (prim: CostedPrimitive, elements: number, extra?: CostExtra): Cost => {
          if (prim !== 'matmul' && prim !== 'matmulTrunc') return target.cost(prim, elements, extra);
          const now = (): Cost => target.cost(prim, elements, { ...extra, operands: last });
          return {
            get rounds() {
              return now().rounds;
            },
            get bytesSent() {
              return now().bytesSent;
            },
          } as Cost;
        };
      }
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as unknown as Protocol<Share>;
}
