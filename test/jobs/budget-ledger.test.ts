/**
 * The budget ledger (src/jobs/dp/ledger.ts): appends and reopens, sums over windows, corrupt and
 * torn lines, serialized concurrent spends, durability before `spend` resolves, bounded strings.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  BUDGET_FILE,
  BudgetLedger,
  BudgetLedgerError,
  budgetLedgerPath,
  DAY_MS,
} from '../../src/jobs/dp/ledger.js';
import type { BudgetSpend } from '../../src/jobs/dp/types.js';
import { OUTSIDE_TEXT_MAX } from '../../src/util/bound.js';

const ALICE = '12D3KooWAlice';
const BOB = '12D3KooWBob';
const NOW = new Date('2025-06-30T12:00:00.000Z');

let dir = '';
let n = 0;
const fresh = (): string => join(mkdtempSync(join(tmpdir(), 'peermpc-budget-')), 'jobs', BUDGET_FILE);

function spend(requester: string, dataset: string, rho: number, daysAgo = 0): BudgetSpend {
  n++;
  return {
    job: `job${n}`,
    requester,
    dataset,
    rho,
    time: new Date(NOW.getTime() - daysAgo * DAY_MS).toISOString(),
  };
}

async function error(p: Promise<unknown>): Promise<BudgetLedgerError> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, BudgetLedgerError);
    return err as BudgetLedgerError;
  }
  throw new Error('no error');
}

test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'peermpc-budget-'));
});

test.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('the path is <jobsDir>/budget.jsonl; a missing file is an empty ledger', async () => {
  assert.is(budgetLedgerPath('/x/jobs'), join('/x/jobs', 'budget.jsonl'));
  const ledger = await BudgetLedger.open(join(dir, 'none', BUDGET_FILE));
  assert.equal(await ledger.entries(), []);
  assert.is(await ledger.spent('d', ALICE, NOW), 0);
  assert.equal(await ledger.summary(), []);
});

test('spend appends one line (created 0600, its directory too); a fresh open reads them all', async () => {
  const path = fresh();
  const ledger = await BudgetLedger.open(path);
  const a = spend(ALICE, 'd', 0.1);
  const b = spend(BOB, 'd', 0.25);
  const c = spend(ALICE, 'e', 0.05);
  assert.equal(await ledger.spend(a), a);
  await ledger.spend(b);
  await ledger.spend(c);
  const lines = readFileSync(path, 'utf8').split('\n');
  assert.is(lines.length, 4);
  assert.is(lines[3], '');
  assert.equal(JSON.parse(lines[0]!), a);
  if (process.platform !== 'win32') assert.is(statSync(path).mode & 0o777, 0o600);
  const again = await BudgetLedger.open(path);
  assert.equal(await again.entries(), [a, b, c]);
  assert.is(await again.spent('d', ALICE, NOW), 0.1);
  assert.is(await again.spent('d', BOB, NOW), 0.25);
  assert.is(await again.spent('e', ALICE, NOW), 0.05);
  assert.is(await again.spent('e', BOB, NOW), 0);
});

test('spent sums within the window (all time without one); summary per dataset and requester', async () => {
  const ledger = await BudgetLedger.open(fresh());
  await ledger.spend(spend(ALICE, 'd', 0.5, 40)); // outside a 30-day window
  await ledger.spend(spend(ALICE, 'd', 0.25, 29.5));
  await ledger.spend(spend(ALICE, 'd', 0.125, 1));
  await ledger.spend(spend(ALICE, 'd', 0.0625, -1)); // dated after now: counts
  await ledger.spend(spend(BOB, 'd', 1, 2));
  await ledger.spend(spend(BOB, 'e', 2, 100));
  assert.is(await ledger.spent('d', ALICE, NOW), 0.9375);
  assert.is(await ledger.spent('d', ALICE, NOW, 30), 0.4375);
  assert.is(await ledger.spent('d', ALICE, NOW, 1), 0.0625, 'exactly one day ago is outside');
  assert.is(await ledger.spent('d', ALICE, new Date(NOW.getTime() + 30.5 * DAY_MS), 30), 0.0625);
  const all = await ledger.summary(undefined, { now: NOW, perDays: (d) => (d === 'd' ? 30 : undefined) });
  assert.equal(
    all.map((u) => [u.dataset, u.requester, u.totalRho, u.windowRho, u.perDays, u.spends]),
    [
      ['d', ALICE, 0.9375, 0.4375, 30, 4],
      ['d', BOB, 1, 1, 30, 1],
      ['e', BOB, 2, 2, undefined, 1],
    ],
  );
  assert.is(all[0]!.last, new Date(NOW.getTime() + DAY_MS).toISOString());
  const e = await ledger.summary('e', { now: NOW });
  assert.equal(
    e.map((u) => u.requester),
    [BOB],
  );
});

test('a corrupt line is a BudgetLedgerError naming the file and line; nothing is spent then', async () => {
  const path = fresh();
  const ledger = await BudgetLedger.open(path);
  await ledger.spend(spend(ALICE, 'd', 0.1));
  await ledger.spend(spend(ALICE, 'd', 0.1));
  const text = readFileSync(path, 'utf8');
  for (const bad of [
    '{"job":',
    '{"job":"j","requester":"r","dataset":"d","rho":-1,"time":"2025-01-01T00:00:00Z"}',
    '',
  ]) {
    const lines = text.split('\n');
    lines.splice(1, 0, bad);
    writeFileSync(path, lines.join('\n'));
    const err = await error(BudgetLedger.open(path));
    assert.is(err.path, path);
    assert.is(err.line, 2);
    assert.match(err.message, `${path}:2`);
  }
  // a corrupt last line that ends with its newline is corrupt, not torn
  writeFileSync(path, text + 'nope\n');
  assert.is((await error(BudgetLedger.open(path))).line, 3);
  // a lazily opened ledger reports it at its first use, and refuses to spend
  const lazy = new BudgetLedger(path);
  assert.is((await error(lazy.spent('d', ALICE))).line, 3);
  assert.is((await error(lazy.spend(spend(ALICE, 'd', 0.1)))).line, 3);
  assert.is(readFileSync(path, 'utf8'), text + 'nope\n', 'nothing appended to a corrupt ledger');
});

test('a torn last line (no newline) is dropped and cut off; the next spend appends cleanly', async () => {
  const path = fresh();
  const ledger = await BudgetLedger.open(path);
  const a = spend(ALICE, 'd', 0.1);
  await ledger.spend(a);
  const good = readFileSync(path, 'utf8');
  appendFileSync(path, JSON.stringify(spend(ALICE, 'd', 5)).slice(0, 30));
  const reopened = await BudgetLedger.open(path);
  assert.equal(await reopened.entries(), [a]);
  assert.is(readFileSync(path, 'utf8'), good, 'the torn line is cut off the file');
  const b = spend(BOB, 'd', 0.2);
  await reopened.spend(b);
  assert.equal(await (await BudgetLedger.open(path)).entries(), [a, b]);
  // a whole line without its newline is torn too: the spend never resolved
  appendFileSync(path, JSON.stringify(spend(ALICE, 'd', 5)));
  assert.equal(await (await BudgetLedger.open(path)).entries(), [a, b]);
  assert.ok(readFileSync(path, 'utf8').endsWith('\n'));
});

test('concurrent spends are serialized: every line whole, none lost', async () => {
  const path = fresh();
  const ledger = new BudgetLedger(path);
  const spends = Array.from({ length: 50 }, (_, i) => spend(i % 2 === 0 ? ALICE : BOB, 'd', 0.01));
  await Promise.all(spends.map((s) => ledger.spend(s)));
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  assert.equal(
    lines.map((l) => (JSON.parse(l) as BudgetSpend).job),
    spends.map((s) => s.job),
    'in call order',
  );
  const fresh2 = await BudgetLedger.open(path);
  assert.is((await fresh2.entries()).length, 50);
  assert.ok(Math.abs((await fresh2.spent('d', ALICE, NOW)) - 0.25) < 1e-12);
});

test('spendWithin checks the limit and spends in one serialized step', async () => {
  const path = fresh();
  const ledger = new BudgetLedger(path);
  await ledger.spend(spend(ALICE, 'd', 0.5, 40));
  // 8 concurrent jobs of 0.3 each against a limit of 1 in a 30-day window: exactly 3 pass
  const results = await Promise.all(
    Array.from({ length: 8 }, () => ledger.spendWithin(spend(ALICE, 'd', 0.3), { rho: 1, perDays: 30 })),
  );
  assert.is(results.filter((r) => r.recorded).length, 3);
  assert.equal(
    results.map((r) => Math.round(r.spentBefore * 10) / 10),
    [0, 0.3, 0.6, 0.9, 0.9, 0.9, 0.9, 0.9],
  );
  assert.is((await (await BudgetLedger.open(path)).entries()).length, 4);
  // over all time, the old spend counts
  const r = await ledger.spendWithin(spend(BOB, 'd', 0.6), { rho: 1 });
  assert.ok(r.recorded);
  assert.not.ok((await ledger.spendWithin(spend(BOB, 'd', 0.6), { rho: 1 })).recorded);
});

test('spend resolves only once its line is on disk: a fresh open sees every resolved spend', async () => {
  const path = fresh();
  const ledger = new BudgetLedger(path);
  for (let i = 0; i < 5; i++) {
    const s = spend(ALICE, 'd', 0.01 * (i + 1));
    await ledger.spend(s);
    const seen = await (await BudgetLedger.open(path)).entries();
    assert.equal(seen[seen.length - 1], s);
  }
});

test('malformed spends are a TypeError and write nothing; a failed write is a BudgetLedgerError', async () => {
  const path = fresh();
  const ledger = new BudgetLedger(path);
  for (const bad of [
    { ...spend(ALICE, 'd', 0.1), rho: -0.1 },
    { ...spend(ALICE, 'd', 0.1), rho: Number.NaN },
    { ...spend(ALICE, 'd', 0.1), rho: Infinity },
    { ...spend(ALICE, 'd', 0.1), time: 'yesterday' },
    { ...spend(ALICE, 'd', 0.1), requester: '' },
    { ...spend(ALICE, 'd', 0.1), dataset: 7 as unknown as string },
  ]) {
    try {
      await ledger.spend(bad);
      assert.unreachable('accepted');
    } catch (err) {
      assert.instance(err, TypeError);
    }
  }
  assert.equal(await ledger.entries(), []);
  // the ledger's directory became a file after it was read: it cannot be written
  const blocked = join(dir, 'blocked');
  const opened = await BudgetLedger.open(join(blocked, BUDGET_FILE));
  writeFileSync(blocked, '');
  const err = await error(opened.spend(spend(ALICE, 'd', 0.1)));
  assert.is(err.line, 0);
  assert.match(err.message, 'cannot record');
});

test('requester ids and dataset names are bounded before they are stored, and looked up alike', async () => {
  const path = fresh();
  const ledger = new BudgetLedger(path);
  const long = 'x'.repeat(100_000);
  await ledger.spend({ ...spend(long, long, 0.1), job: long });
  const stored = readFileSync(path, 'utf8');
  assert.ok(stored.length < 4 * OUTSIDE_TEXT_MAX + 200, `${stored.length} characters`);
  assert.is(await ledger.spent(long, long, NOW), 0.1);
  const [u] = await ledger.summary(long);
  assert.ok(u !== undefined && u.requester.length < OUTSIDE_TEXT_MAX + 50);
  assert.is(await (await BudgetLedger.open(path)).spent(long, long, NOW), 0.1);
});

test.run();
