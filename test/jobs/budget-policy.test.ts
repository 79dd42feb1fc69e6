/**
 * Privacy budgets in dataset policies: `budget` and `requireDpBelowRows` parsed and checked (naming
 * the field), rho derived, published in the summary, stored and reloaded, older files unchanged;
 * the CLI's `--budget` value; the report `GET /budget` answers with.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { budgetValue, DEFAULT_BUDGET_DELTA } from '../../src/cli/commands/job-policy.js';
import { budgetReport, safeEpsilonOf } from '../../src/daemon/api/routes/budget.js';
import { epsilonOfRho, rhoOfEpsilonDelta } from '../../src/jobs/dp/accountant.js';
import { PolicyValidationError } from '../../src/jobs/errors.js';
import { PolicyStore } from '../../src/jobs/policy/store.js';
import { defaultPolicy, parsePolicy, policySummary } from '../../src/jobs/policy/types.js';

const RHO_2 = rhoOfEpsilonDelta(2, 1e-6);

function refused(value: unknown, field: RegExp): void {
  try {
    parsePolicy(value, 'd');
  } catch (err) {
    assert.instance(err, PolicyValidationError);
    assert.match((err as Error).message, field);
    return;
  }
  assert.unreachable(`accepted ${JSON.stringify(value)}`);
}

test('budget: rho is derived from epsilon and delta; perDays kept; a given rho is derived again', () => {
  const p = parsePolicy({ budget: { epsilon: 2, delta: 1e-6, perDays: 30 } }, 'd');
  assert.equal(p.budget, { epsilon: 2, delta: 1e-6, rho: RHO_2, perDays: 30 });
  assert.ok(RHO_2 > 0 && epsilonOfRho(RHO_2, 1e-6) <= 2);
  const q = parsePolicy({ budget: { epsilon: 2, delta: 1e-6, rho: 99 } }, 'd');
  assert.equal(q.budget, { epsilon: 2, delta: 1e-6, rho: RHO_2 }, 'no perDays: all time');
  assert.is(parsePolicy({ budget: { epsilon: 100, delta: 1e-3, perDays: 3650 } }, 'd').budget?.perDays, 3650);
  assert.is(parsePolicy({}, 'd').budget, undefined);
  assert.not.ok('budget' in parsePolicy({}, 'd'), 'no budget field at all');
});

test('budget: bad values are refused naming the field', () => {
  const b = (budget: unknown) => ({ budget });
  refused(b(2), /"budget" must be an object/);
  refused(b(null), /"budget" must be an object/);
  refused(b([]), /"budget" must be an object/);
  refused(b({ epsilon: 2, delta: 1e-6, extra: 1 }), /unknown field "budget\.extra"/);
  for (const epsilon of [0, -1, 100.5, Infinity, NaN, '2', undefined, 1e-9])
    refused(b({ epsilon, delta: 1e-6 }), /"budget\.epsilon"/);
  for (const delta of [0, -1e-6, 2e-3, 0.5, 1, NaN, '1e-6', undefined])
    refused(b({ epsilon: 1, delta }), /"budget\.delta"/);
  for (const perDays of [0, -1, 1.5, 3651, '30', '30d', null])
    refused(b({ epsilon: 1, delta: 1e-6, perDays }), /"budget\.perDays"/);
});

test('requireDpBelowRows: a positive safe integer', () => {
  assert.is(parsePolicy({ requireDpBelowRows: 1000 }, 'd').requireDpBelowRows, 1000);
  assert.not.ok('requireDpBelowRows' in parsePolicy({}, 'd'));
  for (const v of [0, -1, 1.5, 2 ** 53, '1000', null, NaN])
    refused({ requireDpBelowRows: v }, /"requireDpBelowRows" must be a positive integer/);
});

test('policySummary publishes the budget (without rho) and requireDpBelowRows, only when set', () => {
  const s = policySummary(
    parsePolicy({ budget: { epsilon: 2, delta: 1e-6, perDays: 30 }, requireDpBelowRows: 1000 }, 'd'),
    false,
  );
  assert.equal(s.budget, { epsilon: 2, delta: 1e-6, perDays: 30 });
  assert.is(s.requireDpBelowRows, 1000);
  const t = policySummary(parsePolicy({ budget: { epsilon: 1, delta: 1e-5 } }, 'd'), false);
  assert.equal(t.budget, { epsilon: 1, delta: 1e-5 });
  const plain = policySummary(defaultPolicy('d'), true);
  assert.not.ok('budget' in plain);
  assert.not.ok('requireDpBelowRows' in plain);
});

test('the store saves a budget and reloads it; an older policies.json loads as before', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peermpc-budget-policy-'));
  try {
    const older = {
      version: 1,
      policies: [{ ...defaultPolicy('old'), approval: 'auto', minRows: 3, computeParties: ['self'] }],
    };
    writeFileSync(join(dir, 'policies.json'), JSON.stringify(older));
    const store = new PolicyStore(dir);
    assert.equal(store.get('old'), older.policies[0]);
    const set = await store.set('new', {
      budget: { epsilon: 2, delta: 1e-6, perDays: 7 },
      requireDpBelowRows: 50,
    });
    assert.equal(set.budget, { epsilon: 2, delta: 1e-6, rho: RHO_2, perDays: 7 });
    const saved = JSON.parse(readFileSync(join(dir, 'policies.json'), 'utf8')) as { policies: unknown[] };
    assert.is(saved.policies.length, 2);
    const again = new PolicyStore(dir);
    assert.equal(again.get('new'), set);
    assert.equal(again.get('old'), older.policies[0]);
    try {
      await again.set('new', { budget: { epsilon: 500, delta: 1e-6 } });
      assert.unreachable('accepted');
    } catch (err) {
      assert.instance(err, PolicyValidationError);
    }
    assert.equal(again.get('new'), set, 'a refused policy changes nothing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--budget epsilon=E[,delta=D][,per=Nd]', () => {
  assert.equal(budgetValue('epsilon=2'), { epsilon: 2, delta: DEFAULT_BUDGET_DELTA });
  assert.is(DEFAULT_BUDGET_DELTA, 1e-6);
  assert.equal(budgetValue('epsilon=0.5,delta=1e-5,per=30d'), { epsilon: 0.5, delta: 1e-5, perDays: 30 });
  assert.equal(budgetValue(' per=7d , epsilon = 1 '), { epsilon: 1, delta: 1e-6, perDays: 7 });
  for (const [bad, why] of [
    ['', /epsilon is required/],
    ['delta=1e-6', /epsilon is required/],
    ['epsilon', /expected key=value/],
    ['epsilon=1=2', /expected key=value/],
    ['eps=1', /unknown key "eps"/],
    ['epsilon=1,epsilon=2', /given twice/],
    ['epsilon=two', /epsilon must be a number > 0/],
    ['epsilon=-1', /epsilon must be a number > 0/],
    ['epsilon=1,delta=0', /delta must be a number > 0/],
    ['epsilon=1,per=30', /per must be a number of days such as 30d/],
    ['epsilon=1,per=1.5d', /per must be a number of days/],
    ['epsilon=1,per=2w', /per must be a number of days/],
  ] as const) {
    try {
      budgetValue(bad);
      assert.unreachable(`accepted ${bad}`);
    } catch (err) {
      assert.instance(err, InvalidArgumentError, bad);
      assert.match((err as Error).message, why);
    }
  }
});

test('the budget report: spent and remaining epsilon at the budget delta, 0 when exhausted', () => {
  const budget = { epsilon: 2, delta: 1e-6, rho: RHO_2, perDays: 30 };
  const policies = [
    { ...defaultPolicy('a'), budget },
    defaultPolicy('nobudget'),
    { ...defaultPolicy('z'), budget: { epsilon: 1, delta: 1e-5, rho: rhoOfEpsilonDelta(1, 1e-5) } },
  ];
  const use = (dataset: string, requester: string, windowRho: number, totalRho = windowRho) => ({
    dataset,
    requester,
    windowRho,
    totalRho,
    spends: 1,
    last: '2025-01-01T00:00:00.000Z',
  });
  const now = new Date('2025-01-02T00:00:00.000Z');
  const r = budgetReport(
    policies,
    [use('a', 'p1', RHO_2 / 4, RHO_2), use('a', 'p2', RHO_2 * 2), use('nobudget', 'p1', 1)],
    now,
  );
  assert.is(r.time, now.toISOString());
  assert.equal(
    r.datasets.map((d) => d.dataset),
    ['a', 'z'],
  );
  const [p1, p2] = r.datasets[0]!.requesters;
  assert.is(p1!.spentRho, RHO_2 / 4);
  assert.is(p1!.totalRho, RHO_2);
  assert.is(p1!.spentEpsilon, epsilonOfRho(RHO_2 / 4, 1e-6));
  assert.is(p1!.remainingRho, RHO_2 - RHO_2 / 4);
  assert.is(p1!.remainingEpsilon, epsilonOfRho(RHO_2 - RHO_2 / 4, 1e-6));
  assert.ok(p1!.spentEpsilon + p1!.remainingEpsilon > 2, 'epsilons do not add up: rho does');
  assert.is(p2!.remainingRho, 0);
  assert.is(p2!.remainingEpsilon, 0);
  assert.equal(r.datasets[1]!.requesters, []);
});

test('safeEpsilonOf: 0 for nothing, the conversion otherwise, never below its upper bound when it fails', () => {
  assert.is(safeEpsilonOf(0, 1e-6), 0);
  assert.is(safeEpsilonOf(-1, 1e-6), 0);
  assert.is(safeEpsilonOf(0.5, 1e-6), epsilonOfRho(0.5, 1e-6));
  const huge = 1e6;
  const e = safeEpsilonOf(huge, 1e-6);
  assert.ok(e >= huge && e <= huge + 2 * Math.sqrt(huge * Math.log(1e6)) + 1e-6, String(e));
});

test.run();
