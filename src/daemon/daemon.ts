/**
 * The daemon: one peer, its control API, and the files that let the CLI find them.
 *
 * Start: take the data directory's lock (one daemon per directory), read the config and apply the
 * overrides, create and start the peer, write a fresh token, serve the API on 127.0.0.1, then write
 * `api.json` (its presence means "ready"). Stop (SIGINT/SIGTERM or `stop()`): stop serving the API
 * (running requests are aborted), run the resources' stop hooks, stop the peer (closes sessions and streams, flushes state), remove
 * `api.json` and the token, release the lock.
 */
import { printDenials } from './denied-lines.js';
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { logger } from '../util/log.js';
import { packageVersion } from '../util/paths.js';
import { removeStaleTemps } from '../util/stale-temps.js';
import type { Peer } from '../node/peer.js';
import type { PeerInit } from '../node/types.js';
import { removeApiAddress, writeApiAddress } from './api-file.js';
import type { ApiContext, ApiPeer } from './api/context.js';
import type { Router } from './api/router.js';
import { apiRouter } from './api/routes/index.js';
import { ApiServer } from './api/server.js';
import { applyOverrides, loadConfig, type ConfigOverrides, type DaemonConfig } from './config.js';
import { dataDirFile, ensureDataDir } from './data-dir.js';
import { acquireLock } from './lock.js';
import { bindMetrics, DaemonMetrics } from './metrics/index.js';
import { MetricsServer } from './metrics/server.js';
import { createToken } from './token.js';
import { consoleMount } from './ui/mount.js';

const log = logger('daemon');

/** The part of a peer the daemon drives. */
export type DaemonPeer = ApiPeer & Pick<Peer, 'stop'>;

/** Options of {@link startDaemon}. */
export interface DaemonOptions {
  /** Absolute data directory (created if missing). */
  dataDir: string;
  /** Command-line values that override the config file. */
  overrides?: ConfigOverrides;
  /** Builds the peer; default `createPeer` from `src/node/peer.ts`, loaded on demand (tests inject a fake). */
  createPeer?: (init: PeerInit) => Promise<DaemonPeer>;
  /** Registers more routes after the built-in ones (embedding applications, tests). */
  extraRoutes?: (router: Router, ctx: ApiContext) => void;
  /** Time budget of stopping the peer in ms. Default 15 000. */
  stopTimeoutMs?: number;
  /** Receives one line per job event worth an operator's eye (received, decided, started, ended). */
  activity?: (line: string) => void;
}

/** A running daemon. */
export interface RunningDaemon {
  /** The peer's id. */
  readonly peerId: string;
  /** The peer's dialable addresses. */
  readonly multiaddrs: string[];
  /** Base URL of the control API. */
  readonly apiUrl: string;
  /** URL of the separate metrics listener (`metricsPort`), when there is one. */
  readonly metricsUrl?: string;
  /** The effective config (file + overrides). */
  readonly config: DaemonConfig;
  /** The data directory. */
  readonly dataDir: string;
  /** Stops everything (see the module comment); idempotent, resolves when done. */
  stop(): Promise<void>;
}

/** Builds the peer's init from the daemon config. */
export function peerInitFromConfig(dataDir: string, config: DaemonConfig): PeerInit {
  return {
    dataDir,
    listen: config.listen,
    announce: config.announce,
    bootstrap: config.bootstrap,
    websockets: config.websockets,
    allowPrivateAddresses: config.allowPrivateAddresses,
    inboundConnectionThreshold: config.inboundConnectionThreshold,
    maxConnections: config.maxConnections,
    dht: { ...config.dht },
    access: { allow: config.allow, deny: config.deny },
    nat: {
      relayServer: config.relay,
      relays: config.relays,
      reachability: config.reachability,
      holePunch: config.holePunch,
    },
  };
}

/**
 * Starts a daemon on `options.dataDir`.
 *
 * @throws DataDirLockedError when another daemon runs on this directory.
 * @throws ConfigError when the config file or an override is invalid.
 */
export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const { dataDir } = options;
  ensureDataDir(dataDir);
  const lock = acquireLock(dataDir, dataDirFile(dataDir, 'lock'));
  const stale = removeStaleTemps([dataDir, join(dataDir, 'jobs'), join(dataDir, 'jobs', 'records')]);
  if (stale > 0) log('removed %d temporary files left by a crash', stale);
  const apiFile = dataDirFile(dataDir, 'api');
  const tokenFile = dataDirFile(dataDir, 'token');
  const startedAt = Date.now();
  let peer: DaemonPeer | undefined;
  let server: ApiServer | undefined;
  const stopHooks: Array<() => Promise<void> | void> = [];
  const runStopHooks = async (): Promise<void> => {
    for (const hook of stopHooks.splice(0)) {
      try {
        await hook();
      } catch (err) {
        log.error('a stop hook failed: %s', (err as Error).message);
      }
    }
  };

  const cleanupFiles = (): void => {
    removeApiAddress(apiFile, process.pid);
    rmQuiet(tokenFile);
    lock.release();
  };

  try {
    const config = applyOverrides(loadConfig(dataDirFile(dataDir, 'config')), options.overrides ?? {});
    const make = options.createPeer ?? (await import('../node/peer.js')).createPeer;
    const metrics = new DaemonMetrics({ version: packageVersion(), startedAt });
    const init = { ...peerInitFromConfig(dataDir, config), metricsRegistry: metrics.registry };
    peer = await make(init).catch((err: unknown) => {
      throw clarifyStartError(err);
    });
    log('peer %s started', peer.peerId);
    const token = createToken(tokenFile);
    const ctx: ApiContext = {
      peer,
      dataDir,
      version: packageVersion(),
      startedAt,
      onStop: (hook) => void stopHooks.unshift(hook),
      ...(options.activity !== undefined ? { activity: options.activity } : {}),
    };
    if (options.activity !== undefined) {
      const stopPrinting = printDenials(peer.access, options.activity);
      ctx.onStop(async () => stopPrinting());
    }
    bindMetrics(ctx, metrics); // before the routes: GET /metrics serves these
    const router = apiRouter(ctx);
    options.extraRoutes?.(router, ctx);
    server = new ApiServer({
      router,
      token,
      maxBodyBytes: config.apiMaxBodyBytes,
      mounts: [consoleMount(ctx, { baseUrl: () => server!.url })],
    });
    const apiUrl = await server.listen(config.apiPort);
    let metricsUrl: string | undefined;
    if (config.metricsPort !== null) {
      const metricsServer = new MetricsServer(metrics);
      ctx.onStop(() => metricsServer.close());
      metricsUrl = await metricsServer.listen(config.metricsPort);
      log('metrics on %s (no token: readable by anyone on this host)', metricsUrl);
    }
    writeApiAddress(apiFile, {
      url: apiUrl,
      pid: process.pid,
      peerId: peer.peerId,
      startedAt: new Date(startedAt).toISOString(),
    });
    log('control API on %s', apiUrl);

    const running = peer;
    const api = server;
    let stopping: Promise<void> | undefined;
    const stopTimeoutMs = options.stopTimeoutMs ?? 15_000;
    return {
      peerId: running.peerId,
      multiaddrs: running.multiaddrs(),
      apiUrl,
      ...(metricsUrl !== undefined ? { metricsUrl } : {}),
      config,
      dataDir,
      stop() {
        stopping ??= (async () => {
          log('stopping');
          try {
            await api.close();
            await runStopHooks();
            await running.stop({ signal: AbortSignal.timeout(stopTimeoutMs) });
          } finally {
            cleanupFiles();
            log('stopped');
          }
        })();
        return stopping;
      },
    };
  } catch (err) {
    await server?.close().catch(() => undefined); // the start error below is what the caller needs
    await runStopHooks();
    await peer
      ?.stop()
      .catch((e: Error) => log.error('stopping the peer after a failed start: %s', e.message));
    cleanupFiles();
    throw err;
  }
}

/** A second signal sooner than this after the first is a duplicate delivery, not a user's second Ctrl-C. */
const DUPLICATE_SIGNAL_MS = 1000;

/** Options of {@link superviseDaemon}. */
export interface SuperviseOptions {
  /** Called once with the exit code when the daemon has stopped (0) or failed or crashed (1). */
  onExit: (code: number) => void;
  /** Force exit this long after the first signal, in ms. Default 20 000. */
  forceAfterMs?: number;
}

/**
 * Runs `daemon` until it should stop: the first SIGINT or SIGTERM stops it gracefully (exit code 0);
 * a second signal (more than a second later), or a stop that takes longer than `forceAfterMs`, exits
 * at once with code 1. An
 * uncaught exception stops it too (exit code 1); an unhandled rejection is logged and the daemon
 * keeps serving (libp2p can leave one behind when a remote peer resets a stream).
 */
export function superviseDaemon(daemon: RunningDaemon, options: SuperviseOptions): void {
  const forceAfterMs = options.forceAfterMs ?? 20_000;
  let exited = false;
  const exit = (code: number): void => {
    if (exited) return;
    exited = true;
    options.onExit(code);
  };
  let stoppingSince: number | undefined;
  const shutdown = (reason: string, code: number): void => {
    if (stoppingSince !== undefined) {
      // The same signal often arrives twice at once (e.g. `timeout` signals the child and its group).
      if (Date.now() - stoppingSince < DUPLICATE_SIGNAL_MS) return;
      log.error('%s during shutdown: exiting without finishing it', reason);
      exit(1);
      return;
    }
    stoppingSince = Date.now();
    log('%s: shutting down', reason);
    const force = setTimeout(() => {
      log.error('shutdown took longer than %d ms: exiting', forceAfterMs);
      exit(1);
    }, forceAfterMs);
    force.unref();
    daemon.stop().then(
      () => {
        clearTimeout(force);
        exit(code);
      },
      (err: Error) => {
        clearTimeout(force);
        log.error('shutdown failed: %s', err.message);
        exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT received', 0));
  process.on('SIGTERM', () => shutdown('SIGTERM received', 0));
  process.on('uncaughtException', (err) => {
    log.error('uncaught exception: %s', err.stack ?? err.message);
    shutdown('uncaught exception', 1);
  });
  process.on('unhandledRejection', (reason) => {
    log.error(
      'unhandled rejection (still serving): %s',
      reason instanceof Error ? reason.stack : String(reason),
    );
  });
}

/** Thrown when the peer cannot start; the message says what to change. */
export class DaemonStartError extends Error {
  override name = 'DaemonStartError';
}

/** Turns libp2p's "failed to listen" (a multi-line message with stacks) into one actionable line. */
function clarifyStartError(err: unknown): unknown {
  const message = err instanceof Error ? err.message : '';
  const inUse = [...message.matchAll(/(\/\S+): Error: listen EADDRINUSE/g)].map((m) => m[1]);
  if (inUse.length > 0) {
    return new DaemonStartError(
      `cannot listen on ${inUse.join(', ')}: address already in use ` +
        '(another daemon there? pick other addresses with --listen or in config.json)',
      { cause: err },
    );
  }
  return err;
}

function rmQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
