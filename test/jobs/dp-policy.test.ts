/**
 * DP in the signed job and the owner's rules: verification refuses a malformed `dp` and a DP job
 * whose outputs have no DP release (before any share moves); an owner refuses a job without DP on
 * a dataset under `requireDpBelowRows`, and a DP job beyond the requester's budget, saying what is
 * left; under DP the minimum-rows rule gives way to the noise.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rhoOfEpsilonDelta } from '../../src/jobs/dp/accountant.js';
import { dpPolicyReasons } from '../../src/jobs/dp/policy.js';
import { jobRho } from '../../src/jobs/dp/request.js';
import { JobVerificationError } from '../../src/jobs/errors.js';
import { signJob } from '../../src/jobs/job/sign.js';
import { verifySignedJob } from '../../src/jobs/job/verify.js';
import { evaluatePolicies } from '../../src/jobs/policy/check.js';
import { shorthandProgram } from '../../src/jobs/program/shorthand.js';
import { COLUMNS, demoJob, identity, type TestIdentity } from './helpers/keys.js';

let sci: TestIdentity;
let hs: TestIdentity[];
const BOUNDS: [number, number][] = [
  [0, 120],
  [10, 60],
  [60, 260],
];

test.before(async () => {
  sci = await identity();
  hs = [await identity(), await identity(), await identity()];
});

async function dpJob(dp: unknown, stats: string[] = ['mean']): Promise<unknown> {
  const signed = await demoJob(sci, hs, [100, 100, 100], {
    program: shorthandProgram({
      inputs: hs.map((_, i) => ({ name: `h${i + 1}`, columns: COLUMNS })),
      stats: stats as never,
    }),
    dp: dp as never,
  });
  for (const i of signed.job.inputs) i.bounds = BOUNDS;
  // re-sign with the bounds in place
  return JSON.parse(JSON.stringify(await signJob(signed.job, sci.key)));
}

async function refusal(signed: unknown): Promise<string> {
  try {
    await verifySignedJob(signed);
  } catch (err) {
    assert.instance(err, JobVerificationError);
    return (err as Error).message;
  }
  throw new Error('verified');
}

test('verification: a malformed dp is refused; a DP job whose outputs have no DP release too', async () => {
  assert.match(await refusal(await dpJob({ epsilon: 0 })), 'dp.epsilon');
  assert.match(await refusal(await dpJob({ epsilon: 1, delta: 0.5 })), 'dp.delta');
  assert.match(await refusal(await dpJob({ epsilon: 1e-300 })), 'dp.epsilon'); // the conversion would take seconds
  assert.match(await refusal(await dpJob({ epsilon: 1, extra: 1 })), 'other than epsilon and delta');
  assert.match(
    await refusal(await dpJob({ epsilon: 1 }, ['correlation'])),
    'no differentially private release',
  );
  const ok = await verifySignedJob(await dpJob({ epsilon: 1, delta: 1e-6 }, ['mean', 'variance']));
  assert.equal(ok.signed.job.dp, { epsilon: 1, delta: 1e-6 });
});

test('verification: bounds beyond the input column’s magnitude are refused (they could overflow the exact sums)', async () => {
  const signed = await demoJob(sci, hs, [100, 100, 100], { dp: { epsilon: 1, delta: 1e-6 } });
  for (const i of signed.job.inputs) i.bounds = BOUNDS;
  signed.job.inputs[2]!.bounds = [[0, 2 ** 23], null, null]; // magnitude 10 published, bounds need 23
  const forged = JSON.parse(JSON.stringify(await signJob(signed.job, sci.key)));
  assert.match(await refusal(forged), 'exceed its magnitude');
});

test('owner rules: DP required below N rows; a budget refuses what would exceed it, naming what is left', () => {
  const budget = { epsilon: 2, delta: 1e-6, rho: rhoOfEpsilonDelta(2, 1e-6), perDays: 30 };
  assert.match(
    dpPolicyReasons(undefined, { requireDpBelowRows: 1000 }, 300, 0)[0]!,
    'must be differentially private',
  );
  assert.equal(dpPolicyReasons(undefined, { requireDpBelowRows: 1000 }, 1000, 0), []);
  const ask = { epsilon: 1, delta: 1e-6 };
  assert.equal(dpPolicyReasons(ask, { budget }, 300, 0), []);
  const spent = budget.rho - jobRho(ask) / 2;
  const [why] = dpPolicyReasons(ask, { budget }, 300, spent);
  assert.match(why!, 'privacy budget exceeded');
  assert.match(why!, 'per 30 days');
  assert.match(why!, 'left');
});

test('evaluatePolicies: under DP a mean over fewer rows than minRows passes that rule (the noise bounds it); without DP it does not', async () => {
  const verified = await verifySignedJob(await dpJob({ epsilon: 1, delta: 1e-6 }, ['mean']));
  const ctx = {
    self: hs[0]!.peerId,
    datasets: () => ({ columns: COLUMNS, rows: 100, magnitudes: { age: 7, bmi: 6, sbp: 9 } }),
    policy: () => ({
      dataset: 'patients',
      requesters: ['*'],
      ops: ['*'],
      outputs: ['*'],
      minRows: 500,
      approval: 'auto' as const,
      computeParties: ['*'],
    }),
  };
  const dp = evaluatePolicies(verified, ctx);
  assert.not.ok(
    dp.reasons.some((r) => r.includes('fewer than the minimum')),
    dp.reasons.join('\n'),
  );
  const exact = await verifySignedJob(JSON.parse(JSON.stringify(await demoJob(sci, hs, [100, 100, 100]))));
  assert.ok(evaluatePolicies(exact, ctx).reasons.some((r) => r.includes('fewer than the minimum')));
});

test.run();
