/**
 * Privacy budgets through the `peermpc` binary and a real daemon (issue 16): `policy set --budget
 * ... --require-dp-below ...` stores and publishes them, `budget show` and `GET /budget` report
 * what each requester spent and has left from the daemon's ledger (`<dataDir>/jobs/budget.jsonl`),
 * bad values are refused naming the field, and a corrupt ledger is reported naming its line.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiRequestError } from '../../src/daemon/api/client.js';
import type { BudgetResponse } from '../../src/daemon/api/routes/budget.js';
import { epsilonOfRho, rhoOfEpsilonDelta } from '../../src/jobs/dp/accountant.js';
import { DAY_MS } from '../../src/jobs/dp/ledger.js';
import type { BudgetSpend } from '../../src/jobs/dp/types.js';
import type { DatasetPolicy } from '../../src/jobs/policy/types.js';
import { runCli, type CliResult } from '../cli-helpers.js';
import { killAll, startDaemonProcess, tmpDataDir, type DaemonProcess } from '../node/daemon-helpers.js';
import { identity } from './helpers/keys.js';

let dir = '';
let daemon: DaemonProcess | undefined;
let alice = '';
let bob = '';
let ledgerText = '';
const RHO = rhoOfEpsilonDelta(2, 1e-6);

const cli = (...args: string[]): Promise<CliResult> =>
  runCli([...args, '--data-dir', dir], { timeoutMs: 120_000 });

async function ok(...args: string[]): Promise<string> {
  const r = await cli(...args);
  assert.is(r.code, 0, `peermpc ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const d = (): DaemonProcess => daemon!;

test.before(async () => {
  dir = tmpDataDir('peermpc-budget-cli-');
  alice = (await identity()).peerId;
  bob = (await identity()).peerId;
  writeFileSync(join(dir, 'rows.csv'), 'a,b\n1,2\n3,4\n5,6\n');
  // what the job service spent before: alice 0.02 now and 0.5 forty days ago, bob 0.01
  const now = Date.now();
  const spends: BudgetSpend[] = [
    {
      job: 'j1',
      requester: alice,
      dataset: 'vitals',
      rho: 0.5,
      time: new Date(now - 40 * DAY_MS).toISOString(),
    },
    { job: 'j2', requester: alice, dataset: 'vitals', rho: 0.02, time: new Date(now - DAY_MS).toISOString() },
    { job: 'j3', requester: bob, dataset: 'vitals', rho: 0.01, time: new Date(now).toISOString() },
    { job: 'j4', requester: bob, dataset: 'other', rho: 0.3, time: new Date(now).toISOString() },
  ];
  mkdirSync(join(dir, 'jobs'), { recursive: true, mode: 0o700 });
  ledgerText = spends.map((s) => JSON.stringify(s) + '\n').join('');
  writeFileSync(join(dir, 'jobs', 'budget.jsonl'), ledgerText, { mode: 0o600 });
  daemon = await startDaemonProcess(dir);
  await ok('dataset', 'add', join(dir, 'rows.csv'), '--name', 'vitals');
  await ok('dataset', 'add', join(dir, 'rows.csv'), '--name', 'other');
});

test.after(async () => {
  await daemon?.stop().catch(() => undefined);
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

test('policy set --budget --require-dp-below stores the budget (rho derived) and publishes it', async () => {
  const out = await ok(
    'policy',
    'set',
    'vitals',
    '--approval',
    'auto',
    '--budget',
    'epsilon=2,per=30d',
    '--require-dp-below',
    '1000',
  );
  assert.match(out, /budget\s+epsilon 2, delta 0.000001 per 30 days/);
  assert.match(out, /require dp below\s+1000 rows/);
  const shown = JSON.parse(await ok('policy', 'show', 'vitals', '--json')) as { policy: DatasetPolicy };
  assert.equal(shown.policy.budget, { epsilon: 2, delta: 1e-6, rho: RHO, perDays: 30 });
  assert.is(shown.policy.requireDpBelowRows, 1000);
  assert.is(shown.policy.approval, 'auto');
  const signed = await d().client.showDataset(d().peerId, 'vitals');
  assert.equal(signed.description.policy.budget, { epsilon: 2, delta: 1e-6, perDays: 30 });
  assert.is(signed.description.policy.requireDpBelowRows, 1000);
  assert.match(await ok('policy', 'list'), /vitals .*epsilon 2, delta 0.000001 per 30 days/);
});

test('budget show: spent within the window and left, per requester; --json; one dataset', async () => {
  const res = JSON.parse(await ok('budget', 'show', '--json')) as BudgetResponse;
  assert.equal(
    res.datasets.map((x) => x.dataset),
    ['vitals'],
    'only datasets with a budget',
  );
  const [vitals] = res.datasets;
  assert.equal(vitals!.budget, { epsilon: 2, delta: 1e-6, rho: RHO, perDays: 30 });
  const byId = new Map(vitals!.requesters.map((r) => [r.requester, r]));
  const a = byId.get(alice)!;
  assert.ok(Math.abs(a.spentRho - 0.02) < 1e-12, 'the spend 40 days ago is outside the window');
  assert.ok(Math.abs(a.totalRho - 0.52) < 1e-12);
  assert.is(a.spends, 2);
  assert.is(a.spentEpsilon, epsilonOfRho(a.spentRho, 1e-6));
  assert.is(a.remainingRho, RHO - a.spentRho);
  assert.is(a.remainingEpsilon, epsilonOfRho(RHO - a.spentRho, 1e-6));
  assert.ok(a.remainingEpsilon < 2 && a.remainingEpsilon > 1);
  assert.is(byId.get(bob)!.spentRho, 0.01);

  const text = await ok('budget', 'show', 'vitals');
  assert.match(text, /^vitals: epsilon 2, delta 0.000001 per 30 days; rho 0.08815 per requester/);
  assert.match(text, /REQUESTER\s+SPENT EPS \(last 30 days\)\s+LEFT EPS/);
  assert.match(text, new RegExp(`${alice}\\s+${epsilonOfRho(0.02, 1e-6).toPrecision(4)}`));
  assert.ok(text.includes(bob));
  assert.match(await ok('budget', 'show', 'other'), /"other" has no privacy budget/);

  // the API: one dataset, and a bad name
  const one = await d().client.request<BudgetResponse>('GET', '/budget?dataset=vitals');
  assert.is(one.datasets.length, 1);
  try {
    await d().client.request('GET', '/budget?dataset=');
    assert.unreachable('accepted');
  } catch (err) {
    assert.instance(err, ApiRequestError);
    assert.is((err as ApiRequestError).status, 400);
  }
});

test('a budget over all time counts every spend; a budget set on a dataset shows nobody spent yet', async () => {
  await ok('policy', 'set', 'vitals', '--budget', 'epsilon=1,delta=1e-5');
  await ok('policy', 'set', 'other', '--budget', 'epsilon=3');
  const res = JSON.parse(await ok('budget', 'show', '--json')) as BudgetResponse;
  const vitals = res.datasets.find((x) => x.dataset === 'vitals')!;
  assert.is(vitals.budget.perDays, undefined);
  const a = vitals.requesters.find((r) => r.requester === alice)!;
  assert.ok(Math.abs(a.spentRho - 0.52) < 1e-12);
  assert.ok(a.spentRho > vitals.budget.rho);
  assert.is(a.remainingEpsilon, 0, 'exhausted');
  assert.is(a.remainingRho, 0);
  await ok('policy', 'set', 'other', '--approval', 'manual'); // replaces the policy: no budget
  assert.match(await ok('budget', 'show', 'other'), /has no privacy budget/);
  await ok('policy', 'remove', 'vitals');
  assert.match(await ok('budget', 'show'), /no dataset has a privacy budget/);
});

test('bad budgets are refused naming the field; the policy stays as it was', async () => {
  await ok('policy', 'set', 'vitals', '--budget', 'epsilon=2');
  for (const [value, why] of [
    ['epsilon=500', /"budget\.epsilon" must be a number in/],
    ['epsilon=1,delta=0.01', /"budget\.delta" must be a number in/],
    ['epsilon=1,per=4000d', /"budget\.perDays" must be an integer in/],
  ] as const) {
    const r = await cli('policy', 'set', 'vitals', '--budget', value);
    assert.is(r.code, 1, r.stdout);
    assert.match(r.stderr, why);
  }
  const usage = await cli('policy', 'set', 'vitals', '--budget', 'eps=1');
  assert.is(usage.code, 2, usage.stderr);
  assert.match(usage.stderr, /unknown key "eps"/);
  const dp = await cli('policy', 'set', 'vitals', '--require-dp-below', '0');
  assert.is(dp.code, 2, dp.stderr);
  const shown = JSON.parse(await ok('policy', 'show', 'vitals', '--json')) as { policy: DatasetPolicy };
  assert.is(shown.policy.budget?.epsilon, 2);
});

test('a corrupt ledger does not stop the daemon: budget show reports the file and line', async () => {
  assert.is(await d().stop(), 0, d().output());
  const path = join(dir, 'jobs', 'budget.jsonl');
  writeFileSync(path, ledgerText.replace('"j2"', '"j2",'));
  daemon = await startDaemonProcess(dir);
  const r = await cli('budget', 'show');
  assert.is(r.code, 1, r.stdout);
  assert.match(r.stderr, `${path}:2`);
  // a torn last line (a crash mid-append) is dropped, not fatal
  assert.is(await d().stop(), 0, d().output());
  writeFileSync(path, ledgerText + '{"job":"j5","requester":');
  daemon = await startDaemonProcess(dir);
  const res = JSON.parse(await ok('budget', 'show', 'vitals', '--json')) as BudgetResponse;
  assert.is(res.datasets[0]!.requesters.find((x) => x.requester === alice)!.spends, 2);
  assert.is(readFileSync(path, 'utf8'), ledgerText);
});

test.run();
