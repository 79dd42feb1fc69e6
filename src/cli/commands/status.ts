/** `peermpc status`: the daemon's identity, addresses and counters. */
import type { Command } from 'commander';
import { clientFor, commonOptions, type CommandContext, type CommonOptions } from '../common.js';
import { duration, keyValues, printJson } from '../output.js';

/** Registers `status`. */
export function registerStatus(program: Command, { io }: CommandContext): void {
  commonOptions(program.command('status'))
    .description("show the daemon's peer id, addresses, peers and datasets")
    .action(async (opts: CommonOptions) => {
      const client = clientFor(opts);
      const s = await client.status();
      if (opts.json === true) return printJson(io, { ...s, apiUrl: client.url });
      io.out(
        keyValues([
          ['peer id', s.peerId],
          ['addresses', s.multiaddrs],
          ['reachability', s.relayedAddrs.length > 0 ? `${s.reachability}, via a relay` : s.reachability],
          ['peers', `${s.connectedPeers} connected, ${s.routingTableSize} in the routing table`],
          ['datasets', s.datasets],
          ['sessions', s.sessions],
          ['state', s.started ? 'running' : 'stopped'],
          ['uptime', duration(s.uptimeMs)],
          ['version', s.version],
          ['pid', s.pid],
          ['data dir', s.dataDir],
          ['control API', client.url],
        ]),
      );
    });
}
