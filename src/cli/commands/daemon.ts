/** `peermpc daemon`: runs the peer and its control API until SIGINT or SIGTERM. */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { dataDirFile } from '../../daemon/data-dir.js';
import {
  commonOptions,
  dataDirOf,
  listValue,
  portValue,
  type CommandContext,
  type CommonOptions,
} from '../common.js';
import { keyValues } from '../output.js';

interface DaemonCliOptions extends CommonOptions {
  listen?: string[];
  bootstrap?: string[];
  apiPort?: number;
  allowPrivateAddresses?: boolean;
}

/** Registers `daemon`. */
export function registerDaemon(program: Command, { io }: CommandContext): void {
  commonOptions(program.command('daemon'))
    .description('run this peer: join the network, serve datasets, and the control API on 127.0.0.1')
    .option('--listen <multiaddr...>', 'libp2p listen addresses, overriding the config file', listValue)
    .option('--bootstrap <multiaddr...>', 'bootstrap peers, overriding the config file', listValue)
    .option('--api-port <port>', 'control API port on 127.0.0.1 (0 picks one)', portValue)
    .option('--allow-private-addresses', 'keep loopback and private addresses in the DHT (LAN, one machine)')
    .action(async (opts: DaemonCliOptions) => {
      // Loaded here so that other commands never load libp2p.
      const { startDaemon, superviseDaemon } = await import('../../daemon/daemon.js');
      const dataDir = dataDirOf(opts);
      const daemon = await startDaemon({
        dataDir,
        overrides: {
          listen: opts.listen,
          bootstrap: opts.bootstrap,
          apiPort: opts.apiPort,
          allowPrivateAddresses: opts.allowPrivateAddresses,
        },
        activity: (line) => io.err(line), // stderr: stdout keeps the startup summary (JSON with --json)
      });
      const exited = new Promise<number>((resolve) => superviseDaemon(daemon, { onExit: resolve }));
      const info = { peerId: daemon.peerId, multiaddrs: daemon.multiaddrs, apiUrl: daemon.apiUrl, dataDir };
      if (opts.json === true) io.out(JSON.stringify(info));
      else {
        io.out(
          keyValues([
            ['peer id', daemon.peerId],
            ['listening', daemon.multiaddrs],
            ['control API', daemon.apiUrl],
            ['data dir', dataDir],
            [
              'config',
              existsSync(dataDirFile(dataDir, 'config'))
                ? dataDirFile(dataDir, 'config')
                : 'none: the defaults and the flags given (peermpc init writes one)',
            ],
          ]),
        );
        io.out('running; stop with Ctrl-C (SIGINT) or SIGTERM');
      }
      const code = await exited;
      process.exitCode = code;
      // A stray libp2p timer must not keep a stopped daemon alive.
      setTimeout(() => process.exit(code), 2000).unref();
    });
}
