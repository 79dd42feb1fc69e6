/**
 * The parties of a job's MPC session, in a fixed order every peer derives from the signed job:
 * compute parties first (so the protocol's parties are 0..k-1), then the dealer, then owners that
 * do not compute, then the requester when it is none of these.
 */
import type { Job, JobRole } from './types.js';

/** Session party order of `job` (peer ids, each once). */
export function sessionParties(job: Job): string[] {
  const out: string[] = [];
  const add = (p: string): void => {
    if (!out.includes(p)) out.push(p);
  };
  job.computeParties.forEach(add);
  if (job.dealer !== undefined) add(job.dealer);
  for (const i of job.inputs) add(i.owner);
  add(job.requester);
  return out;
}

/** The peers that must agree to a job: every owner and compute party and the dealer (not the requester alone). */
export function participants(job: Job): string[] {
  return sessionParties(job).filter((p) => rolesOf(job, p).some((r) => r !== 'requester'));
}

/** The owners of a job's inputs, each once, in input order. */
export function owners(job: Job): string[] {
  return [...new Set(job.inputs.map((i) => i.owner))];
}

/** The roles `peerId` has in `job` (empty when none). */
export function rolesOf(job: Job, peerId: string): JobRole[] {
  const roles: JobRole[] = [];
  if (job.requester === peerId) roles.push('requester');
  if (job.inputs.some((i) => i.owner === peerId)) roles.push('owner');
  if (job.computeParties.includes(peerId)) roles.push('compute');
  if (job.dealer === peerId) roles.push('dealer');
  return roles;
}
