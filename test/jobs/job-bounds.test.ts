/**
 * Public column bounds in jobs: the requester copies each column's bounds from the owner's signed
 * description into the job input, verification checks their shape, and an owner refuses a job
 * whose bounds are not exactly the ones its dataset declares now.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JobVerificationError } from '../../src/jobs/errors.js';
import { createJob, signJob } from '../../src/jobs/job/sign.js';
import type { JobInput, SignedJob } from '../../src/jobs/job/types.js';
import { verifySignedJob } from '../../src/jobs/job/verify.js';
import { evaluatePolicies, type LocalDatasetInfo } from '../../src/jobs/policy/check.js';
import { shorthandProgram } from '../../src/jobs/program/shorthand.js';
import { resolveInputs } from '../../src/jobs/service/request.js';
import {
  buildDescription,
  signDescription,
  verifySignedDescription,
} from '../../src/node/dataset/description.js';
import { boundsMagnitude } from '../../src/node/dataset/magnitude.js';
import type { SignedDatasetDescription } from '../../src/node/types.js';
import { COLUMNS, identity, type TestIdentity } from './helpers/keys.js';

let sci: TestIdentity;
let hs: TestIdentity[];

test.before(async () => {
  sci = await identity();
  hs = [await identity(), await identity(), await identity()];
});

const AGE: [number, number] = [0, 120];

/** `owner`'s signed, verified description of `patients` (100 rows), with `bounds` by column. */
async function described(
  owner: TestIdentity,
  bounds: Record<string, [number, number]> = {},
): Promise<SignedDatasetDescription> {
  const d = buildDescription({
    name: 'patients',
    owner: owner.peerId,
    description: '',
    columns: COLUMNS,
    magnitudes: COLUMNS.map((c) => (bounds[c] !== undefined ? boundsMagnitude(bounds[c]) : 10)),
    bounds: COLUMNS.map((c) => bounds[c]),
    rows: 100,
    tags: [],
    mock: [],
    mockSource: 'synthetic',
    policy: { approval: 'manual' },
  });
  const signed = await signDescription(d, owner.key);
  return verifySignedDescription(JSON.parse(JSON.stringify(signed)), owner.peerId);
}

/** A signed job over the three owners' `patients` with `inputs` (h1..h3, all columns). */
async function jobOf(inputs: JobInput[]): Promise<SignedJob> {
  const program = shorthandProgram({
    inputs: inputs.map((i) => ({ name: i.name, columns: i.columns })),
    stats: ['mean'],
  });
  const job = createJob({
    requester: sci.peerId,
    program,
    inputs,
    computeParties: hs.map((h) => h.peerId),
  });
  return signJob(job, sci.key);
}

const all = (owner: string) => ({ owner, dataset: 'patients' });

test('the requester copies each column’s bounds from the description (null for a column without)', async () => {
  const withBounds = await described(hs[0]!, { age: AGE, sbp: [50.5, 250] });
  const [full] = resolveInputs([all(hs[0]!.peerId)], [withBounds]);
  assert.equal(full!.bounds, [AGE, null, [50.5, 250]]);
  assert.equal(full!.magnitudes, [7, 10, 8]);
  const [picked] = resolveInputs([{ ...all(hs[0]!.peerId), columns: ['sbp', 'bmi', 'age'] }], [withBounds]);
  assert.equal(picked!.bounds, [[50.5, 250], null, AGE]);
  // no column with bounds: no field at all
  const [plain] = resolveInputs([{ ...all(hs[0]!.peerId), columns: ['bmi'] }], [withBounds]);
  assert.not.ok('bounds' in plain!);
  const [none] = resolveInputs([all(hs[1]!.peerId)], [await described(hs[1]!)]);
  assert.not.ok('bounds' in none!);
  // the job carries them, signed, and verifies
  const inputs = resolveInputs(
    hs.map((h) => all(h.peerId)),
    [withBounds, await described(hs[1]!), await described(hs[2]!, { bmi: [10, 60] })],
  );
  const verified = await verifySignedJob(JSON.parse(JSON.stringify(await jobOf(inputs))));
  assert.equal(
    verified.signed.job.inputs.map((i) => i.bounds),
    [[AGE, null, [50.5, 250]], undefined, [null, [10, 60], null]],
  );
});

test('verification refuses bounds of the wrong shape', async () => {
  const base = resolveInputs(
    hs.map((h) => all(h.peerId)),
    await Promise.all(hs.map((h) => described(h, { age: AGE }))),
  );
  const refused = async (bounds: unknown): Promise<void> => {
    const inputs = base.map((i, k) => (k === 0 ? { ...i, bounds: bounds as JobInput['bounds'] } : i));
    try {
      await verifySignedJob(await jobOf(inputs));
    } catch (err) {
      assert.instance(err, JobVerificationError);
      assert.match((err as Error).message, /input "h1": bounds must be one \[lo, hi\] .* or null per column/);
      return;
    }
    assert.unreachable(`bounds ${JSON.stringify(bounds)} accepted`);
  };
  await verifySignedJob(await jobOf(base));
  for (const bad of [
    [AGE, null], // one per column
    [AGE, null, null, null],
    [[120, 0], null, null], // lo < hi
    [[1, 1], null, null],
    [[0], null, null],
    [[0, '1'], null, null],
    [[0, 2 ** 63], null, null],
    [false, null, null],
    'x',
    {},
  ])
    await refused(bad);
});

test('an owner refuses a job whose bounds are not exactly its dataset’s current ones, naming dataset and column', async () => {
  const inputs = resolveInputs(
    hs.map((h) => all(h.peerId)),
    await Promise.all(hs.map((h) => described(h, { age: AGE }))),
  );
  const verified = await verifySignedJob(await jobOf(inputs));
  const owner = (bounds?: Record<string, [number, number]>) => {
    const info: LocalDatasetInfo & { bounds?: Record<string, [number, number]> } = {
      columns: COLUMNS,
      rows: 100,
      magnitudes: { age: 7, bmi: 10, sbp: 10 },
      ...(bounds !== undefined ? { bounds } : {}),
    };
    return evaluatePolicies(verified, {
      self: hs[0]!.peerId,
      datasets: (n) => (n === 'patients' ? info : undefined),
      policy: () => undefined,
    });
  };
  assert.equal(owner({ age: AGE }), { decision: 'manual', reasons: [], datasets: ['patients'] });
  // changed since (e.g. dataset update --bounds age:0:100), or removed, or another column's added
  assert.equal(owner({ age: [0, 100] }).reasons, [
    'dataset "patients": the job gives column "age" the bounds [0, 120], the dataset declares [0, 100]',
  ]);
  assert.equal(owner().reasons, [
    'dataset "patients": the job gives column "age" the bounds [0, 120], the dataset declares none',
  ]);
  const extra = owner({ age: AGE, sbp: [50, 250] });
  assert.is(extra.decision, 'refuse');
  assert.equal(extra.reasons, [
    'dataset "patients": the job gives column "sbp" the bounds none, the dataset declares [50, 250]',
  ]);
  // a job without bounds on a dataset that declares some
  const bare = await verifySignedJob(
    await jobOf(inputs.map((i) => ({ ...i, bounds: undefined, magnitudes: [10, 10, 10] }))),
  );
  const d = evaluatePolicies(bare, {
    self: hs[1]!.peerId,
    datasets: () => ({ columns: COLUMNS, rows: 100, bounds: { age: AGE } }) as LocalDatasetInfo,
    policy: () => undefined,
  });
  assert.equal(d.reasons, [
    'dataset "patients": the job gives column "age" the bounds none, the dataset declares [0, 120]',
  ]);
});

test.run();
