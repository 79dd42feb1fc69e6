/**
 * A topology laid out as namespaces, interfaces and addresses, without touching the system: what
 * lab.ts builds and what its API answers from. Every name the lab gives the system starts with
 * the run's prefix (`pl<pid>-<seq>-`); interfaces and bridges live only inside the lab's own
 * namespaces, so they go when the namespaces go and never appear in the host's namespace.
 *
 * Addresses (all private, inside the lab's namespaces only):
 * - public network 10.210.0.0/24: public hosts .10, .11, ...; site routers' WAN .101, .102, ...
 * - site number k (1, 2, ...): 10.210.k.0/24, its router .1, its hosts .10, .11, ...
 */
import type { LinkLimit, NatKind, Topology } from './topology.js';
import { validateTopology } from './topology.js';

/** The first two octets of every lab address. */
export const LAB_NET = '10.210';

/** The lab's address block, for checks that nothing else uses it. */
export const LAB_CIDR = `${LAB_NET}.0.0/16`;

/** The public network's subnet. */
export const PUBLIC_SUBNET = `${LAB_NET}.0.0/24`;

/** A host's interface name inside its namespace. */
export const HOST_IF = 'eth0';

/** A router's public interface name inside its namespace. */
export const WAN_IF = 'wan';

/** The bridge inside the public namespace and, named `lan`, inside each router. */
export const PUBLIC_BRIDGE = 'br0';

/** A router's LAN bridge. */
export const LAN_BRIDGE = 'lan';

/** A host, where it lives and how to reach it. */
export interface HostPlan {
  /** Its name in the topology. */
  name: string;
  /** Its site, or undefined on the public network. */
  site?: string;
  /** Its namespace. */
  netns: string;
  /** Its address (on `eth0`). */
  address: string;
  /** Its default gateway (its router's LAN address), for hosts in a site. */
  gateway?: string;
  /** The interface in the upstream namespace (public bridge or router LAN) its veth pairs with. */
  upstreamIf: string;
  /** The namespace holding {@link upstreamIf}. */
  upstreamNetns: string;
  /** A limit on its link. */
  limit?: LinkLimit;
}

/** A site's router. */
export interface RouterPlan {
  /** The site's name. */
  site: string;
  /** Its NAT. */
  nat: NatKind;
  /** Its namespace. */
  netns: string;
  /** Its public address (on `wan`). */
  wanAddress: string;
  /** Its address on the LAN bridge. */
  lanAddress: string;
  /** The LAN's subnet (`10.210.k.0/24`). */
  lanSubnet: string;
  /** The interface in the public namespace its `wan` pairs with. */
  upstreamIf: string;
  /** A limit on its uplink. */
  uplink?: LinkLimit;
}

/** A whole lab laid out. */
export interface LabPlan {
  /** The prefix of every namespace (`pl<pid>-<seq>-`). */
  prefix: string;
  /** The namespace holding the public bridge. */
  publicNetns: string;
  /** Hosts, public first, then site by site. */
  hosts: HostPlan[];
  /** Routers, in the topology's site order. */
  routers: RouterPlan[];
}

/** Every namespace of a plan: public first, then routers, then hosts. */
export function namespacesOf(plan: LabPlan): string[] {
  return [plan.publicNetns, ...plan.routers.map((r) => r.netns), ...plan.hosts.map((h) => h.netns)];
}

/**
 * Lays out a topology under a prefix.
 *
 * @throws TopologyError when the topology is invalid.
 */
export function planLab(topology: Topology, prefix: string): LabPlan {
  validateTopology(topology);
  const publicNetns = `${prefix}pub`;
  const hosts: HostPlan[] = topology.public.map((h, i) => ({
    name: h.name,
    netns: `${prefix}h-${h.name}`,
    address: `${LAB_NET}.0.${10 + i}`,
    upstreamIf: `p-${h.name}`,
    upstreamNetns: publicNetns,
    ...(h.limit ? { limit: h.limit } : {}),
  }));
  const routers: RouterPlan[] = topology.sites.map((s, i) => {
    const k = i + 1;
    const netns = `${prefix}r-${s.name}`;
    const lanAddress = `${LAB_NET}.${k}.1`;
    s.hosts.forEach((h, j) =>
      hosts.push({
        name: h.name,
        site: s.name,
        netns: `${prefix}h-${h.name}`,
        address: `${LAB_NET}.${k}.${10 + j}`,
        gateway: lanAddress,
        upstreamIf: `h-${h.name}`,
        upstreamNetns: netns,
        ...(h.limit ? { limit: h.limit } : {}),
      }),
    );
    return {
      site: s.name,
      nat: s.nat,
      netns,
      wanAddress: `${LAB_NET}.0.${100 + k}`,
      lanAddress,
      lanSubnet: `${LAB_NET}.${k}.0/24`,
      upstreamIf: `r-${s.name}`,
      ...(s.uplink ? { uplink: s.uplink } : {}),
    };
  });
  return { prefix, publicNetns, hosts, routers };
}
