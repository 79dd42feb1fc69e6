/** Options and helpers every CLI command shares. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ApiClient } from '../daemon/api/client.js';
import { resolveDataDir } from '../daemon/data-dir.js';
import type { Io } from './output.js';

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

/** A control API client for the daemon of the options' data directory. */
export function clientFor(opts: CommonOptions): ApiClient {
  return ApiClient.fromDataDir(dataDirOf(opts));
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

/** What each command module's `register` gets. */
export interface CommandContext {
  /** Output. */
  io: Io;
}
