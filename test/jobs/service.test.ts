/**
 * The job service in one process (in-memory network): approval by policy and by a person,
 * rejection, policy refusals before any session, bad signatures and replays, cancellation, expiry,
 * a party that disappears mid-run, and the audit trail on every peer.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createJob, signJob } from '../../src/jobs/job/sign.js';
import type { JobRequest } from '../../src/jobs/service/request.js';
import { shorthandProgram } from '../../src/jobs/program/shorthand.js';
import type { JobState } from '../../src/jobs/state.js';
import { cov, covarianceError, means } from './helpers/data.js';
import { COLUMNS } from './helpers/keys.js';
import { testNetwork, until, type TestNetwork, type TestPeer } from './helpers/services.js';

function request(
  net: TestNetwork,
  stats: ('mean' | 'covariance' | 'correlation')[] = ['mean', 'covariance'],
  ttlMs?: number,
): JobRequest {
  return {
    program: shorthandProgram({
      inputs: net.hospitals.map((_, i) => ({ name: `h${i + 1}`, columns: COLUMNS })),
      stats,
    }),
    inputs: net.hospitals.map((h) => ({ owner: h.id.peerId, dataset: 'patients' })),
    ...(ttlMs !== undefined ? { ttlMs } : {}),
  };
}

/** The hospitals trust each other as compute parties (a consortium). */
function consortium(net: TestNetwork): string[] {
  return net.hospitals.map((h) => h.id.peerId);
}

async function setPolicies(net: TestNetwork, policy: Record<string, unknown>): Promise<void> {
  for (const h of net.hospitals)
    await h.service.policies.set('patients', { computeParties: consortium(net), ...policy });
}

function stateOf(p: TestPeer, id: string): JobState | undefined {
  return p.service.store.find(id)?.state;
}

async function allIn(net: TestNetwork, id: string, state: JobState): Promise<void> {
  await until(
    () => net.all.every((p) => stateOf(p, id) === state),
    20_000,
    `every peer ${state}: ${net.all.map((p) => stateOf(p, id)).join(',')}`,
  );
}

function close(a: readonly (number | null)[], e: number[], tol: number): void {
  a.forEach((v, i) =>
    assert.ok(Math.abs(v! - e[i]!) <= tol * Math.max(1, Math.abs(e[i]!)), `[${i}] ${v} vs ${e[i]}`),
  );
}

test('auto approval: the requester alone gets the result, equal to plaintext; everyone audits', async () => {
  const net = await testNetwork();
  try {
    await setPolicies(net, { approval: 'auto' });
    const rec = await net.sci.service.submit(request(net, ['mean', 'covariance', 'correlation']));
    await allIn(net, rec.id, 'done');
    const all = net.hospitals.flatMap((h) => h.rows!);
    const result = net.sci.service.store.get(rec.id).result!;
    close(result.find((o) => o.name === 'mean')!.values, means(all), 1e-4);
    const covErr = covarianceError(result.find((o) => o.name === 'covariance')!.values, cov(all));
    assert.ok(covErr <= 1e-3, `covariance error ${covErr}`);
    for (const h of net.hospitals) {
      assert.is(h.service.store.get(rec.id).result, undefined);
      const types = h.service.audit.list({ job: rec.id }).map((e) => e.event.type);
      for (const t of ['job.received', 'job.decided', 'job.released'])
        assert.ok(types.includes(t as never), `${t} in ${types}`);
      const released = h.service.audit.list({ job: rec.id }).find((e) => e.event.type === 'job.released')!;
      assert.is(released.event.releasedTo, net.sci.id.peerId);
      assert.ok(h.service.audit.verify().ok);
      assert.not.match(JSON.stringify(h.service.audit.list()), /"values"/);
    }
    const sciStats = net.sci.service.store.get(rec.id).stats!;
    assert.ok(sciStats.rounds > 0 && sciStats.bytesReceived > 0);
    assert.ok(sciStats.ms.discovery !== undefined && sciStats.ms.compute !== undefined);
  } finally {
    net.close();
  }
});

test('manual approval by a person on one owner', async () => {
  const net = await testNetwork();
  try {
    await setPolicies(net, { approval: 'auto' });
    await net.hospitals[1]!.service.policies.set('patients', {
      computeParties: consortium(net),
      approval: 'manual',
    });
    const rec = await net.sci.service.submit(request(net));
    assert.is(rec.state, 'proposed');
    assert.is(rec.approvals[net.hospitals[1]!.id.peerId]!.decision, 'pending');
    const pending = net.hospitals[1]!.service.pending();
    assert.equal(
      pending.map((r) => r.id),
      [rec.id],
    );
    assert.equal(net.hospitals[0]!.service.pending(), []);
    await net.hospitals[1]!.service.approve(rec.id);
    await allIn(net, rec.id, 'done');
    assert.ok(net.sci.service.store.get(rec.id).result!.length === 2);
    const decided = net.hospitals[1]!.service.audit.list({ job: rec.id }).filter(
      (e) => e.event.type === 'job.decided',
    );
    assert.is(decided.at(-1)!.event.by, 'person');
  } finally {
    net.close();
  }
});

test('a person rejects: rejected everywhere, no session, nothing released', async () => {
  const net = await testNetwork();
  try {
    await setPolicies(net, { approval: 'manual' });
    const rec = await net.sci.service.submit(request(net));
    await net.hospitals[0]!.service.reject(rec.id, 'not for this study');
    await allIn(net, rec.id, 'rejected');
    const r = net.sci.service.store.get(rec.id);
    assert.is(r.result, undefined);
    assert.match(r.error!.message, /not for this study/);
    assert.is(net.net.sessionCount, 0);
    for (const h of net.hospitals)
      assert.not.ok(h.service.audit.list({ job: rec.id }).some((e) => e.event.type === 'job.released'));
  } finally {
    net.close();
  }
});

test('policy violations are refused before any share moves', async () => {
  const net = await testNetwork([30, 30, 30]);
  try {
    await setPolicies(net, { approval: 'auto' });
    await net.hospitals[2]!.service.policies.set('patients', {
      computeParties: consortium(net),
      approval: 'auto',
      ops: ['union', 'mean'],
    });
    const forbiddenOp = await net.sci.service.submit(request(net));
    await allIn(net, forbiddenOp.id, 'rejected');
    assert.match(net.sci.service.store.get(forbiddenOp.id).error!.message, /op "covariance" is not allowed/);

    await net.hospitals[2]!.service.policies.set('patients', {
      computeParties: consortium(net),
      approval: 'auto',
      requesters: [net.hospitals[0]!.id.peerId],
    });
    const forbiddenRequester = await net.sci.service.submit(request(net));
    await allIn(net, forbiddenRequester.id, 'rejected');
    assert.match(
      net.sci.service.store.get(forbiddenRequester.id).error!.message,
      /requester .* is not allowed/,
    );

    await net.hospitals[2]!.service.policies.set('patients', {
      computeParties: consortium(net),
      approval: 'auto',
      minRows: 100,
    });
    const tooFew = await net.sci.service.submit(request(net));
    await allIn(net, tooFew.id, 'rejected');
    assert.match(
      net.sci.service.store.get(tooFew.id).error!.message,
      / 30 rows, fewer than the minimum of 100/,
    );
    assert.is(net.net.sessionCount, 0);
    const audit = net.hospitals[2]!.service.audit.list({ job: tooFew.id });
    assert.ok(
      audit.some(
        (e) => e.event.type === 'job.decided' && e.event.decision === 'refused' && e.event.by === 'policy',
      ),
    );
  } finally {
    net.close();
  }
});

test('bad signatures and replayed job ids are refused and audited', async () => {
  const net = await testNetwork();
  try {
    await setPolicies(net, { approval: 'auto' });
    const h = net.hospitals[0]!;
    const req = request(net);
    const job = createJob({
      requester: net.sci.id.peerId,
      program: req.program,
      inputs: net.hospitals.map((p, i) => ({
        name: `h${i + 1}`,
        owner: p.id.peerId,
        dataset: 'patients',
        columns: COLUMNS,
        rows: p.rows!.length,
        magnitudes: COLUMNS.map(() => 10),
      })),
      computeParties: net.hospitals.map((p) => p.id.peerId),
    });
    const signed = await signJob(job, net.sci.id.key);
    const forged = {
      ...signed,
      job: { ...signed.job, expires: new Date(Date.now() + 3_600_000).toISOString() },
    };
    const bad = await h.service.handle({ type: 'propose', signed: forged }, net.sci.id.peerId);
    assert.is(bad.ok, false);
    assert.match(JSON.stringify(bad), /bad signature/);
    const first = await h.service.handle({ type: 'propose', signed }, net.sci.id.peerId);
    assert.equal(first, { ok: true, decision: 'approved' });
    const replay = await h.service.handle({ type: 'propose', signed }, net.sci.id.peerId);
    assert.is(replay.ok, false);
    assert.match(JSON.stringify(replay), /seen before/);
    const relayed = await net.hospitals[1]!.service.handle(
      { type: 'propose', signed },
      net.hospitals[2]!.id.peerId,
    );
    assert.is(relayed.ok, false);
    const refusals = h.service.audit
      .list()
      .filter((e) => e.event.decision === 'refused' && e.event.by === 'check');
    assert.is(refusals.length, 2);
  } finally {
    net.close();
  }
});

test('cancel and expiry end the job everywhere', async () => {
  const net = await testNetwork();
  try {
    await setPolicies(net, { approval: 'manual' });
    const rec = await net.sci.service.submit(request(net));
    await net.sci.service.cancel(rec.id, 'changed my mind');
    await allIn(net, rec.id, 'cancelled');
    const short = await net.sci.service.submit(request(net, ['mean'], 400));
    await allIn(net, short.id, 'expired');
    await net.hospitals[0]!.service.approve(short.id).then(
      () => assert.unreachable('approving an expired job must fail'),
      (err: Error) => assert.match(err.message, /expired|cannot go/),
    );
  } finally {
    net.close();
  }
});

test('a party that disappears mid-run fails the job everywhere, naming it; nothing released', async () => {
  let delivered = 0;
  let kill: (() => void) | undefined;
  const net = await testNetwork(
    [400, 400, 400],
    { stepMs: 1_500 },
    {
      tap: () => {
        if (++delivered === 40) queueMicrotask(() => kill?.());
      },
    },
  );
  try {
    await setPolicies(net, { approval: 'auto' });
    const victim = net.hospitals[1]!;
    kill = () => {
      net.net.down.add(victim.id.peerId);
      net.net.channels(net.net.sessionIds()[0]!)![1]!.abort(new Error('process killed'));
    };
    const { id } = await net.sci.service.submit(request(net, ['mean', 'covariance', 'correlation']));
    await until(
      () => [net.sci, net.hospitals[0]!, net.hospitals[2]!].every((p) => stateOf(p, id) === 'failed'),
      20_000,
      'failed everywhere',
    );
    const r = net.sci.service.store.get(id);
    assert.is(r.result, undefined);
    assert.is(r.error!.party, victim.id.peerId, r.error!.message);
    assert.match(r.error!.message, new RegExp(victim.id.peerId));
    for (const p of [net.hospitals[0]!, net.hospitals[2]!]) {
      assert.not.ok(p.service.audit.list({ job: id }).some((e) => e.event.type === 'job.released'));
    }
  } finally {
    net.close();
  }
});

test('a session that fails while every party still answers is retried once, and succeeds', async () => {
  let delivered = 0;
  let hiccup: (() => void) | undefined;
  const net = await testNetwork(
    [200, 200, 200],
    { stepMs: 1_500 },
    {
      tap: () => {
        if (++delivered === 20) queueMicrotask(() => hiccup?.());
      },
    },
  );
  try {
    await setPolicies(net, { approval: 'auto' });
    hiccup = () => net.net.channels(net.net.sessionIds()[0]!)![1]!.abort(new Error('connection reset'));
    const { id } = await net.sci.service.submit(request(net, ['mean', 'correlation']));
    await allIn(net, id, 'done');
    assert.equal(net.net.sessionIds(), [id, `${id}.1`]);
    const all = net.hospitals.flatMap((h) => h.rows!);
    close(net.sci.service.store.get(id).result!.find((o) => o.name === 'mean')!.values, means(all), 1e-4);
    assert.ok(
      net.sci.service.audit.list({ job: id }).some((e) => /retrying the session/.test(e.event.reason ?? '')),
    );
  } finally {
    net.close();
  }
});

test.run();
