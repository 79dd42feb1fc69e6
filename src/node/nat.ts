/**
 * The libp2p parts of a peer behind NAT: the circuit relay (v2) transport every peer runs (to dial
 * `/p2p-circuit` addresses and to listen through a relay), the relay server a peer opts into
 * (`peermpc init --relay`), and the listen addresses that make reservations.
 *
 * What a relay sees and can do: the relayed bytes are Noise-encrypted end to end between the two
 * peers (the relay holds no key), so it learns who talks to whom, when, and how much; it can delay,
 * drop or cut a relayed connection (a job then fails on every party within its step timeout), and
 * it cannot read or alter shares undetected. A relay admits reservations and relayed connections
 * only from peers its own access lists admit (the connection gater), and a peer that denies another
 * refuses its relayed connections like direct ones (the gater runs on every upgraded connection).
 */
import {
  circuitRelayServer,
  circuitRelayTransport,
  type CircuitRelayService,
} from '@libp2p/circuit-relay-v2';
import type { Connection } from '@libp2p/interface';
import type { PeerNatOptions, RelayLimits } from './types.js';

/** Reservations a relay holds at once by default. */
export const DEFAULT_MAX_RESERVATIONS = 64;

/** The listen address that asks the relay transport to find relays and reserve a slot on one. */
export const RELAY_SEARCH_ADDR = '/p2p-circuit';

/** The circuit relay transport: dials relayed addresses and listens through relays. */
export function relayTransport(): ReturnType<typeof circuitRelayTransport> {
  return circuitRelayTransport({ reservationCompletionTimeout: 10_000 });
}

/** The relay server service when `nat.relayServer` asks for one, else undefined. */
export function relayServerService(
  nat: PeerNatOptions | undefined,
): ReturnType<typeof circuitRelayServer> | undefined {
  const serve = nat?.relayServer;
  if (serve === undefined || serve === false) return undefined;
  const limits: RelayLimits = serve === true ? {} : serve;
  const limited = limits.dataBytes !== undefined || limits.durationMs !== undefined;
  return circuitRelayServer({
    reservations: {
      maxReservations: nat?.maxReservations ?? DEFAULT_MAX_RESERVATIONS,
      // libp2p's defaults (128 KiB, 2 minutes per relayed connection) suit signalling before a hole
      // punch, not MPC sessions; a peermpc relay relays whole sessions unless its owner limits it.
      applyDefaultLimit: limited,
      // a field left out means no limit of that kind (libp2p would apply its own default)
      defaultDataLimit: BigInt(limits.dataBytes ?? Number.MAX_SAFE_INTEGER),
      defaultDurationLimit: limits.durationMs ?? 2 ** 31 - 1,
    },
  });
}

/** The relay service's type, for PeerServices. */
export type RelayServer = CircuitRelayService;

/** The addresses that reserve on the configured relays, or the relay search when none is configured. */
export function reservationAddrs(nat: PeerNatOptions | undefined): string[] {
  const relays = nat?.relays ?? [];
  return relays.length > 0 ? relays.map((r) => `${r}/${RELAY_SEARCH_ADDR.slice(1)}`) : [RELAY_SEARCH_ADDR];
}

/** Whether a connection goes through a relay (a `/p2p-circuit` address, or libp2p says not direct). */
export function isRelayed(conn: Pick<Connection, 'remoteAddr' | 'direct'>): boolean {
  return !conn.direct || conn.remoteAddr.getComponents().some((c) => c.name === 'p2p-circuit');
}

/** The relay's peer id in a relayed connection's remote address, if any. */
export function relayOf(conn: Pick<Connection, 'remoteAddr'>): string | undefined {
  const parts = conn.remoteAddr.getComponents();
  const circuit = parts.findIndex((c) => c.name === 'p2p-circuit');
  if (circuit < 0) return undefined;
  return parts.slice(0, circuit).findLast((c) => c.name === 'p2p')?.value;
}
