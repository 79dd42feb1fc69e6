/** `peermpc init`: writes a default config file into the data directory. */
import { InvalidArgumentError, type Command } from 'commander';
import { dataDirFile, ensureDataDir } from '../../daemon/data-dir.js';
import {
  commonOptions,
  dataDirOf,
  listValue,
  portValue,
  type CommandContext,
  type CommonOptions,
} from '../common.js';
import { printJson } from '../output.js';

interface InitOptions extends CommonOptions {
  force?: boolean;
  listen?: string[];
  bootstrap?: string[];
  apiPort?: number;
  allowPrivateAddresses?: boolean;
  announce?: string[];
  relay?: boolean;
  relays?: string[];
  reachability?: string;
  holePunch?: boolean;
}

/** Registers `init`. */
export function registerInit(program: Command, { io }: CommandContext): void {
  commonOptions(program.command('init'))
    .description('write a default config file into the data directory')
    .option('-f, --force', 'overwrite an existing config file')
    .option('--listen <multiaddr...>', 'libp2p listen addresses (comma-separated or repeated)', listValue)
    .option('--bootstrap <multiaddr...>', 'bootstrap peers (comma-separated or repeated)', listValue)
    .option('--api-port <port>', 'control API port on 127.0.0.1 (0 picks one)', portValue)
    .option('--allow-private-addresses', 'keep loopback and private addresses in the DHT (LAN, one machine)')
    .option('--announce <multiaddr...>', 'addresses to announce instead of the listen addresses', listValue)
    .option('--relay', 'serve as a relay for peers behind NAT')
    .option(
      '--relays <multiaddr...>',
      'relays to reserve a slot on when not reachable (default: any found)',
      listValue,
    )
    .option('--reachability <mode>', 'auto (ask peers to dial back), public or private', 'auto')
    .option('--no-hole-punch', 'keep relayed connections relayed (no hole punching)')
    .action(async (opts: InitOptions) => {
      const { applyOverrides, ConfigError, defaultConfig, writeConfig } =
        await import('../../daemon/config.js'); // multiaddr: init only
      const dataDir = dataDirOf(opts);
      ensureDataDir(dataDir);
      let config;
      try {
        config = applyOverrides(defaultConfig(), opts);
      } catch (err) {
        // a bad option value is a usage error (exit code 2), naming the option
        if (err instanceof ConfigError) throw new InvalidArgumentError(err.message);
        throw err;
      }
      const path = dataDirFile(dataDir, 'config');
      writeConfig(path, config, opts.force === true);
      // loaded here: other commands never load libp2p's crypto
      const { peerIdOfDataDir } = await import('../../node/identity.js');
      const peerId = await peerIdOfDataDir(dataDir);
      if (opts.json === true) printJson(io, { path, peerId, config });
      else
        io.out(
          `wrote ${path}\npeer id: ${peerId}\nstart the daemon with: peermpc daemon --data-dir ${dataDir}`,
        );
    });
}
