/**
 * Builds a topology (topology.ts) out of Linux network namespaces on this machine and runs
 * commands inside it. One namespace `<prefix>pub` holds the public network's bridge; every public
 * host, router and site host is a namespace of its own joined by veth pairs:
 *
 *   host `relay` (eth0 10.210.0.10) ── p-relay ┐
 *   router `a`   (wan  10.210.0.101) ── r-a ────┤ br0 in <prefix>pub
 *   router `a`   (lan  10.210.1.1, a bridge) ── h-a1 ── host `a1` (eth0 10.210.1.10, via .1)
 *
 * Routers forward and NAT with nftables (nft.ts). Public hosts and routers have no default route
 * and site hosts only one to their router, so nothing in the lab can reach anything outside it.
 * See docs/NETLAB.md.
 *
 * @example
 * const lab = await createLab(defaultTopology(), { signal });
 * try {
 *   const relay = lab.spawn('relay', process.execPath, ['relay.js'], { stdio: 'pipe' });
 *   await lab.exec('a1', 'ip', ['route']);
 * } finally {
 *   await lab.destroy();
 * }
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { newPrefix, removeLeftovers, removeNamespaces, removeNamespacesSync, trackLab } from './cleanup.js';
import { routerRuleset } from './nft.js';
import {
  HOST_IF,
  LAN_BRIDGE,
  namespacesOf,
  planLab,
  PUBLIC_BRIDGE,
  WAN_IF,
  type HostPlan,
  type LabPlan,
  type RouterPlan,
} from './plan.js';
import { run, type AbortOptions, type RunOptions } from './sys.js';
import type { LinkLimit, NatKind, Topology } from './topology.js';

/** Options of {@link createLab}. */
export interface LabOptions extends AbortOptions {
  /** Progress lines (one per built node); default: none. */
  log?: (line: string) => void;
}

/**
 * Where a command runs: a host's name, `router:<site>` for a site's router, or `public` for the
 * namespace holding the public bridge.
 */
export type LabNode = string;

/** A built lab. Every method that takes a {@link LabNode} throws a TypeError for an unknown one. */
export interface Lab {
  /** The prefix of all its namespaces (`pl<pid>-<seq>-`). */
  readonly prefix: string;
  /** What it was built from. */
  readonly topology: Topology;
  /** Its layout: namespaces, interfaces, addresses. */
  readonly plan: LabPlan;
  /** Host names: public ones first, then site by site. */
  readonly hosts: readonly string[];
  /** Site names. */
  readonly sites: readonly string[];
  /** True once {@link destroy} was called. */
  readonly destroyed: boolean;
  /** A host's address. */
  address(host: string): string;
  /** A site's public address (its router's WAN address): what public hosts see its hosts as. */
  publicAddress(site: string): string;
  /** A host's site, or undefined for a public host. */
  siteOf(host: string): string | undefined;
  /** A site's NAT. */
  natOf(site: string): NatKind;
  /** The namespace a node's commands run in. */
  netns(node: LabNode): string;
  /**
   * Starts `command args` inside a node's namespace (`ip netns exec`, which execs the command, so
   * the child's pid is the command's). The lab kills it on destroy if it still runs.
   */
  spawn(node: LabNode, command: string, args?: readonly string[], options?: SpawnOptions): ChildProcess;
  /**
   * Runs a one-shot command inside a node's namespace; resolves with its stdout.
   *
   * @throws NetlabCommandError when it fails or times out.
   */
  exec(node: LabNode, command: string, args?: readonly string[], options?: RunOptions): Promise<string>;
  /**
   * Ends the processes it started (SIGTERM, SIGKILL after 2 s), kills anything else left in its
   * namespaces and deletes them. Idempotent: later calls return the same promise.
   *
   * @throws LabCleanupError naming namespaces it could not delete.
   */
  destroy(): Promise<void>;
}

/** Namespaces that could not be deleted. */
export class LabCleanupError extends Error {
  override readonly name = 'LabCleanupError';
  /** Their names. */
  readonly namespaces: string[];

  constructor(namespaces: string[]) {
    super(`could not delete namespaces ${namespaces.join(', ')}`);
    this.namespaces = namespaces;
  }
}

/** `tc tbf` arguments for a limit. */
export function tbfArgs(limit: LinkLimit): string[] {
  const burst = limit.burstBytes ?? Math.max(16_384, Math.ceil((limit.rateKbit * 1000) / 8 / 100));
  return ['rate', `${limit.rateKbit}kbit`, 'burst', String(burst), 'latency', `${limit.latencyMs ?? 200}ms`];
}

/** The system calls that build one lab, in order. */
class Builder {
  constructor(
    private readonly plan: LabPlan,
    private readonly options: LabOptions,
  ) {}

  private ip(netns: string, ...args: string[]): Promise<string> {
    return run('ip', ['-n', netns, ...args], this.options);
  }

  private async namespace(netns: string, forward: boolean): Promise<void> {
    await run('ip', ['netns', 'add', netns], this.options);
    const sysctls = ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'];
    sysctls.push(`net.ipv4.ip_forward=${forward ? 1 : 0}`);
    await run('ip', ['netns', 'exec', netns, 'sysctl', '-q', '-w', ...sysctls], this.options);
    await this.ip(netns, 'link', 'set', 'lo', 'up');
  }

  /** A veth pair created directly in both namespaces (never in the host's). */
  private async veth(netnsA: string, ifA: string, netnsB: string, ifB: string): Promise<void> {
    const args = ['link', 'add', ifA, 'netns', netnsA, 'type', 'veth', 'peer', 'name', ifB, 'netns', netnsB];
    await run('ip', args, this.options);
  }

  private async limit(netns: string, dev: string, limit: LinkLimit | undefined): Promise<void> {
    if (limit === undefined) return;
    await run(
      'tc',
      ['-n', netns, 'qdisc', 'replace', 'dev', dev, 'root', 'tbf', ...tbfArgs(limit)],
      this.options,
    );
  }

  async publicNetwork(): Promise<void> {
    await this.namespace(this.plan.publicNetns, false);
    await this.ip(this.plan.publicNetns, 'link', 'add', PUBLIC_BRIDGE, 'type', 'bridge');
    await this.ip(this.plan.publicNetns, 'link', 'set', PUBLIC_BRIDGE, 'up');
  }

  async router(r: RouterPlan): Promise<void> {
    const pub = this.plan.publicNetns;
    await this.namespace(r.netns, true);
    await this.veth(r.netns, WAN_IF, pub, r.upstreamIf);
    await this.ip(pub, 'link', 'set', r.upstreamIf, 'master', PUBLIC_BRIDGE, 'up');
    await this.ip(r.netns, 'addr', 'add', `${r.wanAddress}/24`, 'dev', WAN_IF);
    await this.ip(r.netns, 'link', 'set', WAN_IF, 'up');
    await this.ip(r.netns, 'link', 'add', LAN_BRIDGE, 'type', 'bridge');
    await this.ip(r.netns, 'addr', 'add', `${r.lanAddress}/24`, 'dev', LAN_BRIDGE);
    await this.ip(r.netns, 'link', 'set', LAN_BRIDGE, 'up');
    await run('ip', ['netns', 'exec', r.netns, 'nft', '-f', '-'], {
      ...this.options,
      input: routerRuleset(r.nat),
    });
    await this.limit(r.netns, WAN_IF, r.uplink);
    await this.limit(pub, r.upstreamIf, r.uplink);
  }

  async host(h: HostPlan): Promise<void> {
    await this.namespace(h.netns, false);
    await this.veth(h.netns, HOST_IF, h.upstreamNetns, h.upstreamIf);
    const bridge = h.site === undefined ? PUBLIC_BRIDGE : LAN_BRIDGE;
    await this.ip(h.upstreamNetns, 'link', 'set', h.upstreamIf, 'master', bridge, 'up');
    await this.ip(h.netns, 'addr', 'add', `${h.address}/24`, 'dev', HOST_IF);
    await this.ip(h.netns, 'link', 'set', HOST_IF, 'up');
    if (h.gateway !== undefined) await this.ip(h.netns, 'route', 'add', 'default', 'via', h.gateway);
    await this.limit(h.netns, HOST_IF, h.limit);
    await this.limit(h.upstreamNetns, h.upstreamIf, h.limit);
  }
}

/** The lab behind the {@link Lab} interface. */
class NamespaceLab implements Lab {
  readonly hosts: readonly string[];
  readonly sites: readonly string[];
  private readonly children = new Set<ChildProcess>();
  private destroying: Promise<void> | undefined;
  private untrack: () => void = () => {};

  constructor(
    readonly topology: Topology,
    readonly plan: LabPlan,
  ) {
    this.hosts = plan.hosts.map((h) => h.name);
    this.sites = plan.routers.map((r) => r.site);
  }

  get prefix(): string {
    return this.plan.prefix;
  }

  get destroyed(): boolean {
    return this.destroying !== undefined;
  }

  /** Registers with the process's exit and signal hooks. */
  track(): void {
    this.untrack = trackLab(this.prefix, {
      destroy: () => this.destroy(),
      destroySync: () => this.destroySync(),
    });
  }

  private hostPlan(host: string): HostPlan {
    const h = this.plan.hosts.find((x) => x.name === host);
    if (h === undefined) throw new TypeError(`netlab: no host '${host}' (hosts: ${this.hosts.join(', ')})`);
    return h;
  }

  private routerPlan(site: string): RouterPlan {
    const r = this.plan.routers.find((x) => x.site === site);
    if (r === undefined) throw new TypeError(`netlab: no site '${site}' (sites: ${this.sites.join(', ')})`);
    return r;
  }

  address(host: string): string {
    return this.hostPlan(host).address;
  }

  publicAddress(site: string): string {
    return this.routerPlan(site).wanAddress;
  }

  siteOf(host: string): string | undefined {
    return this.hostPlan(host).site;
  }

  natOf(site: string): NatKind {
    return this.routerPlan(site).nat;
  }

  netns(node: LabNode): string {
    if (node === 'public') return this.plan.publicNetns;
    if (node.startsWith('router:')) return this.routerPlan(node.slice('router:'.length)).netns;
    return this.hostPlan(node).netns;
  }

  spawn(
    node: LabNode,
    command: string,
    args: readonly string[] = [],
    options: SpawnOptions = {},
  ): ChildProcess {
    if (this.destroyed) throw new Error(`netlab: lab ${this.prefix} is destroyed`);
    const child = spawn('ip', ['netns', 'exec', this.netns(node), command, ...args], options);
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    child.once('error', () => this.children.delete(child));
    return child;
  }

  exec(
    node: LabNode,
    command: string,
    args: readonly string[] = [],
    options: RunOptions = {},
  ): Promise<string> {
    return run('ip', ['netns', 'exec', this.netns(node), command, ...args], options);
  }

  destroy(): Promise<void> {
    this.destroying ??= this.teardown();
    return this.destroying;
  }

  private async teardown(): Promise<void> {
    const running = [...this.children].filter((c) => c.exitCode === null && c.signalCode === null);
    for (const c of running) c.kill('SIGTERM');
    const exited = Promise.all(running.map((c) => new Promise((resolve) => c.once('exit', resolve))));
    await Promise.race([exited, delay(2000)]);
    for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    const failed = await removeNamespaces(namespacesOf(this.plan));
    this.untrack();
    if (failed.length > 0) throw new LabCleanupError(failed);
  }

  /** Synchronous last resort (process exit): SIGKILL, delete. */
  destroySync(): void {
    this.destroying ??= Promise.resolve();
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGKILL');
    removeNamespacesSync(namespacesOf(this.plan));
  }
}

/**
 * Builds a lab: removes leftovers of dead earlier runs, then creates the namespaces, links,
 * addresses, routes, NAT rules and limits. Needs root, `ip`, `nft` and `tc` (see
 * checkLabPrivileges). An abort of `signal` while building removes what was built and rejects;
 * once built, the lab lives until {@link Lab.destroy} or the end of the process.
 *
 * @throws TopologyError for an invalid topology; NetlabCommandError when a system command fails
 *   (what was built is removed first).
 */
export async function createLab(topology: Topology, options: LabOptions = {}): Promise<Lab> {
  options.signal?.throwIfAborted();
  const plan = planLab(topology, newPrefix());
  const removed = removeLeftovers();
  if (removed.length > 0) options.log?.(`removed ${removed.length} namespaces left by dead runs`);
  const lab = new NamespaceLab(topology, plan);
  lab.track();
  const build = new Builder(plan, options);
  try {
    await build.publicNetwork();
    for (const r of plan.routers) {
      await build.router(r);
      options.log?.(`router ${r.site}: ${r.nat} NAT, public ${r.wanAddress}, LAN ${r.lanSubnet}`);
    }
    for (const h of plan.hosts) {
      await build.host(h);
      options.log?.(
        `host ${h.name}: ${h.address}${h.site === undefined ? ' (public)' : ` (site ${h.site})`}`,
      );
    }
    options.signal?.throwIfAborted();
  } catch (err) {
    await lab.destroy().catch(() => {});
    throw err;
  }
  return lab;
}
