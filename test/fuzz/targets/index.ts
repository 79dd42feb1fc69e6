/**
 * Every fuzz target, by name. Each drives a decoder that reads bytes from the network (tensor,
 * frame, channel, jobs-message, program, job, description, audit-wire) or from disk (the rest).
 */
import type { FuzzTarget } from '../lib/target.js';
import { auditLogTarget, auditWireTarget } from './audit.js';
import { dataFileTarget, frameTarget, tensorTarget } from './binary.js';
import { channelTarget } from './channel.js';
import { csvTarget, descriptionTarget } from './dataset.js';
import {
  accessTarget,
  daemonConfigTarget,
  jobRecordsTarget,
  jobsConfigTarget,
  policiesTarget,
  releasesTarget,
  replayTarget,
} from './files.js';
import { jobsMessageTarget, jobTarget, programTarget } from './jobs.js';

/** All targets, in the order `all` runs them. */
export const TARGETS: readonly FuzzTarget[] = [
  tensorTarget,
  frameTarget,
  channelTarget,
  jobsMessageTarget,
  programTarget,
  jobTarget,
  descriptionTarget,
  auditWireTarget,
  auditLogTarget,
  jobsConfigTarget,
  policiesTarget,
  replayTarget,
  accessTarget,
  daemonConfigTarget,
  jobRecordsTarget,
  releasesTarget,
  csvTarget,
  dataFileTarget,
];

/** The target called `name`. @throws Error listing the names when there is none. */
export function getTarget(name: string): FuzzTarget {
  const t = TARGETS.find((x) => x.name === name);
  if (t === undefined)
    throw new Error(`no fuzz target "${name}" (known: ${TARGETS.map((x) => x.name).join(', ')})`);
  return t;
}
