/**
 * Checks that each site's NAT behaves as its topology says, before any libp2p is involved:
 *
 * 1. mapping: the site's first host connects from one local port to two "what is my address"
 *    servers on the public network (two ports of the first public host, or the first and last
 *    public hosts). Cone: both saw the router's public address with the same port, equal to the
 *    local port (endpoint-independent, port-preserving). Symmetric: the two ports differ.
 * 2. unsolicited: while those connections are open, the first public host connects to the
 *    router's public address, at the live mapping's port and at a closed port: both must time out
 *    (dropped silently), neither be refused.
 * 3. holepunch, for every pair of sites: each side connects from the local port of step 1 to the
 *    public ip:port the first server saw for the other side (what a relay's "observed address"
 *    would tell it), at the same moment and with no listener: a TCP simultaneous open. Expected to
 *    connect when both NATs are cone and to fail when either is symmetric.
 *    The same again from a new local port (`new port`: the port + 100), as a dialer that cannot
 *    bind its listening port does (Node's net, so js-libp2p's TCP transport): expected to fail
 *    for every pair, cone ones included, because a Linux NAT filters inbound packets by the
 *    mapping's remote address and port (port-restricted), and the new port's mapping was never
 *    told to the peer.
 */
import type { Lab } from './lab.js';
import { ProbeAgent } from './probe-client.js';
import type { Endpoint, PunchResult, WhoamiResult } from './probe-protocol.js';
import type { AbortOptions } from './sys.js';

/** The result of one check. */
export interface NatCheck {
  /** Which check. */
  check: 'mapping' | 'unsolicited' | 'holepunch';
  /** What it is about: a site (`a`), a site and port (`a:41001`), a pair of sites (`a-b`). */
  subject: string;
  /** The NAT kinds involved, as the topology says (`cone`, `cone-symmetric`). */
  nat: string;
  /** What should happen. */
  expected: string;
  /** What happened. */
  observed: string;
  /** Whether the two agree. */
  pass: boolean;
}

/** Options of {@link runNatChecks}. */
export interface NatCheckOptions extends AbortOptions {
  /** The servers' ports. Default [7001, 7002]. */
  serverPorts?: [number, number];
  /** Site number i connects from port `basePort + i`. Default 41000. */
  basePort?: number;
  /** How long an unsolicited connection may take to count as dropped (ms). Default 2000. */
  dialTimeoutMs?: number;
  /** How long a simultaneous open may take (ms). Default 8000 (SYNs are resent at 1, 3 and 7 s). */
  punchTimeoutMs?: number;
}

const fmt = (e: { ip?: string; host?: string; port?: number }): string => `${e.ip ?? e.host}:${e.port}`;

/** The agents of one run: one per host involved. */
type Agents = Map<string, ProbeAgent>;

/** Starts an agent on each host (closing the started ones if one fails). */
async function startAgents(lab: Lab, hosts: string[], options: AbortOptions): Promise<Agents> {
  const started = await Promise.allSettled(hosts.map((h) => ProbeAgent.start(lab, h, options)));
  const agents: Agents = new Map();
  started.forEach((r, i) => r.status === 'fulfilled' && agents.set(hosts[i]!, r.value));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all([...agents.values()].map((a) => a.close()));
    throw failed.reason;
  }
  return agents;
}

/** The servers of step 1: two endpoints on the public network. */
async function servers(
  lab: Lab,
  agents: Agents,
  ports: [number, number],
  options: AbortOptions,
): Promise<Endpoint[]> {
  const pub = lab.plan.hosts.filter((h) => h.site === undefined);
  const first = pub[0]!;
  const last = pub[pub.length - 1]!;
  if (first === last) {
    await agents.get(first.name)!.serve({ ports }, options);
  } else {
    await agents.get(first.name)!.serve({ ports: [ports[0]] }, options);
    await agents.get(last.name)!.serve({ ports: [ports[1]] }, options);
  }
  return [
    { host: first.address, port: ports[0] },
    { host: last.address, port: ports[1] },
  ];
}

function mappingCheck(lab: Lab, site: string, localPort: number, result: WhoamiResult): NatCheck {
  const nat = lab.natOf(site);
  const ip = lab.publicAddress(site);
  const [s1, s2] = result.seen;
  const observed = result.seen
    .map((s) => (s.error ? `${fmt(s.target)} failed: ${s.error}` : fmt(s)))
    .join(', ');
  const ok = s1?.ip === ip && s2?.ip === ip && s1.port !== undefined && s2.port !== undefined;
  const expected =
    nat === 'cone'
      ? `both see ${ip}:${localPort} (same port, preserved)`
      : `both see ${ip}, with different ports`;
  const pass = ok && (nat === 'cone' ? s1.port === localPort && s2.port === localPort : s1.port !== s2.port);
  return { check: 'mapping', subject: `${site}:${localPort}`, nat, expected, observed, pass };
}

async function unsolicited(
  lab: Lab,
  from: ProbeAgent,
  site: string,
  port: number,
  timeoutMs: number,
  options: AbortOptions,
): Promise<NatCheck> {
  const host = lab.publicAddress(site);
  const r = await from.dial({ host, port, timeoutMs }, options);
  return {
    check: 'unsolicited',
    subject: `${from.node} -> ${site} ${host}:${port}`,
    nat: lab.natOf(site),
    expected: 'timeout (dropped silently)',
    observed: `${r.outcome}${r.code ? ` ${r.code}` : ''} after ${r.elapsedMs} ms`,
    pass: r.outcome === 'timeout',
  };
}

/** One site in the hole punches. */
interface Side {
  site: string;
  agent: ProbeAgent;
  localPort: number;
  /** Its public endpoint as the first server saw it. */
  observed: Endpoint;
}

/** How a hole punch is tried: from the port whose mapping the peer knows, or from another one. */
type PunchFrom = 'mapped port' | 'new port';

/** The port a new-port punch is made from: not the one whose mapping the peer was told. */
const NEW_PORT_OFFSET = 100;

async function holePunch(
  [a, b]: [Side, Side],
  from: PunchFrom,
  lab: Lab,
  timeoutMs: number,
  options: AbortOptions,
): Promise<NatCheck> {
  const startAt = Date.now() + 200; // both calls are sent by then
  const offset = from === 'new port' ? NEW_PORT_OFFSET : 0;
  const side = (me: Side, peer: Side): Promise<PunchResult> =>
    me.agent.punch(
      { ...peer.observed, localPort: me.localPort + offset, startAt, timeoutMs, hello: me.agent.node },
      options,
    );
  const [ra, rb] = await Promise.all([side(a, b), side(b, a)]);
  const nat = `${lab.natOf(a.site)}-${lab.natOf(b.site)}`;
  const cone = nat === 'cone-cone' && from === 'mapped port';
  const connected = ra.outcome === 'connected' && rb.outcome === 'connected';
  const none = ra.outcome !== 'connected' && rb.outcome !== 'connected';
  const show = (s: Side, r: PunchResult): string =>
    `${s.agent.node} ${r.outcome}${r.outcome === 'connected' ? ` in ${r.elapsedMs} ms` : r.code ? ` ${r.code}` : ''}`;
  return {
    check: 'holepunch',
    subject: `${a.site}-${b.site} (${from})`,
    nat,
    expected: cone ? 'both connect' : 'neither connects',
    observed: `${show(a, ra)}; ${show(b, rb)}`,
    pass: cone ? connected : none,
  };
}

/**
 * Runs the checks on a lab (any topology), with one helper agent on each public host used and on
 * the first host of each site. Never throws for a NAT that misbehaves (that is a failed check),
 * only for a lab that cannot run the helper.
 */
export async function runNatChecks(lab: Lab, options: NatCheckOptions = {}): Promise<NatCheck[]> {
  const ports = options.serverPorts ?? [7001, 7002];
  const base = options.basePort ?? 41000;
  const dialMs = options.dialTimeoutMs ?? 2000;
  const pub = lab.plan.hosts.filter((h) => h.site === undefined).map((h) => h.name);
  const siteHost = (site: string): string => lab.plan.hosts.find((h) => h.site === site)!.name;
  const hosts = [...new Set([pub[0]!, pub[pub.length - 1]!, ...lab.sites.map(siteHost)])];
  const agents = await startAgents(lab, hosts, options);
  try {
    const targets = await servers(lab, agents, ports, options);
    const prober = agents.get(pub[0]!)!;
    const sides: Side[] = [];
    const checks = await Promise.all(
      lab.sites.map(async (site, i) => {
        const agent = agents.get(siteHost(site))!;
        const localPort = base + i + 1;
        const holdMs = dialMs + 2000; // the mapping is live while the public host knocks on it
        const seen = await agent.whoami({ localPort, targets, timeoutMs: 3000, holdMs }, options);
        const first = seen.seen[0];
        if (first?.port !== undefined && first.ip !== undefined) {
          sides.push({ site, agent, localPort, observed: { host: first.ip, port: first.port } });
        }
        const drops = await Promise.all([
          unsolicited(lab, prober, site, first?.port ?? localPort, dialMs, options),
          unsolicited(lab, prober, site, 9, dialMs, options),
        ]);
        return [mappingCheck(lab, site, localPort, seen), ...drops];
      }),
    );
    sides.sort((x, y) => lab.sites.indexOf(x.site) - lab.sites.indexOf(y.site));
    const pairs: [Side, Side][] = [];
    sides.forEach((a, i) => sides.slice(i + 1).forEach((b) => pairs.push([a, b])));
    const timeoutMs = options.punchTimeoutMs ?? 8000;
    const punches = await Promise.all(
      (['mapped port', 'new port'] as const).flatMap((from) =>
        pairs.map((pair) => holePunch(pair, from, lab, timeoutMs, options)),
      ),
    );
    return [...checks.flat(), ...punches];
  } finally {
    await Promise.all([...agents.values()].map((a) => a.close()));
  }
}

/** The checks as table rows (for the runner's table on stderr). */
export function natCheckRows(checks: readonly NatCheck[]): string[][] {
  return checks.map((c) => [c.pass ? 'ok' : 'FAIL', c.check, c.subject, c.nat, c.expected, c.observed]);
}
