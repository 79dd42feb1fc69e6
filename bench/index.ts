/**
 * `npm run bench -- <suite> [--json] [--runs N] [filters...]`: runs a benchmark suite and prints a
 * table, or with --json only a JSON array of rows on stdout (progress goes to stderr).
 * Suites: tensor, mpc, net, jobs, ml (each present once its module exists).
 */
import '../src/polyfills.js';
import { table, type Row, type Suite, type SuiteOptions } from './harness.js';

/** Suite name -> the function its module (bench/<name>.ts) exports. */
const suites: Record<string, string> = {
  tensor: 'benchTensor',
  mpc: 'benchMpc',
  net: 'benchNet',
  jobs: 'benchJobs',
  ml: 'benchMl',
};

async function loadSuite(name: string): Promise<Suite> {
  const mod = (await import(`./${name}.js`)) as Record<string, unknown>;
  const fn = mod[suites[name]!];
  if (typeof fn !== 'function') throw new Error(`bench/${name}.ts does not export ${suites[name]}`);
  return fn as Suite;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const runsAt = args.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 5;
  const positional = args.filter((a, i) => !a.startsWith('--') && !(runsAt >= 0 && i === runsAt + 1));
  const [name, ...only] = positional;
  if (name === undefined || !(name in suites)) {
    process.stderr.write(
      `usage: npm run bench -- <${Object.keys(suites).join('|')}> [--json] [--runs N] [filters...]\n`,
    );
    return 2;
  }
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write('--runs takes a positive integer\n');
    return 2;
  }
  let suite: Suite;
  try {
    suite = await loadSuite(name);
  } catch (err) {
    process.stderr.write(`benchmark suite "${name}" is not available: ${(err as Error).message}\n`);
    return 2;
  }
  const opts: SuiteOptions = { json, runs, only };
  const rows: Row[] = await suite(opts);
  process.stdout.write(json ? JSON.stringify(rows) + '\n' : table(rows) + '\n');
  return 0;
}

process.exitCode = await main();
