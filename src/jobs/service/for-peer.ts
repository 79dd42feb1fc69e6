/**
 * The job service of a real peer: the jobs protocol on the peer's request/reply messaging
 * (`/peermpc/jobs/2.0.0`, typed: each message type has its size limit, checked before the message is
 * read; sender authenticated by Noise, access lists enforced by the peer), MPC
 * channels from `openSession`, jobs signed with the peer's key, datasets from its catalog, state
 * under `<dataDir>/jobs` and the audit log at `<dataDir>/audit.log`.
 */
import { join } from 'node:path';
import type { Peer } from '../../node/peer.js';
import { logger } from '../../util/log.js';
import type { NonlinearOps } from '../executor/context.js';
import { loadJobsConfig, type JobsConfig } from './config.js';
import { MAX_MESSAGE_BYTES, MAX_REPLY_BYTES, parseReply } from './messages.js';
import { auditDenials } from './denials.js';
import { JobService } from './service.js';
import type { JobsHandler, JobsTransport, LinkKind, OpenChannel, OpenedChannel } from './transport.js';

/** The jobs protocol id. */
export const JOBS_PROTOCOL = '/peermpc/jobs/2.0.0';

/** The audit log's file name in the data directory. */
export const AUDIT_FILE = 'audit.log';

/** The part of a {@link Peer} the job service uses. */
export type JobsPeer = Pick<
  Peer,
  'peerId' | 'datasets' | 'access' | 'openSession' | 'sign' | 'handleRequests' | 'request'
> &
  Partial<Pick<Peer, 'connectedPeers'>>;

const log = logger('jobs:peer');

/** Whether `peer` has everything the job service needs (a daemon's test peer may not). */
export function isJobsPeer(peer: unknown): peer is JobsPeer {
  const p = peer as Partial<Record<keyof JobsPeer, unknown>>;
  return ['openSession', 'sign', 'handleRequests', 'request'].every(
    (m) => typeof p[m as keyof JobsPeer] === 'function',
  );
}

/** The jobs transport over the peer's request/reply messaging. */
export function peerJobsTransport(peer: JobsPeer, timeoutMs: number): JobsTransport {
  let handler: JobsHandler = async () => ({
    ok: false,
    error: { name: 'NotReady', message: 'the job service is starting' },
  });
  void peer
    .handleRequests(JOBS_PROTOCOL, (message, from) => handler(message, from), {
      maxRequestBytes: MAX_MESSAGE_BYTES,
      timeoutMs,
    })
    .catch((err: Error) => log.error('cannot serve %s: %s', JOBS_PROTOCOL, err.message));
  return {
    async request(peerId, message, options = {}) {
      const reply = await peer.request(peerId, JOBS_PROTOCOL, message, {
        timeoutMs,
        typed: true,
        maxReplyBytes: MAX_REPLY_BYTES,
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
      });
      return parseReply(reply);
    },
    setHandler(h) {
      handler = h;
    },
  };
}

/** Options of {@link jobServiceForPeer}. */
export interface PeerJobServiceOptions {
  /** Settings over `<dataDir>/jobs/config.json`. */
  config?: Partial<JobsConfig>;
  /** Nonlinear ops (default the engine's). */
  nonlinear?: NonlinearOps;
}

/**
 * Builds the job service of `peer` with its state in `dataDir`, and makes the peer's dataset
 * descriptions publish the summary of each dataset's effective policy (now, on every add, and on
 * every policy change through the service).
 */
export function jobServiceForPeer(
  peer: JobsPeer,
  dataDir: string,
  options: PeerJobServiceOptions = {},
): JobService {
  // the jobs messages' timeout is the configured one (jobs/config.json), as the service's own
  const { proposeMs } = loadJobsConfig(join(dataDir, 'jobs'), options.config);
  const openChannel: OpenChannel = async ({ jobId, parties, timeouts }, { signal }) => {
    const channel = await peer.openSession(
      {
        jobId,
        parties,
        timeouts: { connectMs: timeouts.connectMs, stepMs: timeouts.stepMs, jobMs: timeouts.sessionMs },
      },
      signal !== undefined ? { signal } : {},
    );
    const linkKinds = linksTo(peer, parties);
    if ('linkKinds' in channel) return channel as OpenedChannel; // never overwrite a field of the channel
    return Object.assign(channel, { linkKinds });
  };
  const service = new JobService({
    self: peer.peerId,
    signer: { sign: (data) => peer.sign(data) },
    transport: peerJobsTransport(peer, proposeMs),
    openChannel,
    datasets: {
      show: (owner, name, o) =>
        peer.datasets.show(owner, name, o?.signal !== undefined ? { signal: o.signal } : {}),
      get: (name) => peer.datasets.get(name),
      readValues: (name) => peer.datasets.readValues(name),
      rowPrints: (name) => peer.datasets.rowPrints(name),
      projectedPrints: (name, columns) => peer.datasets.projectedPrints(name, columns),
      list: () => peer.datasets.list(),
      setPolicySummary: (name, summary) => peer.datasets.setPolicySummary(name, summary),
    },
    isAllowed: (id) => peer.access.isAllowed(id),
    jobsDir: join(dataDir, 'jobs'),
    auditPath: join(dataDir, AUDIT_FILE),
    ...(options.config !== undefined ? { config: options.config } : {}),
    ...(options.nonlinear !== undefined ? { nonlinear: options.nonlinear } : {}),
  });
  // A dataset added from now on publishes its effective policy at once; those already here
  // (older data directories, policies set while the daemon was down) are brought up to date.
  peer.datasets.setPolicySummaryProvider((name) => service.policySummary(name));
  void service.publishPolicySummaries();
  service.onStop(
    auditDenials(
      (l) => peer.access.onDenied(l),
      (e) => service.audit.append(e),
    ),
  );
  return service;
}

/**
 * How this peer reaches each other party once the session is open: `direct` when it holds a direct
 * connection (the MPC streams prefer it: a hole punch closes the relayed one), else `relayed`.
 */
function linksTo(peer: JobsPeer, parties: readonly string[]): Record<string, LinkKind> | undefined {
  if (peer.connectedPeers === undefined) return undefined;
  const conns = peer.connectedPeers();
  const out: Record<string, LinkKind> = {};
  for (const p of parties) {
    if (p === peer.peerId) continue;
    const mine = conns.filter((c) => c.peerId === p);
    if (mine.length > 0) out[p] = mine.some((c) => c.kind === 'direct') ? 'direct' : 'relayed';
  }
  return out;
}
