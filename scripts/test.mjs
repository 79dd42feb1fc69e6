#!/usr/bin/env node
// The project's test command: typecheck, lint, then every test file in its own process
// (uvu on TypeScript through tsx), two at a time, each with a time limit so nothing hangs.
// Ends with the line `N passed, N failed` and exits non-zero on any failure.
//
// Usage: node scripts/test.mjs [--no-check] [filter...]
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const skipChecks = args.includes('--no-check');
const filters = args.filter((a) => !a.startsWith('--'));
const FILE_TIMEOUT_MS = Number(process.env.PEERMPC_TEST_TIMEOUT_MS ?? 600_000);
const PARALLEL = Number(process.env.PEERMPC_TEST_JOBS ?? 2);

let passed = 0;
let failed = 0;
let skipped = 0;

function step(name, cmd, cmdArgs) {
  process.stdout.write(`\n== ${name}\n`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  if (r.status === 0) passed++;
  else failed++;
}

if (!skipChecks) {
  step('build wasm kernel', process.execPath, ['scripts/build-wasm.mjs']);
  step('typecheck', process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit']);
  step('lint', process.execPath, ['node_modules/eslint/bin/eslint.js', '.']);
  step('format', process.execPath, ['node_modules/prettier/bin/prettier.cjs', '--check', '.']);
}

function listTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

const files = listTests(join(root, 'test')).filter(
  (f) => filters.length === 0 || filters.some((flt) => f.includes(flt)),
);

function runFile(file) {
  return new Promise((resolve) => {
    const rel = relative(root, file);
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\n[test runner] ${rel} exceeded ${FILE_TIMEOUT_MS} ms: killed\n`;
      child.kill('SIGKILL');
    }, FILE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const ok = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const skip = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
      let bad = total - ok - skip;
      // A file that crashed or exited non-zero without counting a failure still fails.
      if (code !== 0 && bad === 0) bad = 1;
      if (total === 0 && bad === 0) bad = 1; // a test file that ran no test is a defect
      passed += ok;
      failed += bad;
      skipped += skip;
      process.stdout.write(`\n== ${rel}: ${ok} passed, ${bad} failed (exit ${code})\n`);
      if (bad > 0 || process.env.PEERMPC_TEST_VERBOSE) process.stdout.write(out);
      resolve();
    });
  });
}

const queue = [...files];
await Promise.all(
  Array.from({ length: Math.max(1, PARALLEL) }, async () => {
    while (queue.length > 0) await runFile(queue.shift());
  }),
);

process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed > 0 ? 1 : 0);
