#!/usr/bin/env node
// Builds the WebAssembly ring kernel: src/tensor/kernels/wasm/ring.wat -> build/ring.wasm, with
// the `wabt` devDependency (SIMD, threads for the shared memory, bulk memory). Skips the work when
// build/ring.wasm is newer than the source and this script. Without wabt (a production install
// without devDependencies) it exits 0: at run time peermpc then falls back to another kernel.
// Prints one line.
//
// Usage: node scripts/build-wasm.mjs [--force]
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../src/tensor/kernels/wasm/ring.wat', import.meta.url));
const outDir = fileURLToPath(new URL('../build/', import.meta.url));
const out = `${outDir}ring.wasm`;
const self = fileURLToPath(import.meta.url);
const force = process.argv.includes('--force');

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

const srcTime = mtime(src);
if (srcTime < 0) {
  console.log('wasm kernel: no source (src/tensor/kernels/wasm/ring.wat); skipped');
  process.exit(0);
}
if (!force && mtime(out) > Math.max(srcTime, mtime(self))) {
  console.log('wasm kernel: build/ring.wasm is up to date');
  process.exit(0);
}

let wabtInit;
try {
  wabtInit = (await import('wabt')).default;
} catch {
  console.log('wasm kernel: wabt is not installed (no devDependencies); skipped, the runtime falls back');
  process.exit(0);
}

const started = Date.now();
const wabt = await wabtInit();
const features = { simd: true, threads: true, bulk_memory: true };
let mod;
try {
  mod = wabt.parseWat('ring.wat', readFileSync(src, 'utf8'), features);
  mod.validate(features);
  const { buffer } = mod.toBinary({ log: false, write_debug_names: false });
  mkdirSync(outDir, { recursive: true });
  // Write then rename, so a concurrent reader never sees a half-written module.
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, buffer);
  renameSync(tmp, out);
  const ms = Date.now() - started;
  console.log(`wasm kernel: built build/ring.wasm (${buffer.length} bytes) in ${ms} ms`);
} catch (err) {
  console.error(`wasm kernel: ring.wat failed to build: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
} finally {
  mod?.destroy();
}
