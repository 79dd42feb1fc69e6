/**
 * `peermpc config show | set <key> <value>`: the daemon's settings (`<dataDir>/config.json`) and the
 * job service's (`<dataDir>/jobs/config.json`), as the daemon will read them: defaults filled in,
 * and where each file is. `set` validates with the daemon's own parsers before it writes (a value
 * the daemon would refuse is refused here, naming the key) and writes atomically; the daemon reads
 * them at start, so a running one needs a restart. Keys: a daemon field (`listen`, `apiPort`...)
 * or `jobs.<field>` (`jobs.stepMs`, `jobs.quotas.pendingTotal`...); values are JSON (a bare word
 * is taken as a string).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { dataDirFile } from '../../daemon/data-dir.js';
import { writeFileAtomic } from '../../node/atomic-file.js';
import { quoted } from '../../util/bound.js';
import { commonOptions, dataDirOf, type CommandContext, type CommonOptions } from '../common.js';
import { keyValues, printJson } from '../output.js';

/** The two files and what the daemon makes of them. */
async function effective(dataDir: string): Promise<Record<string, unknown>> {
  const { loadConfig } = await import('../../daemon/config.js');
  const { loadJobsConfig } = await import('../../jobs/service/config.js');
  const daemonFile = dataDirFile(dataDir, 'config');
  const jobsFile = join(dataDir, 'jobs', 'config.json');
  return {
    daemon: { file: existsSync(daemonFile) ? daemonFile : null, settings: loadConfig(daemonFile) },
    jobs: { file: existsSync(jobsFile) ? jobsFile : null, settings: loadJobsConfig(dirname(jobsFile)) },
  };
}

/** A value from the command line: JSON, or the bare word as a string. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The value at `path` in `obj`, or undefined. */
function getPath(obj: Record<string, unknown>, path: string[]): unknown {
  let at: unknown = obj;
  for (const k of path)
    at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[k] : undefined;
  return at;
}

/**
 * `value` for a setting whose current or default value is `current`: a bare word for a list
 * setting is a comma-separated list (`id1,id2,id3`), as the matching command-line options take it.
 */
function asSetting(value: unknown, current: unknown): unknown {
  if (typeof value !== 'string' || !Array.isArray(current)) return value;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** `obj` with `path` set to `value` (intermediate objects created). */
function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let at = obj;
  for (const k of path.slice(0, -1)) {
    const next = at[k];
    at[k] = typeof next === 'object' && next !== null && !Array.isArray(next) ? next : {};
    at = at[k] as Record<string, unknown>;
  }
  at[path.at(-1)!] = value;
}

function readObject(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new TypeError(`${path} is not a JSON object`);
  return v as Record<string, unknown>;
}

/** Writes `value` as indented JSON to `path` (mode 0600), atomically. */
async function writeJson(path: string, value: unknown): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** Sets `key` in the file it belongs to, after the daemon's parser accepted the result. */
async function setKey(dataDir: string, key: string, value: unknown): Promise<string> {
  const path = key.split('.');
  if (path.some((k) => !/^[A-Za-z][A-Za-z0-9]*$/.test(k)))
    throw new TypeError(`config key ${quoted(key, 100)} is not a dotted name (e.g. jobs.stepMs)`);
  if (path[0] === 'jobs') {
    if (path.length < 2) throw new TypeError('give a jobs setting, e.g. jobs.stepMs');
    const { parseJobsConfig, DEFAULT_JOBS_CONFIG } = await import('../../jobs/service/config.js');
    if (!Object.hasOwn(DEFAULT_JOBS_CONFIG, path[1]!) && path[1] !== 'computeParties')
      throw new TypeError(`unknown jobs setting ${quoted(path[1], 100)}`);
    const file = join(dataDir, 'jobs', 'config.json');
    const next = readObject(file);
    const current =
      getPath(next, path.slice(1)) ?? getPath({ ...DEFAULT_JOBS_CONFIG, computeParties: [] }, path.slice(1));
    setPath(next, path.slice(1), asSetting(value, current));
    parseJobsConfig(next); // throws naming the setting
    await writeJson(file, next);
    return file;
  }
  const { defaultConfig, parseConfig } = await import('../../daemon/config.js');
  const file = dataDirFile(dataDir, 'config');
  const next = existsSync(file) ? readObject(file) : (defaultConfig() as unknown as Record<string, unknown>);
  const current = getPath(next, path) ?? getPath(defaultConfig() as unknown as Record<string, unknown>, path);
  setPath(next, path, asSetting(value, current));
  parseConfig(next, file); // throws ConfigError naming the field
  await writeJson(file, next);
  return file;
}

/** Registers `config`. */
export function registerConfig(program: Command, { io }: CommandContext): void {
  const config = program.command('config').description("this peer's settings (daemon and jobs)");
  commonOptions(config.command('show'))
    .description('the settings the daemon reads at start (defaults filled in) and their files')
    .action(async (opts: CommonOptions) => {
      const all = await effective(dataDirOf(opts));
      if (opts.json === true) return printJson(io, all);
      for (const [part, v] of Object.entries(all) as [string, { file: string | null; settings: object }][]) {
        io.out(`${part}: ${v.file ?? 'no file (the defaults)'}`);
        io.out(keyValues(Object.entries(v.settings).map(([k, x]) => [`  ${k}`, JSON.stringify(x)])));
      }
    });
  commonOptions(config.command('set <key> <value>'))
    .description('set one setting (jobs.<name> for the job service); restart the daemon to apply it')
    .action(async (key: string, value: string, opts: CommonOptions) => {
      const file = await setKey(dataDirOf(opts), key, parseValue(value));
      if (opts.json === true) return printJson(io, { key, file });
      io.out(`set ${key} in ${file}; restart the daemon to apply it`);
    });
}
