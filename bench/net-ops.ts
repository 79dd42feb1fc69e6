/**
 * The MPC cases of the net suite, shared by the in-memory run (bench/net.ts) and the per-process
 * parties (bench/net-party.ts): rep3 `mul` (fixed point, with truncation) and `matmul` (n x n).
 * Timing: a one-byte exchange with every party (a barrier), the op, another barrier; party 0's
 * wall time between the two barriers is "every party started" to "the last party finished" plus
 * one round trip.
 */
import { inputFixed } from '../src/protocols/ops/fixed.js';
import { randomReals } from './harness.js';
import type { Protocol, Share } from '../src/protocols/protocol.js';
import { rep3Protocol } from '../src/protocols/rep3/index.js';
import type { Session } from '../src/protocols/session.js';

/** The MPC cases. */
export type NetOpCase = 'mul' | 'matmul';

/** Per-run result of one party. */
export interface NetOpResult {
  times: number[];
  bytes: number;
  rounds: number;
}

const F = 16;

async function barrier(s: Session): Promise<void> {
  const step = s.nextStep();
  const others = [...Array(s.parties).keys()].filter((p) => p !== s.self);
  await Promise.all(others.map((p) => s.send(p, step, new Uint8Array(1))));
  await Promise.all(others.map((p) => s.recv(p, step)));
}

/** Runs `runs` timed repetitions (after one warm-up) of a case on one party's session. */
export async function runNetOp(s: Session, c: NetOpCase, n: number, runs: number): Promise<NetOpResult> {
  const p: Protocol<Share> = rep3Protocol(s) as Protocol<Share>;
  const shape = c === 'mul' ? [n] : [n, n];
  const size = shape.reduce((a, b) => a * b, 1);
  const a = await inputFixed(p, 0, s.self === 0 ? randomReals(size, 1, 4) : undefined, shape, F);
  const b = await inputFixed(p, 1, s.self === 1 ? randomReals(size, 2, 4) : undefined, shape, F);
  const times: number[] = [];
  let bytes = 0;
  let rounds = 0;
  for (let r = 0; r <= runs; r++) {
    await barrier(s);
    const t0 = performance.now();
    const b0 = s.stats.bytesSent;
    const r0 = s.stats.rounds;
    await (c === 'mul' ? p.mulTrunc(a, b, F) : p.matmulTrunc(a, b, F));
    bytes = s.stats.bytesSent - b0;
    rounds = s.stats.rounds - r0;
    await barrier(s);
    if (r > 0) times.push(performance.now() - t0);
  }
  return { times, bytes, rounds };
}
