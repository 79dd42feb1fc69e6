/**
 * Simulation scenarios: defaults filled in, every kind of mistake refused with the field named,
 * and the synthetic datasets reproducible from the seed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { datasetCsv } from '../../src/sim/data.js';
import { datasetName, datasetOwners, parseScenario, ScenarioError } from '../../src/sim/scenario.js';

function refused(input: unknown, message: RegExp): void {
  try {
    parseScenario(input);
  } catch (err) {
    assert.instance(err, ScenarioError);
    assert.match((err as Error).message, message);
    return;
  }
  assert.unreachable(`accepted ${JSON.stringify(input)}`);
}

test('defaults: a scenario of just a peer count is complete', () => {
  const s = parseScenario({ peers: 30 });
  assert.is(s.seed, 1);
  assert.is(s.transport, 'memory');
  assert.equal(datasetOwners(s), [0, 1, 2]);
  assert.is(datasetName(s, 2), 'data-2');
  assert.is(s.searches, 200);
  assert.equal(s.links.default, { latencyMs: 0, jitterMs: 0 });
  assert.equal(s.jobs, []);
  assert.equal(s.dht, { k: 8, alpha: 3, disjointPaths: 1, admit: 'connected', refreshOnStart: false });
});

test('owners: all, the first k, or a list; two peers get two owners by default', () => {
  assert.equal(datasetOwners(parseScenario({ peers: 4, datasets: { owners: 'all' } })), [0, 1, 2, 3]);
  assert.equal(datasetOwners(parseScenario({ peers: 4, datasets: { owners: [3, 1, 3] } })), [1, 3]);
  assert.equal(datasetOwners(parseScenario({ peers: 2 })), [0, 1]);
});

test('mistakes are refused, naming the field', () => {
  refused({ peers: 10, colour: 'red' }, /^unknown field 'colour'$/);
  refused({ peers: 10, dht: { k: 100 } }, /^dht\.k: /);
  refused({ peers: 10, dht: { admit: 'some' } }, /^dht\.admit: /);
  refused({ peers: 10, dht: { beta: 1 } }, /unknown field 'beta'/);
  refused({ peers: 1 }, /^peers: /);
  refused({ peers: 10.5 }, /^peers: /);
  refused({ peers: 10, links: { default: { latencyMs: -1 } } }, /^links\.default\.latencyMs: /);
  refused({ peers: 10, links: { default: { bandwidthMbps: 0 } } }, /^links\.default\.bandwidthMbps: /);
  refused(
    { peers: 10, jobs: [{ requester: 1, datasets: ['data-0', 'nope'] }] },
    /^jobs\[0\]\.datasets\[1\]: unknown dataset 'nope'/,
  );
  refused(
    { peers: 10, jobs: [{ requester: 10, datasets: ['data-0'] }] },
    /^jobs\[0\]\.requester: peer 10 does not exist/,
  );
  refused(
    { peers: 2, jobs: [{ requester: 1, datasets: ['data-0'], computeParties: [0, 1, 0] }] },
    /^jobs\[0\]\.computeParties: 3 compute parties but 2 peers/,
  );
  refused(
    { peers: 5, jobs: [{ requester: 1, datasets: ['data-0'], computeParties: [0, 1] }] },
    /^jobs\[0\]\.computeParties: rep3 needs exactly 3/,
  );
  refused(
    { peers: 5, jobs: [{ requester: 1, datasets: ['data-0'], stats: ['median'] }] },
    /^jobs\[0\]\.stats\[0\]: /,
  );
  refused({ peers: 10, datasets: { owners: 11 } }, /^datasets\.owners: 11 owners but only 10 peers/);
  refused(
    { peers: 10, datasets: { columns: [{ name: 'a', min: 2, max: 1 }] } },
    /^datasets\.columns\[0\]: min must be below max/,
  );
  refused(
    { peers: 10, datasets: { columns: [{ name: 'a b', min: 0, max: 1 }] } },
    /^datasets\.columns\[0\]\.name: /,
  );
  refused(
    { peers: 10, links: { regions: { eu: [0, 12] } } },
    /^links\.regions\.eu\[1\]: peer 12 does not exist/,
  );
  refused(
    { peers: 10, links: { regions: { eu: [0] }, between: [{ from: 'eu', to: 'us' }] } },
    /^links\.between\[0\]\.to: unknown region 'us'/,
  );
  refused({ peers: 10, churn: [{ at: 5, peer: 3, action: 'explode' }] }, /^churn\[0\]\.action: /);
  refused('not an object', /expected object/);
});

test('a huge unknown field name is cut before it is echoed', () => {
  try {
    parseScenario({ peers: 3, ['x'.repeat(100_000)]: 1 });
    assert.unreachable();
  } catch (err) {
    assert.ok((err as Error).message.length < 200);
  }
});

test('synthetic data: same seed, same rows; another seed or owner, other rows; within bounds', () => {
  const s = parseScenario({
    peers: 5,
    seed: 7,
    datasets: { rows: 50, columns: [{ name: 'x', min: -1, max: 1, decimals: 2 }] },
  });
  const a = datasetCsv(s, 0);
  assert.is(datasetCsv(s, 0), a);
  assert.is.not(datasetCsv(s, 1), a);
  assert.is.not(datasetCsv({ ...s, seed: 8 }, 0), a);
  const values = a.trim().split('\n').slice(1).map(Number);
  assert.is(values.length, 50);
  assert.ok(values.every((v) => v >= -1 && v <= 1 && Math.abs(Math.round(v * 100) - v * 100) < 1e-9));
  assert.ok(new Set(values).size > 20);
});

test.run();
