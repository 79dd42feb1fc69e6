/**
 * `npm run bench -- <suite> [--json] [--runs N] [--warmup-ms MS] [--transport T[,T]] [filters...]`:
 * runs a benchmark suite and prints a table, or with --json only a JSON array of rows on stdout
 * (progress goes to stderr). `--transport` (mpc, ml, net) picks where the parties run: memory,
 * libp2p-tcp (ml also threads); the default is memory and libp2p-tcp side by side. `--warmup-ms`
 * (mpc, ml, net's rounds and throughput): untimed runs for that long before the timed ones
 * (default {@link DEFAULT_WARMUP_MS}; 0: one), so the medians are those of a warm process, as a
 * daemon's after its first jobs; the rows' first_ms is the cold first run.
 * Suites: tensor, mpc, net, jobs, ml, memory (each present once its module exists).
 */
import '../src/polyfills.js';
import { DEFAULT_WARMUP_MS, table, UsageError, type Row, type Suite, type SuiteOptions } from './harness.js';

/** Suite name -> the function its module (bench/<name>.ts) exports. */
const suites: Record<string, string> = {
  tensor: 'benchTensor',
  mpc: 'benchMpc',
  net: 'benchNet',
  jobs: 'benchJobs',
  ml: 'benchMl',
  memory: 'benchMemory',
  sim: 'benchSim',
};

async function loadSuite(name: string): Promise<Suite> {
  const mod = (await import(`./${name}.js`)) as Record<string, unknown>;
  const fn = mod[suites[name]!];
  if (typeof fn !== 'function') throw new Error(`bench/${name}.ts does not export ${suites[name]}`);
  return fn as Suite;
}

/** Value of `--name v` or `--name=v` (undefined when absent), and the argument indices it used. */
function flag(args: string[], name: string): { value: string | undefined; used: number[] } {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return { value: undefined, used: [] };
  if (args[i]!.includes('=')) return { value: args[i]!.slice(name.length + 3), used: [i] };
  return { value: args[i + 1], used: [i, i + 1] };
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const runsFlag = flag(args, 'runs');
  const transportFlag = flag(args, 'transport');
  const warmupFlag = flag(args, 'warmup-ms');
  const runs = runsFlag.value !== undefined ? Number(runsFlag.value) : 5;
  const warmupMs = warmupFlag.value !== undefined ? Number(warmupFlag.value) : DEFAULT_WARMUP_MS;
  const used = new Set([...runsFlag.used, ...transportFlag.used, ...warmupFlag.used]);
  const positional = args.filter((a, i) => !a.startsWith('--') && !used.has(i));
  const [name, ...only] = positional;
  if (name === undefined || !(name in suites)) {
    process.stderr.write(
      `usage: npm run bench -- <${Object.keys(suites).join('|')}> [--json] [--runs N] [--warmup-ms MS] ` +
        `[--transport memory|libp2p-tcp[,...]] [filters...]\n`,
    );
    return 2;
  }
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write('--runs takes a positive integer\n');
    return 2;
  }
  if (!Number.isInteger(warmupMs) || warmupMs < 0 || warmupMs > 600_000) {
    process.stderr.write('--warmup-ms takes an integer number of milliseconds, 0 to 600000\n');
    return 2;
  }
  if (transportFlag.used.length > 0 && !transportFlag.value) {
    process.stderr.write('--transport takes a transport name (or several, comma-separated)\n');
    return 2;
  }
  let suite: Suite;
  try {
    suite = await loadSuite(name);
  } catch (err) {
    process.stderr.write(`benchmark suite "${name}" is not available: ${(err as Error).message}\n`);
    return 2;
  }
  const opts: SuiteOptions = {
    json,
    runs,
    runsGiven: runsFlag.value !== undefined,
    warmupMs,
    only,
    ...(transportFlag.value !== undefined && { transports: transportFlag.value.split(',') }),
  };
  let rows: Row[];
  try {
    rows = await suite(opts);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  process.stdout.write(json ? JSON.stringify(rows) + '\n' : table(rows) + '\n');
  return 0;
}

process.exitCode = await main();
