// Quick benchmark of the native kernel: matmul at 256/512/1024 and elementwise ops at 1e6 words,
// per dispatch level and thread count, median of RUNS runs.
// Usage: node native/bench.mjs [level...]   (build first: node scripts/build-native.mjs)
// Env: RUNS (default 9), SIZES (default 256,512,1024), THREADS (default 1..all, e.g. "2").
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const ring = require('../build/Release/peermpc_ring.node');
const RUNS = Number(process.env.RUNS ?? 9);

function random(n) {
  const a = new BigUint64Array(n);
  const u32 = new Uint32Array(a.buffer);
  for (let i = 0; i < u32.length; i++) u32[i] = (Math.random() * 2 ** 32) >>> 0;
  return a;
}

// Median wall time in ms; `cpu` is the median process CPU time, which on a shared machine shows how
// much of the wall time went to other processes (meaningful for single-threaded runs).
function median(fn, runs = RUNS) {
  fn(); // warm up
  const times = [];
  const cpus = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000);
  }
  const mid = (xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const wall = mid(times);
  return Object.assign(Number(wall), { cpu: mid(cpus) });
}

const levels = process.argv.length > 2 ? process.argv.slice(2) : ring.levels();
const maxThreads = ring.threads();
console.log(
  `levels ${ring.levels().join(', ')}; default ${ring.level()}, ${maxThreads} threads; median of ${RUNS}`,
);
for (const level of levels) {
  ring.setLevel(level);
  for (const size of (process.env.SIZES ?? '256,512,1024').split(',').map(Number)) {
    const a = random(size * size);
    const b = random(size * size);
    const out = new BigUint64Array(size * size);
    const row = [];
    const counts = process.env.THREADS
      ? process.env.THREADS.split(',').map(Number)
      : Array.from({ length: maxThreads }, (_, i) => i + 1);
    for (const t of counts) {
      ring.setThreads(t);
      const ms = median(() => ring.matmul(a, b, out, size, size, size), size >= 1024 ? 5 : RUNS);
      const rate = (x) => (size ** 3 / x / 1e6).toFixed(2);
      const cpu = t === 1 ? ` (cpu ${ms.cpu.toFixed(2)} ms = ${rate(ms.cpu)})` : '';
      row.push(`${t}T ${ms.toFixed(2)} ms = ${rate(ms)} G mul-add/s${cpu}`);
    }
    console.log(`${level.padEnd(12)} matmul ${size}: ${row.join(' | ')}`);
  }
  ring.setThreads(maxThreads);
  const n = 1_000_000;
  const a = random(n);
  const b = random(n);
  const c = random(n);
  const out = new BigUint64Array(n);
  const ops = {
    mul: () => ring.mul(a, b, out),
    add: () => ring.add(a, b, out),
    mulAdd: () => ring.mulAdd(a, b, c, out),
    mulScalar: () => ring.mulScalar(a, 12345678901234567n, out),
    shrArithmetic: () => ring.shrArithmetic(a, 13, out),
  };
  console.log(
    `${level.padEnd(12)} 1e6 words: ` +
      Object.entries(ops)
        .map(([name, fn]) => `${name} ${median(fn, 21).toFixed(3)} ms`)
        .join(' | '),
  );
}
