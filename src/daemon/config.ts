/**
 * The daemon's JSON config file (`<data dir>/config.json`), its defaults and its validation.
 *
 * `peermpc init` writes the defaults; `peermpc daemon` reads the file (a missing file means the
 * defaults) and applies command-line overrides on top. Unknown keys are refused so that a typo
 * does not silently fall back to a default.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { badPeerIdIn, multiaddrProtocols } from '../node/addresses.js';

/** Everything a daemon reads from its config file. */
export interface DaemonConfig {
  /** Multiaddrs the libp2p node listens on (TCP; a `/ws` address enables WebSockets). */
  listen: string[];
  /** Multiaddrs to announce instead of the listen addresses (empty: announce what we listen on). */
  announce: string[];
  /** Multiaddrs (with `/p2p/<peer id>`) of peers to join the network through. */
  bootstrap: string[];
  /** Also run the WebSockets transport (listen on a `/ws` address to use it). */
  websockets: boolean;
  /** Peer ids allowed to connect; empty means every peer not denied. */
  allow: string[];
  /** Peer ids refused at connection time and on every peermpc protocol. */
  deny: string[];
  /** Keep loopback and private addresses in the DHT (needed on a LAN or on one machine). */
  allowPrivateAddresses: boolean;
  /** Inbound connections admitted per second per host (raise it when many peers share a host). */
  inboundConnectionThreshold: number;
  /** Maximum open connections. */
  maxConnections: number;
  /** Port of the control API on 127.0.0.1; 0 picks a free one (written to `api.json`). */
  apiPort: number;
  /** Largest control API request body, in bytes. */
  apiMaxBodyBytes: number;
  /**
   * Port of a separate metrics listener on 127.0.0.1 (`GET /metrics` without the bearer token,
   * readable by anyone on the host: counts and timings only, docs/METRICS.md); 0 picks a free one;
   * null (the default) serves the metrics on the control API only.
   */
  metricsPort: number | null;
  /** Serve as a circuit relay for peers behind NAT (`peermpc init --relay`). */
  relay: boolean;
  /** Relays (multiaddrs with `/p2p/<id>`) to reserve a slot on when not reachable; empty: any found. */
  relays: string[];
  /** `auto`: ask peers to dial back, reserve a relay slot if none can; `private`: reserve at once; `public`: never. */
  reachability: 'auto' | 'public' | 'private';
  /** Upgrade relayed connections to direct ones by hole punching where the NATs allow. */
  holePunch: boolean;
  /** Kademlia tuning (PeerDhtOptions); empty: kad-dht's defaults, right for a real network. */
  dht: DaemonDhtConfig;
}

/** The DHT settings a daemon's config may change (docs/SIMULATE.md says what each costs). */
export interface DaemonDhtConfig {
  /** Peers per k-bucket; providers one lookup yields (2-64, default 20). */
  k?: number;
  /** Peers a lookup asks at once (1-32, default 10). */
  alpha?: number;
  /** Disjoint lookup paths (1-32, default: alpha). */
  disjointPaths?: number;
  /**
   * `connected`: only peers this peer talks to enter its routing table (for simulations: a restarted
   * daemon then keeps none of its stored peers and relies on its bootstrap list); `all` (default).
   */
  admit?: 'connected' | 'all';
  /** Refresh every k-bucket after bootstrapping (default true). */
  refreshOnStart?: boolean;
}

const intIn =
  (lo: number, hi: number): Checker =>
  (v) =>
    Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;

const DHT_FIELDS: Record<keyof DaemonDhtConfig, Checker> = {
  k: intIn(2, 64),
  alpha: intIn(1, 32),
  disjointPaths: intIn(1, 32),
  admit: (v) => v === 'connected' || v === 'all',
  refreshOnStart: (v) => typeof v === 'boolean',
};

const isDhtConfig: Checker = (v) =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.entries(v).every(
    ([k, x]) => Object.hasOwn(DHT_FIELDS, k) && DHT_FIELDS[k as keyof DaemonDhtConfig](x),
  );

/** Default TCP port of the libp2p listener. */
export const DEFAULT_P2P_PORT = 7341;

/** The config `peermpc init` writes. */
export function defaultConfig(): DaemonConfig {
  return {
    listen: [`/ip4/0.0.0.0/tcp/${DEFAULT_P2P_PORT}`],
    announce: [],
    bootstrap: [],
    websockets: false,
    allow: [],
    deny: [],
    allowPrivateAddresses: false,
    inboundConnectionThreshold: 5,
    maxConnections: 300,
    apiPort: 0,
    apiMaxBodyBytes: 1024 * 1024,
    metricsPort: null,
    relay: false,
    relays: [],
    reachability: 'auto',
    holePunch: true,
    dht: {},
  };
}

/** A config file that cannot be read or is not valid; the message names the file and the field. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Checker = (value: unknown) => boolean;
const isStringArray: Checker = (v) => Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== '');
const isPort: Checker = (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535;
const isPositiveInt: Checker = (v) => Number.isSafeInteger(v) && (v as number) > 0;

const FIELDS: Record<keyof DaemonConfig, [Checker, string]> = {
  listen: [isStringArray, 'an array of multiaddr strings'],
  announce: [isStringArray, 'an array of multiaddr strings'],
  bootstrap: [isStringArray, 'an array of multiaddr strings'],
  websockets: [(v) => typeof v === 'boolean', 'true or false'],
  allow: [isStringArray, 'an array of peer id strings'],
  deny: [isStringArray, 'an array of peer id strings'],
  allowPrivateAddresses: [(v) => typeof v === 'boolean', 'true or false'],
  inboundConnectionThreshold: [isPositiveInt, 'a positive integer'],
  maxConnections: [isPositiveInt, 'a positive integer'],
  apiPort: [isPort, 'an integer port in 0..65535'],
  apiMaxBodyBytes: [isPositiveInt, 'a positive integer'],
  metricsPort: [(v) => v === null || isPort(v), 'null (off) or an integer port in 0..65535'],
  relay: [(v) => typeof v === 'boolean', 'true or false'],
  relays: [isStringArray, 'an array of multiaddr strings'],
  reachability: [(v) => v === 'auto' || v === 'public' || v === 'private', '"auto", "public" or "private"'],
  holePunch: [(v) => typeof v === 'boolean', 'true or false'],
  dht: [
    isDhtConfig,
    'an object of k (2-64), alpha (1-32), disjointPaths (1-32), admit ("connected" or "all") and refreshOnStart (true or false), each optional',
  ],
};

/**
 * Validates a parsed config object and fills in defaults for missing fields.
 *
 * @param source names the file in error messages.
 * @throws ConfigError on an unknown key or a field of the wrong type.
 */
export function parseConfig(value: unknown, source = 'config'): DaemonConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${source}: expected a JSON object`);
  }
  const out = defaultConfig();
  for (const [key, field] of Object.entries(value)) {
    if (!Object.hasOwn(FIELDS, key)) {
      throw new ConfigError(`${source}: unknown field "${key}" (known: ${Object.keys(FIELDS).join(', ')})`);
    }
    const [check, expected] = FIELDS[key as keyof DaemonConfig];
    if (!check(field)) throw new ConfigError(`${source}: field "${key}" must be ${expected}`);
    (out as unknown as Record<string, unknown>)[key] = field;
  }
  for (const key of ['listen', 'announce', 'bootstrap', 'relays'] as const) {
    for (const addr of out[key]) checkMultiaddr(source, key, addr, key === 'bootstrap' || key === 'relays');
  }
  if (out.metricsPort !== null && out.metricsPort !== 0 && out.metricsPort === out.apiPort)
    throw new ConfigError(`${source}: "metricsPort" must differ from "apiPort" (${out.apiPort})`);
  return out;
}

function checkMultiaddr(source: string, field: string, addr: string, needsPeerId: boolean): void {
  let protocols: string[];
  try {
    protocols = multiaddrProtocols(addr);
  } catch (err) {
    throw new ConfigError(
      `${source}: "${field}" entry ${JSON.stringify(addr)} is not a multiaddr: ${(err as Error).message}`,
    );
  }
  if (needsPeerId && !protocols.includes('p2p')) {
    throw new ConfigError(`${source}: "${field}" entry ${JSON.stringify(addr)} must end in /p2p/<peer id>`);
  }
  const bad = badPeerIdIn(addr);
  if (bad !== undefined) throw new ConfigError(`${source}: "${field}" entry ${JSON.stringify(addr)}: ${bad}`);
}

/**
 * Reads and validates the config file at `path`; a missing file gives the defaults.
 *
 * @throws ConfigError when the file is unreadable, not JSON or invalid.
 */
export function loadConfig(path: string): DaemonConfig {
  if (!existsSync(path)) return defaultConfig();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseConfig(parsed, path);
}

/**
 * Writes `config` to `path` as indented JSON (mode 0600).
 *
 * @param overwrite when false (default), an existing file is an error.
 * @throws ConfigError when the file exists and `overwrite` is false.
 */
export function writeConfig(path: string, config: DaemonConfig, overwrite = false): void {
  try {
    writeFileSync(path, JSON.stringify(config, null, 2) + '\n', {
      mode: 0o600,
      flag: overwrite ? 'w' : 'wx',
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ConfigError(`${path} already exists (use --force to overwrite it)`);
    }
    throw err;
  }
}

/** Command-line values that override the file; undefined or empty leaves the file's value. */
export interface ConfigOverrides {
  /** `--listen`: libp2p listen addresses. */
  listen?: string[];
  /** `--bootstrap`: bootstrap peers. */
  bootstrap?: string[];
  /** `--api-port`: control API port on 127.0.0.1. */
  apiPort?: number;
  /** `--allow-private-addresses`: keep loopback and private addresses in the DHT. */
  allowPrivateAddresses?: boolean;
  /** `--announce`: addresses to announce instead of the listen addresses. */
  announce?: string[];
  /** `--relay`: serve as a relay. */
  relay?: boolean;
  /** `--relays`: relays to reserve a slot on. */
  relays?: string[];
  /** `--reachability`: auto, public or private. */
  reachability?: string;
  /** `--no-hole-punch`: false turns hole punching off. */
  holePunch?: boolean;
}

/** Returns `config` with the given overrides applied (a new object). */
export function applyOverrides(config: DaemonConfig, overrides: ConfigOverrides): DaemonConfig {
  const out = { ...config };
  if (overrides.listen !== undefined && overrides.listen.length > 0) out.listen = overrides.listen;
  if (overrides.bootstrap !== undefined && overrides.bootstrap.length > 0)
    out.bootstrap = overrides.bootstrap;
  if (overrides.apiPort !== undefined) out.apiPort = overrides.apiPort;
  if (overrides.allowPrivateAddresses !== undefined)
    out.allowPrivateAddresses = overrides.allowPrivateAddresses;
  if (overrides.announce !== undefined && overrides.announce.length > 0) out.announce = overrides.announce;
  if (overrides.relay !== undefined) out.relay = overrides.relay;
  if (overrides.relays !== undefined && overrides.relays.length > 0) out.relays = overrides.relays;
  if (overrides.reachability !== undefined)
    (out as { reachability: unknown }).reachability = overrides.reachability;
  if (overrides.holePunch !== undefined) out.holePunch = overrides.holePunch;
  return parseConfig(out, 'command-line options');
}
