/** In-process job services (three hospitals and a scientist) over the in-memory jobs network. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDescription } from '../../../src/node/dataset/description.js';
import type { LocalDataset, SignedDatasetDescription } from '../../../src/node/types.js';
import { MemoryJobsNetwork } from '../../../src/jobs/service/memory-transport.js';
import type { MemoryNetworkOptions } from '../../../src/protocols/memory-channel.js';
import { JobService, type JobDatasets } from '../../../src/jobs/service/service.js';
import type { JobsConfig } from '../../../src/jobs/service/config.js';
import { COLUMNS, identity, type TestIdentity } from './keys.js';
import { patients } from './data.js';

/** One peer of the test network. */
export interface TestPeer {
  id: TestIdentity;
  service: JobService;
  dir: string;
  rows?: number[][];
}

/** A dataset catalog over in-memory tables: `tables[peerId]` is that peer's `patients`. */
function catalog(self: string, tables: Map<string, number[][]>): JobDatasets {
  const describe = (owner: string): SignedDatasetDescription => {
    const rows = tables.get(owner);
    if (rows === undefined) throw new Error(`no dataset patients at ${owner}`);
    const description = buildDescription({
      name: 'patients',
      owner,
      description: '',
      columns: COLUMNS,
      magnitudes: COLUMNS.map(() => 10), // every test column stays within 2^10
      rows: rows.length,
      tags: ['patients'],
      mock: [],
      mockSource: 'synthetic',
      policy: {},
    });
    return { description, signature: '' };
  };
  return {
    show: async (owner, name) => {
      if (name !== 'patients') throw new Error(`no dataset ${name}`);
      return describe(owner);
    },
    get: async (name): Promise<LocalDataset | undefined> =>
      name === 'patients' && tables.has(self)
        ? { signed: describe(self), dataBytes: 0, advertised: true }
        : undefined,
    readValues: async () => {
      const rows = tables.get(self)!;
      return { columns: COLUMNS, rows: rows.length, values: Float64Array.from(rows.flat()) };
    },
  };
}

/** A network of a scientist and three hospitals. */
export interface TestNetwork {
  net: MemoryJobsNetwork;
  sci: TestPeer;
  hospitals: TestPeer[];
  all: TestPeer[];
  close(): void;
}

/** Builds the network; hospital i holds `patients(sizes[i], i + 1)`. */
export async function testNetwork(
  sizes = [120, 150, 90],
  config: Partial<JobsConfig> = {},
  network: MemoryNetworkOptions = {},
): Promise<TestNetwork> {
  const net = new MemoryJobsNetwork(network);
  const ids = [await identity(), await identity(), await identity(), await identity()];
  const tables = new Map<string, number[][]>();
  sizes.forEach((n, i) => tables.set(ids[i + 1]!.peerId, patients(n, i + 1)));
  const dirs: string[] = [];
  const peers = ids.map((id): TestPeer => {
    const dir = mkdtempSync(join(tmpdir(), 'peermpc-jobsvc-'));
    dirs.push(dir);
    const service = new JobService({
      self: id.peerId,
      signer: id.key,
      transport: net.transport(id.peerId),
      openChannel: net.openChannel(id.peerId),
      datasets: catalog(id.peerId, tables),
      isAllowed: () => true,
      jobsDir: join(dir, 'jobs'),
      auditPath: join(dir, 'audit.log'),
      config: { stepMs: 5_000, connectMs: 5_000, proposeMs: 5_000, sweepMs: 100, ...config },
    });
    return { id, service, dir, rows: tables.get(id.peerId) };
  });
  return {
    net,
    sci: peers[0]!,
    hospitals: peers.slice(1),
    all: peers,
    close() {
      for (const p of peers) p.service.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** Waits until `cond()` holds (polling), or throws after `ms`. */
export async function until(cond: () => boolean, ms = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
