/**
 * `npm run bench -- tensor`: ring kernels (matmul, elementwise mul), the PRG, fixed-point encode.
 * Rows: {suite, case, n, kernel, median_ms, ops_per_s}; ops are multiply-adds for matmul,
 * elements for mul and encode, bytes for the PRG.
 */
import {
  availableKernels,
  decodeFixed,
  encodeFixed,
  getKernel,
  Prg,
  type KernelName,
} from '../src/tensor/index.js';
import { median, progress, timeRuns, type Row, type SuiteOptions } from './harness.js';

function randomWords(kernelName: KernelName, n: number): BigUint64Array {
  const a = getKernel(kernelName).alloc(n);
  new Prg(new Uint8Array(16).fill(n & 255), n).fillWords(a);
  return a;
}

/** Runs the tensor suite. */
export async function benchTensor(opts: SuiteOptions): Promise<Row[]> {
  const rows: Row[] = [];
  const want = (s: string) => opts.only.length === 0 || opts.only.some((o) => s.includes(o));
  for (const name of availableKernels()) {
    const k = getKernel(name);
    for (const n of [256, 512, 1024]) {
      if (!want(`matmul`) && !want(name)) continue;
      const runs = name === 'reference' && n === 1024 ? Math.min(opts.runs, 3) : opts.runs;
      const a = randomWords(name, n * n);
      const b = randomWords(name, n * n);
      const out = k.alloc(n * n);
      progress(`matmul ${n} on ${name}`);
      const ms = median(await timeRuns(runs, () => k.matmul(a, b, out, n, n, n)));
      rows.push({
        suite: 'tensor',
        case: 'matmul',
        n,
        kernel: name,
        median_ms: ms,
        ops_per_s: (n * n * n) / (ms / 1000),
      });
    }
    if (want('mul') || want(name)) {
      const n = 1_000_000;
      const a = randomWords(name, n);
      const b = randomWords(name, n);
      const out = k.alloc(n);
      progress(`mul 1e6 on ${name}`);
      const ms = median(await timeRuns(Math.max(opts.runs, 20), () => k.mul(a, b, out), 3));
      rows.push({ suite: 'tensor', case: 'mul', n, kernel: name, median_ms: ms, ops_per_s: n / (ms / 1000) });
    }
  }
  if (want('prg')) {
    const n = 64 * 1024 * 1024;
    const buf = new Uint8Array(n);
    const prg = new Prg(new Uint8Array(16), 0);
    progress('prg 64 MiB');
    const ms = median(await timeRuns(opts.runs, () => prg.fillBytes(buf)));
    rows.push({
      suite: 'tensor',
      case: 'prg',
      n,
      kernel: 'aes-128-ctr',
      median_ms: ms,
      ops_per_s: n / (ms / 1000),
    });
  }
  if (want('encode')) {
    const n = 1_000_000;
    const xs = new Float32Array(n).map((_, i) => Math.sin(i) * 1000);
    progress('encode+decode 1e6');
    const ms = median(await timeRuns(opts.runs, () => decodeFixed(encodeFixed(xs, [n]))));
    rows.push({
      suite: 'tensor',
      case: 'encode',
      n,
      kernel: 'fixed16',
      median_ms: ms,
      ops_per_s: n / (ms / 1000),
    });
  }
  return rows;
}
