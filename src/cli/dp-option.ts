/**
 * `--dp epsilon=1[,delta=1e-6]`: the scientist's request for differential privacy, checked with
 * the same rules every peer applies to the signed job (src/jobs/dp/request.ts).
 */
import { InvalidArgumentError } from 'commander';
import { dpRequestProblem } from '../jobs/dp/request.js';
import type { DpRequest } from '../jobs/dp/types.js';

/** Parses `epsilon=1,delta=1e-6` (delta optional: without it, discrete Laplace and pure DP). */
export function dpValue(value: string): DpRequest {
  const out: Record<string, number> = {};
  for (const part of value.split(',')) {
    const m = /^(epsilon|delta)=([0-9.eE+-]+)$/.exec(part.trim());
    if (m === null)
      throw new InvalidArgumentError(`expected epsilon=<e>[,delta=<d>], got "${part.slice(0, 40)}"`);
    out[m[1]!] = Number(m[2]);
  }
  const problem = dpRequestProblem(out);
  if (problem !== undefined) throw new InvalidArgumentError(problem);
  return out as unknown as DpRequest;
}
