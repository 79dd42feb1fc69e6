/** Policies: parsing, persistence, and every rule of the evaluation. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PolicyValidationError } from '../../src/jobs/errors.js';
import { createJob, signJob } from '../../src/jobs/job/sign.js';
import { verifySignedJob, type VerifiedJob } from '../../src/jobs/job/verify.js';
import { evaluatePolicies, type PolicyContext } from '../../src/jobs/policy/check.js';
import { PolicyStore } from '../../src/jobs/policy/store.js';
import { defaultPolicy, parsePolicy, type DatasetPolicy } from '../../src/jobs/policy/types.js';
import { ProgramBuilder } from '../../src/jobs/program/builder.js';
import { COLUMNS, demoJob, identity, type TestIdentity } from './helpers/keys.js';

let sci: TestIdentity;
let hs: TestIdentity[];

test.before(async () => {
  sci = await identity();
  hs = [await identity(), await identity(), await identity()];
});

function ctx(self: string, policy: Partial<DatasetPolicy> | undefined, rows = 100): PolicyContext {
  return {
    self,
    datasets: (name) => (name === 'patients' ? { columns: [...COLUMNS, 'glucose'], rows } : undefined),
    policy: (dataset) =>
      policy === undefined
        ? undefined
        : parsePolicy({ computeParties: hs.map((h) => h.peerId), ...policy, dataset }),
  };
}

async function job(rows = [100, 200, 300], overrides = {}): Promise<VerifiedJob> {
  return verifySignedJob(await demoJob(sci, hs, rows, overrides));
}

test('default policy: manual approval of aggregates', async () => {
  const d = evaluatePolicies(await job(), ctx(hs[0]!.peerId, undefined));
  assert.equal(d, { decision: 'manual', reasons: [], datasets: ['patients'] });
  assert.is(defaultPolicy('x').approval, 'manual');
});

test('auto approval when every rule passes', async () => {
  const d = evaluatePolicies(await job(), ctx(hs[1]!.peerId, { approval: 'auto' }, 200));
  assert.is(d.decision, 'auto');
});

test('a requester not on the list is refused', async () => {
  const d = evaluatePolicies(
    await job(),
    ctx(hs[0]!.peerId, { approval: 'auto', requesters: [hs[2]!.peerId] }),
  );
  assert.is(d.decision, 'refuse');
  assert.match(d.reasons.join(), /requester .* is not allowed/);
});

test('a forbidden op or output is refused, naming it', async () => {
  const noCov = evaluatePolicies(
    await job(),
    ctx(hs[0]!.peerId, { approval: 'auto', ops: ['union', 'mean'] }),
  );
  assert.is(noCov.decision, 'refuse');
  assert.match(noCov.reasons.join(), /op "covariance" is not allowed/);
  const onlyMeans = evaluatePolicies(
    await job(),
    ctx(hs[0]!.peerId, { approval: 'auto', outputs: ['mean'] }),
  );
  assert.is(onlyMeans.decision, 'refuse');
  assert.match(onlyMeans.reasons.join(), /output "covariance" \(covariance\) may not be released/);
});

test('plaintext: refused unless this owner is the compute party that holds the values', async () => {
  const plain = await job([100, 200, 300], { protocol: 'plaintext' });
  const other = evaluatePolicies(plain, ctx(hs[1]!.peerId, { approval: 'auto' }, 200));
  assert.is(other.decision, 'refuse');
  assert.match(
    other.reasons.join(),
    new RegExp(`protocol plaintext would send its values in the clear to ${hs[0]!.peerId}`),
  );
  const holder = evaluatePolicies(plain, ctx(hs[0]!.peerId, { approval: 'auto' }));
  assert.is(holder.decision, 'auto');
});

test('an aggregate over fewer rows than the minimum is refused', async () => {
  const d = evaluatePolicies(
    await job([10, 10, 10]),
    ctx(hs[0]!.peerId, { approval: 'auto', minRows: 50 }, 10),
  );
  assert.is(d.decision, 'refuse');
  // each owner counts its own rows (10), not the union's 30: the others' rows could be the requester's
  assert.match(d.reasons.join(), /stands behind 10 rows, fewer than the minimum of 50/);
});

/** A verified job of `program` whose inputs `names` all bind hospital 0's `patients`. */
async function ownJob(program: ReturnType<ProgramBuilder['build']>, names: string[]): Promise<VerifiedJob> {
  const j = createJob({
    requester: sci.peerId,
    program,
    inputs: names.map((name) => ({
      name,
      owner: hs[0]!.peerId,
      dataset: 'patients',
      columns: COLUMNS,
      rows: 100,
      magnitudes: COLUMNS.map(() => 10),
    })),
    computeParties: hs.map((h) => h.peerId),
  });
  return verifySignedJob(await signJob(j, sci.key));
}

test('row-level outputs stand behind single rows', async () => {
  const b = new ProgramBuilder();
  const t = b.input('h1', COLUMNS);
  b.output('rows', b.select(t, ['age']));
  const v = await ownJob(b.build(), ['h1']);
  const d = evaluatePolicies(v, ctx(hs[0]!.peerId, { approval: 'auto', minRows: 2 }));
  assert.is(d.decision, 'refuse');
  assert.match(d.reasons.join(), /single rows/);
  const lax = evaluatePolicies(v, ctx(hs[0]!.peerId, { approval: 'auto', minRows: 1 }));
  assert.is(lax.decision, 'auto');
});

test('a dataset bound to two inputs is refused (two sources could be differenced)', async () => {
  const b = new ProgramBuilder();
  const a1 = b.input('a', COLUMNS);
  const a2 = b.input('b', COLUMNS);
  b.output('m', b.node('mean', [b.node('union', [a1, a2])]));
  const d = evaluatePolicies(await ownJob(b.build(), ['a', 'b']), ctx(hs[0]!.peerId, { approval: 'auto' }));
  assert.is(d.decision, 'refuse');
  assert.match(d.reasons.join(), /bound to 2 inputs/);
});

test('a job that bounds a column otherwise than its published magnitude is refused', async () => {
  const published = (m: number): PolicyContext => ({
    ...ctx(hs[0]!.peerId, { approval: 'auto' }),
    datasets: () => ({
      columns: [...COLUMNS, 'glucose'],
      rows: 100,
      magnitudes: Object.fromEntries(COLUMNS.map((c) => [c, m])),
    }),
  });
  assert.is(evaluatePolicies(await job(), published(10)).decision, 'auto');
  for (const m of [9, 11]) {
    const d = evaluatePolicies(await job(), published(m));
    assert.match(
      d.reasons.join(),
      new RegExp(`bounds column "age" by 2\\^10, its published magnitude is 2\\^${m}`),
    );
  }
});

test('stale row counts, missing columns and unknown datasets are refused', async () => {
  const stale = evaluatePolicies(await job(), ctx(hs[0]!.peerId, { approval: 'auto' }, 99));
  assert.match(stale.reasons.join(), /says 100 rows, the dataset has 99/);
  const none: PolicyContext = { self: hs[0]!.peerId, datasets: () => undefined, policy: () => undefined };
  assert.match(evaluatePolicies(await job(), none).reasons.join(), /no such dataset/);
  const fewCols: PolicyContext = {
    ...ctx(hs[0]!.peerId, { approval: 'auto' }),
    datasets: () => ({ columns: ['age'], rows: 100 }),
  };
  assert.match(evaluatePolicies(await job(), fewCols).reasons.join(), /no column "bmi", "sbp"/);
});

test('a peer that owns nothing in the job has nothing to decide', async () => {
  const d = evaluatePolicies(await job(), ctx(sci.peerId, undefined));
  assert.equal(d, { decision: 'auto', reasons: [], datasets: [] });
});

test('policy parsing fills defaults and rejects bad fields', () => {
  assert.equal(parsePolicy({ approval: 'auto' }, 'd'), {
    ...defaultPolicy('d'),
    approval: 'auto',
    computeParties: ['self'],
  });
  assert.equal(parsePolicy({ approval: 'manual' }, 'd').computeParties, ['*']);
  assert.throws(
    () => parsePolicy({ minRows: 0 }, 'd'),
    (e: Error) => e instanceof PolicyValidationError,
  );
  assert.throws(
    () => parsePolicy({ approval: 'maybe' }, 'd'),
    (e: Error) => e instanceof PolicyValidationError,
  );
  assert.throws(
    () => parsePolicy({ ops: 'mean' }, 'd'),
    (e: Error) => e instanceof PolicyValidationError,
  );
  assert.throws(
    () => parsePolicy({ colour: 1 }, 'd'),
    (e: Error) => e instanceof PolicyValidationError,
  );
});

test('the policy store persists', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peermpc-policy-'));
  try {
    const s = new PolicyStore(dir);
    assert.is(s.get('patients'), undefined);
    assert.is(s.effective('patients').approval, 'manual');
    await s.set('patients', { approval: 'auto', minRows: 20 });
    const again = new PolicyStore(dir);
    assert.is(again.get('patients')!.minRows, 20);
    assert.equal(
      again.list().map((p) => p.dataset),
      ['patients'],
    );
    assert.ok(await again.remove('patients'));
    assert.equal(new PolicyStore(dir).list(), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a union that would hold an owner's column more than 2x coarser than its bound is refused", async () => {
  // the owner publishes |age| <= 2^7; another input of the union declares 2^9 (the requester's own, say)
  const at = async (other: number): Promise<string[]> => {
    const signed = await demoJob(sci, hs, [100, 200, 300]);
    const inputs = signed.job.inputs.map((inp, i) => ({
      ...inp,
      magnitudes: COLUMNS.map((c) => (c === 'age' ? (i === 0 ? 7 : other) : 10)),
    }));
    const verified = await verifySignedJob(await signJob({ ...signed.job, inputs }, sci.key));
    const context = ctx(hs[0]!.peerId, { approval: 'auto', minRows: 10 });
    const base = context.datasets('patients')!;
    const magnitudes = { age: 7, bmi: 10, sbp: 10 };
    const d = evaluatePolicies(verified, { ...context, datasets: () => ({ ...base, magnitudes }) });
    return d.decision === 'refuse' ? d.reasons : [];
  };
  assert.equal(await at(8), []); // one binade: owners' ranges differ
  const refused = await at(9);
  assert.ok(
    refused.some((r) => /column "age" by 2\^9, which would hold its values 4 times coarser/.test(r)),
    refused.join('; '),
  );
});

test.run();
