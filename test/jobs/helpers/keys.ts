/** Test helpers: Ed25519 identities and signed demo jobs. */
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { createJob, signJob, type CreateJobFields } from '../../../src/jobs/job/sign.js';
import type { SignedJob } from '../../../src/jobs/job/types.js';
import { shorthandProgram } from '../../../src/jobs/program/shorthand.js';

/** A key and its peer id. */
export interface TestIdentity {
  key: PrivateKey;
  peerId: string;
}

/** A fresh Ed25519 identity. */
export async function identity(): Promise<TestIdentity> {
  const key = await generateKeyPair('Ed25519');
  return { key, peerId: peerIdFromPrivateKey(key).toString() };
}

/** Columns of the test datasets. */
export const COLUMNS = ['age', 'bmi', 'sbp'];

/** A signed job over three owners' datasets `patients` (rows each), requested by `requester`. */
export async function demoJob(
  requester: TestIdentity,
  owners: TestIdentity[],
  rows: number[],
  overrides: Partial<CreateJobFields> = {},
): Promise<SignedJob> {
  const program = shorthandProgram({
    inputs: owners.map((_, i) => ({ name: `h${i + 1}`, columns: COLUMNS })),
    stats: ['mean', 'covariance'],
  });
  const job = createJob({
    requester: requester.peerId,
    program,
    inputs: owners.map((o, i) => ({
      name: `h${i + 1}`,
      owner: o.peerId,
      dataset: 'patients',
      columns: COLUMNS,
      rows: rows[i]!,
      magnitudes: COLUMNS.map(() => 10), // |x| <= 2^10: a bound the test data keeps
    })),
    computeParties: owners.map((o) => o.peerId),
    ...overrides,
  });
  return signJob(job, requester.key);
}
