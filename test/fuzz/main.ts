/**
 * `npm run fuzz -- <target|all|list> [options]`: fuzzes peermpc's decoders (docs/FUZZING.md).
 *
 *   --seconds N      time per target (default 10)
 *   --iterations N   stop after N inputs per target instead
 *   --seed S         the run's seed (default "peermpc"): same seed, same inputs
 *   --timeout-ms N   per-input time limit (default 2000; a run 3x over it is killed as a hang)
 *   --out DIR        findings directory (default fuzz-findings/)
 *   --in-process     no worker thread (no hang watchdog, no heap cap)
 *   --no-minimize    keep findings as generated
 *   --input FILE     replay one saved input and print what happens
 *
 * Exits 1 when there are findings.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DEFAULT_FINDINGS_DIR, describeFinding, preview, saveFinding } from './lib/findings.js';
import { installGuard } from './lib/guard.js';
import type { LoopStats } from './lib/runner.js';
import { supervise } from './lib/supervisor.js';

function usage(message?: string): never {
  if (message) console.error(message);
  console.error('usage: npm run fuzz -- <target|all|list> [--seconds N] [--iterations N] [--seed S]');
  console.error('         [--timeout-ms N] [--out DIR] [--in-process] [--no-minimize] [--input FILE]');
  process.exit(2);
}

/** The command (see the module comment). */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--in-process' || a === '--no-minimize') flags.set(a, '1');
    else if (a.startsWith('--')) {
      if (i + 1 >= args.length) usage(`${a} needs a value`);
      flags.set(a, args[++i]!);
    } else positional.push(a);
  }
  const num = (flag: string): number | undefined => {
    const v = flags.get(flag);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) usage(`${flag} must be a positive number`);
    return n;
  };
  const name = positional[0] ?? usage();
  const seed = flags.get('--seed') ?? 'peermpc';
  const out = flags.get('--out') ?? DEFAULT_FINDINGS_DIR;
  const iterations = num('--iterations');
  const seconds = num('--seconds') ?? (iterations === undefined ? 10 : undefined);
  const limits = { timeoutMs: num('--timeout-ms') ?? 2000 };
  const minimize = !flags.has('--no-minimize');

  // The guard goes in before the code under test is imported (see lib/guard.ts).
  installGuard();
  const { TARGETS, getTarget } = await import('./targets/index.js');
  const { execute, fuzzLoop } = await import('./lib/runner.js');

  if (name === 'list') {
    for (const t of TARGETS) console.log(`${t.name.padEnd(14)} ${t.summary}`);
    process.exit(0);
  }

  const input = flags.get('--input');
  if (input !== undefined) {
    const bytes = readFileSync(input);
    const prepared = await getTarget(name).prepare();
    const o = await execute(prepared, bytes, limits);
    console.log(`${name} on ${input}: ${preview(bytes)}`);
    console.log(
      `${o.status}${o.kind ? ` (${o.kind})` : ''}${o.refusedBy ? ` by ${o.refusedBy}` : ''}, ${o.ms.toFixed(1)} ms`,
    );
    if (o.error !== undefined && o.status === 'finding')
      console.log((o.error as Error).stack ?? String(o.error));
    process.exit(o.status === 'finding' ? 1 : 0);
  }

  const names = name === 'all' ? TARGETS.map((t) => t.name) : [getTarget(name).name];
  const results: LoopStats[] = [];
  for (const n of names) {
    console.log(`== ${n}: ${seconds !== undefined ? `${seconds} s` : `${iterations} inputs`}, seed ${seed}`);
    let stats: LoopStats;
    if (flags.has('--in-process')) {
      const target = getTarget(n);
      stats = await fuzzLoop(target, await target.prepare(), {
        ...limits,
        seed,
        iterations,
        deadline: seconds !== undefined ? Date.now() + seconds * 1000 : undefined,
        minimize,
        onFinding: (f) => console.log(describeFinding(f, saveFinding(out, f))),
      });
    } else {
      stats = await supervise(n, {
        ...limits,
        seed,
        seconds,
        iterations,
        out,
        minimize,
        log: (l) => console.log(l),
      });
    }
    results.push(stats);
    const refused = Object.entries(stats.refused)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    console.log(
      `   ${stats.iterations} inputs in ${(stats.ms / 1000).toFixed(1)} s (${Math.round((1000 * stats.iterations) / Math.max(1, stats.ms))}/s), ` +
        `ok ${stats.ok}, refused: ${refused || 'none'}; slowest ${stats.slowestMs.toFixed(1)} ms; ` +
        `findings ${stats.findings.length} (+${stats.duplicates} duplicates)`,
    );
  }
  const total = results.reduce((n, s) => n + s.findings.length, 0);
  if (names.length > 1) {
    console.log('\ntarget          inputs   per s  findings');
    for (const s of results)
      console.log(
        `${s.target.padEnd(14)} ${String(s.iterations).padStart(7)} ${String(Math.round((1000 * s.iterations) / Math.max(1, s.ms))).padStart(7)} ${String(s.findings.length).padStart(9)}`,
      );
  }
  console.log(total === 0 ? 'no findings' : `${total} finding(s), saved under ${out}/`);
  process.exit(total === 0 ? 0 : 1);
}

// Only as the entry point: test runners that import every file of test/fuzz/ must not run it.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
