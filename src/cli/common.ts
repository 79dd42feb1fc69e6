/** Options and helpers every CLI command shares. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ApiClient } from '../daemon/api/client.js';
import { resolveDataDir } from '../daemon/data-dir.js';
import { normalisePeerId } from '../node/access.js';
import { isValidName } from '../node/dataset/names.js';
import { quoted } from '../util/bound.js';
import { consoleIo, type Io } from './output.js';

/** Longest piece of a value from the command line echoed in an error message (characters). */
export const ECHO_MAX = 100;

/** `value` from the command line as a quoted, bounded string for an error message. */
export function echo(value: string): string {
  return quoted(value, ECHO_MAX);
}

/** Options every command accepts. */
export interface CommonOptions {
  /** `--data-dir`. */
  dataDir?: string;
  /** `--json`. */
  json?: boolean;
}

/** Adds `--data-dir <dir>` to `cmd`. */
export function dataDirOption(cmd: Command): Command {
  return cmd.addOption(
    new Option('-d, --data-dir <dir>', 'data directory (default: $PEERMPC_HOME or ~/.peermpc)').env(
      'PEERMPC_HOME',
    ),
  );
}

/** Adds `--data-dir` and `--json` to `cmd`. */
export function commonOptions(cmd: Command): Command {
  return dataDirOption(cmd).option('--json', 'print JSON instead of text');
}

/** The data directory the options point at (absolute). */
export function dataDirOf(opts: CommonOptions): string {
  return resolveDataDir(opts.dataDir);
}

/**
 * A control API client for the daemon of the options' data directory. When that daemon is still
 * starting, the first request says so on `io` (not with `--json`) and waits a few seconds for it.
 *
 * @throws DaemonNotRunningError when the directory has no live daemon.
 */
export function clientFor(opts: CommonOptions, io: Io = consoleIo): ApiClient {
  const dataDir = dataDirOf(opts);
  return ApiClient.fromDataDir(dataDir, {
    onStarting: (pid, waitMs) => {
      if (opts.json !== true)
        io.err(
          `the peermpc daemon for data dir ${dataDir} (pid ${pid}) is starting; waiting up to ${Math.round(waitMs / 1000)} s for it`,
        );
    },
  });
}

/** A job id argument: 32 lowercase hex characters (the daemon's form), else a usage error. */
export function jobIdValue(value: string): string {
  if (!/^[0-9a-f]{32}$/.test(value)) throw new InvalidArgumentError('a job id is 32 hex characters');
  return value;
}

/** Parses a comma-separated list, accumulating over repeated or variadic uses of an option. */
export function listValue(value: string, previous: string[] | undefined): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return [...(previous ?? []), ...items];
}

/** Parses a port number (0..65535). */
export function portValue(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new InvalidArgumentError('must be an integer port in 0..65535');
  return n;
}

/** Parses a positive integer. */
export function positiveIntValue(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n <= 0 || !Number.isSafeInteger(n))
    throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** A dataset of some peer: its owner's peer id and its name. */
export interface DatasetRef {
  /** The owner's peer id. */
  owner: string;
  /** The dataset's name. */
  name: string;
}

const DATASET_REF_FORM = '<owner peer id>/<dataset name> (e.g. 12D3KooW.../patients)';

/**
 * Parses `<owner peer id>/<dataset name>`: the owner a peer id (as `peermpc status` and
 * `peermpc dataset search` print it), the name 1-64 characters a-z 0-9 . _ - starting with a
 * letter or digit.
 *
 * @throws InvalidArgumentError naming the bad part (bounded) and the expected form.
 * @example datasetRefValue('12D3KooW.../patients') // { owner: '12D3KooW...', name: 'patients' }
 */
export function datasetRefValue(value: string): DatasetRef {
  const parts = value.split('/');
  const [owner, name] = parts;
  if (parts.length !== 2 || !owner || !name) {
    const hint = /\.json$/i.test(value) ? ' (a program file goes before --dataset)' : '';
    throw new InvalidArgumentError(`expected ${DATASET_REF_FORM}, got ${echo(value)}${hint}`);
  }
  let peerId: string;
  try {
    peerId = normalisePeerId(owner);
  } catch {
    throw new InvalidArgumentError(`owner ${echo(owner)} is not a peer id; expected ${DATASET_REF_FORM}`);
  }
  if (!isValidName(name))
    throw new InvalidArgumentError(
      `dataset name ${echo(name)} is not valid (1-64 characters a-z 0-9 . _ - starting with a letter or digit); expected ${DATASET_REF_FORM}`,
    );
  return { owner: peerId, name };
}

/** Parses a comma-separated list of {@link datasetRefValue}s, accumulating over repeated uses. */
export function datasetRefsValue(value: string, previous: DatasetRef[] | undefined): DatasetRef[] {
  return [...(previous ?? []), ...listValue(value, undefined).map(datasetRefValue)];
}

/** What each command module's `register` gets. */
export interface CommandContext {
  /** Output. */
  io: Io;
}
