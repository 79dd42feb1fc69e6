/**
 * What a lab is made of (issue 19): a public network with hosts on it, and sites, each a LAN of
 * hosts behind a router that does NAT. Pure data and its validation; {@link planLab} in plan.ts
 * turns it into namespaces and addresses, lab.ts builds it.
 */

/**
 * How a site's router translates addresses.
 * - `cone`: endpoint-independent, port-preserving masquerade: a private ip:port keeps one public
 *   port for every destination (the private port itself when it is free); hole punching works.
 * - `symmetric`: a fresh random public port per connection (per destination), so the port a
 *   public server observed is useless to any other peer; hole punching fails.
 */
export type NatKind = 'cone' | 'symmetric';

/** A bandwidth limit on a link, applied with `tc tbf` on both ends (each direction). */
export interface LinkLimit {
  /** Rate in kbit/s (1000 bits). */
  rateKbit: number;
  /** Bucket size in bytes. Default: 10 ms at the rate, at least 16 KiB. */
  burstBytes?: number;
  /** Longest a packet may wait in the queue before it is dropped (ms). Default 200. */
  latencyMs?: number;
}

/** One host of a lab: a network namespace with one interface, `eth0`. */
export interface HostSpec {
  /** Its name, unique in the lab: 1 to 8 characters, `[a-z][a-z0-9]*`. */
  name: string;
  /** A limit on its link (to the public bridge, or to its site's router). */
  limit?: LinkLimit;
}

/** One site: a LAN behind a NAT router. */
export interface SiteSpec {
  /** Its name, unique among sites: 1 to 8 characters, `[a-z][a-z0-9]*`. */
  name: string;
  /** Its router's NAT. */
  nat: NatKind;
  /** Its hosts (at least one). */
  hosts: HostSpec[];
  /** A limit on the router's uplink to the public network. */
  uplink?: LinkLimit;
}

/** A whole lab. */
export interface Topology {
  /** A name for reports. */
  name: string;
  /** Hosts on the public network (at least one; the first serves the NAT checks). */
  public: HostSpec[];
  /** The sites (at most 150). */
  sites: SiteSpec[];
}

/** A topology that cannot be built, with the field at fault in the message. */
export class TopologyError extends Error {
  override readonly name = 'TopologyError';
}

/** Options of {@link defaultTopology}. */
export interface DefaultTopologyOptions {
  /** Add a public host `boot` (a bootstrap peer) next to the relay. Default false. */
  bootstrap?: boolean;
}

/**
 * The lab of issue 19: a public `relay` host (and optionally `boot`); sites `a` and `b` behind
 * cone NATs with hosts `a1` and `b1`; site `c` behind a symmetric NAT with host `c1`.
 *
 * @example
 * const lab = await createLab(defaultTopology());
 * lab.spawn('a1', 'node', ['peer.js', `--relay=${lab.address('relay')}`]);
 */
export function defaultTopology(options: DefaultTopologyOptions = {}): Topology {
  return {
    name: 'default',
    public: options.bootstrap ? [{ name: 'relay' }, { name: 'boot' }] : [{ name: 'relay' }],
    sites: [
      { name: 'a', nat: 'cone', hosts: [{ name: 'a1' }] },
      { name: 'b', nat: 'cone', hosts: [{ name: 'b1' }] },
      { name: 'c', nat: 'symmetric', hosts: [{ name: 'c1' }] },
    ],
  };
}

/** Topologies the runner knows by name (`--topology NAME`). */
export const TOPOLOGIES: Readonly<Record<string, () => Topology>> = {
  default: () => defaultTopology(),
  bootstrap: () => ({ ...defaultTopology({ bootstrap: true }), name: 'bootstrap' }),
};

const NAME = /^[a-z][a-z0-9]{0,7}$/;

function checkLimit(limit: LinkLimit | undefined, where: string): void {
  if (limit === undefined) return;
  if (!Number.isFinite(limit.rateKbit) || limit.rateKbit < 8 || limit.rateKbit > 100_000_000) {
    throw new TopologyError(`${where}.rateKbit: expected 8 to 1e8, got ${limit.rateKbit}`);
  }
  if (limit.burstBytes !== undefined && !(limit.burstBytes >= 1500 && limit.burstBytes <= 1 << 30)) {
    throw new TopologyError(`${where}.burstBytes: expected 1500 to 2^30, got ${limit.burstBytes}`);
  }
  if (limit.latencyMs !== undefined && !(limit.latencyMs >= 1 && limit.latencyMs <= 60_000)) {
    throw new TopologyError(`${where}.latencyMs: expected 1 to 60000, got ${limit.latencyMs}`);
  }
}

/**
 * Checks names, counts and limits.
 *
 * @throws TopologyError naming the field (`sites[1].hosts[0].name: ...`).
 */
export function validateTopology(topology: Topology): void {
  const names = new Set<string>();
  const host = (h: HostSpec, where: string): void => {
    if (!NAME.test(h.name))
      throw new TopologyError(`${where}.name: expected [a-z][a-z0-9]{0,7}, got '${h.name}'`);
    if (names.has(h.name)) throw new TopologyError(`${where}.name: '${h.name}' is used twice`);
    names.add(h.name);
    checkLimit(h.limit, `${where}.limit`);
  };
  if (topology.public.length < 1 || topology.public.length > 80) {
    throw new TopologyError(`public: expected 1 to 80 hosts, got ${topology.public.length}`);
  }
  topology.public.forEach((h, i) => host(h, `public[${i}]`));
  if (topology.sites.length > 150)
    throw new TopologyError(`sites: at most 150, got ${topology.sites.length}`);
  const sites = new Set<string>();
  topology.sites.forEach((s, i) => {
    const where = `sites[${i}]`;
    if (!NAME.test(s.name))
      throw new TopologyError(`${where}.name: expected [a-z][a-z0-9]{0,7}, got '${s.name}'`);
    if (sites.has(s.name)) throw new TopologyError(`${where}.name: '${s.name}' is used twice`);
    sites.add(s.name);
    if (s.nat !== 'cone' && s.nat !== 'symmetric') {
      throw new TopologyError(`${where}.nat: expected 'cone' or 'symmetric', got '${String(s.nat)}'`);
    }
    if (s.hosts.length < 1 || s.hosts.length > 200) {
      throw new TopologyError(`${where}.hosts: expected 1 to 200 hosts, got ${s.hosts.length}`);
    }
    s.hosts.forEach((h, j) => host(h, `${where}.hosts[${j}]`));
    checkLimit(s.uplink, `${where}.uplink`);
  });
}
