/**
 * A site router's nftables ruleset: NAT out of the WAN interface, and a home router's firewall.
 * Loaded with `nft -f -` inside the router's namespace only; the host's own tables are never
 * touched.
 *
 * - NAT (`postrouting`, `oifname wan`): `cone` is a plain `masquerade`: Linux keeps the private
 *   source port when it is free and reuses the same public ip:port for every destination of that
 *   private ip:port (endpoint-independent mapping). `symmetric` is `masquerade random,fully-random`:
 *   every new connection gets a random public port, so each destination sees a different one.
 * - Filter (`input` and `forward`): from `wan`, only packets conntrack knows (`established`,
 *   `related`: replies, and the inbound half of a hole punch whose outbound SYN already left) pass;
 *   anything else, new or invalid, is dropped silently. Nothing listens on the router, and as its
 *   input chain drops those packets before the TCP stack sees them, it sends no RST and no ICMP
 *   either: an unsolicited connection times out instead of being refused.
 */
import type { NatKind } from './topology.js';
import { WAN_IF } from './plan.js';

/** The name of the one table the lab adds to each router. */
export const ROUTER_TABLE = 'netlab';

/** The masquerade statement for a NAT kind. */
export function masqueradeRule(nat: NatKind): string {
  return nat === 'symmetric' ? 'masquerade random,fully-random' : 'masquerade';
}

/** The router's ruleset, as `nft -f` reads it. */
export function routerRuleset(nat: NatKind): string {
  const wan = `iifname "${WAN_IF}"`;
  return [
    `table ip ${ROUTER_TABLE} {`,
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    oifname "${WAN_IF}" ${masqueradeRule(nat)}`,
    '  }',
    '  chain input {',
    '    type filter hook input priority filter; policy accept;',
    `    ${wan} ct state established,related accept`,
    `    ${wan} drop`,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    `    ${wan} ct state established,related accept`,
    `    ${wan} drop`,
    '  }',
    '}',
    '',
  ].join('\n');
}
