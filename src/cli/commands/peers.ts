/** `peermpc peers`, `peermpc connect <multiaddr>` and `peermpc ping <peer>`. */
import type { Command } from 'commander';
import { clientFor, commonOptions, type CommandContext, type CommonOptions } from '../common.js';
import { duration, printJson, table } from '../output.js';

/** Registers `peers`, `connect` and `ping`. */
export function registerPeers(program: Command, { io }: CommandContext): void {
  commonOptions(program.command('peers'))
    .description('list connected peers')
    .action(async (opts: CommonOptions) => {
      const { peers } = await clientFor(opts).peers();
      if (opts.json === true) return printJson(io, peers);
      if (peers.length === 0) return io.out('no connected peers');
      io.out(
        table(
          ['PEER ID', 'DIRECTION', 'KIND', 'OPEN FOR', 'ADDRESS'],
          peers.map((p) => [p.peerId, p.direction, p.kind, duration(p.openForMs), p.address]),
        ),
      );
    });

  commonOptions(program.command('connect'))
    .description('connect to a peer by multiaddr (ending in /p2p/<peer id>) or known peer id')
    .argument('<multiaddr>', 'address to dial')
    .action(async (target: string, opts: CommonOptions) => {
      const res = await clientFor(opts).connect(target);
      if (opts.json === true) return printJson(io, res);
      io.out(`connected to ${res.peerId}`);
    });

  commonOptions(program.command('ping'))
    .description('measure the round-trip time to a peer')
    .argument('<peer>', 'peer id or multiaddr')
    .action(async (target: string, opts: CommonOptions) => {
      const res = await clientFor(opts).ping(target);
      if (opts.json === true) return printJson(io, res);
      io.out(`${res.peerId}: ${res.rttMs.toFixed(1)} ms`);
    });
}
