/**
 * The UCI breast-cancer data (test/data/breast_cancer.csv, see test/data/README.md): a fixed
 * shuffled 80/20 split, features standardised with the training rows' means and deviations,
 * label 1 = benign, 0 = malignant.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One split: x [rows, 30] and y [rows, 1], row-major. */
export interface Split {
  x: Float32Array;
  y: Float32Array;
  rows: number;
}

/** The standardised train and test splits. */
export interface BreastCancer {
  features: number;
  train: Split;
  test: Split;
}

const CSV = fileURLToPath(new URL('../../data/breast_cancer.csv', import.meta.url));

/** Loads the data; `seed` fixes the shuffle. */
export function loadBreastCancer(seed = 42, trainFraction = 0.8): BreastCancer {
  const lines = readFileSync(CSV, 'utf8').trim().split('\n');
  const [rows, features] = lines[0]!.split(',').map(Number) as [number, number];
  const data = lines.slice(1).map((l) => l.split(',').map(Number));
  if (data.length !== rows || data.some((r) => r.length !== features + 1))
    throw new Error('breast_cancer.csv is malformed');
  // Fisher-Yates with a fixed LCG
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const order = data.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const nTrain = Math.round(rows * trainFraction);
  const trainRows = order.slice(0, nTrain).map((i) => data[i]!);
  const testRows = order.slice(nTrain).map((i) => data[i]!);
  const mean = new Array<number>(features).fill(0);
  const sd = new Array<number>(features).fill(0);
  for (const r of trainRows) for (let j = 0; j < features; j++) mean[j]! += r[j]! / nTrain;
  for (const r of trainRows) for (let j = 0; j < features; j++) sd[j]! += (r[j]! - mean[j]!) ** 2 / nTrain;
  for (let j = 0; j < features; j++) sd[j] = Math.sqrt(sd[j]!) || 1;
  const split = (rs: number[][]): Split => {
    const x = new Float32Array(rs.length * features);
    const y = new Float32Array(rs.length);
    rs.forEach((r, i) => {
      for (let j = 0; j < features; j++) x[i * features + j] = (r[j]! - mean[j]!) / sd[j]!;
      y[i] = r[features]!;
    });
    return { x, y, rows: rs.length };
  };
  return { features, train: split(trainRows), test: split(testRows) };
}

/** Rows [start, end) of a split. */
export function sliceRows(s: Split, start: number, end: number): Split {
  const f = s.x.length / s.rows;
  const o = s.y.length / s.rows;
  return { x: s.x.slice(start * f, end * f), y: s.y.slice(start * o, end * o), rows: end - start };
}

/** Fraction of rows whose thresholded (one output) or argmax (several) prediction matches y. */
export function accuracy(p: ArrayLike<number>, y: ArrayLike<number>, rows: number): number {
  const o = p.length / rows;
  let ok = 0;
  for (let i = 0; i < rows; i++) {
    if (o === 1) ok += (p[i]! >= 0.5 ? 1 : 0) === y[i] ? 1 : 0;
    else {
      let best = 0;
      let bestY = 0;
      for (let k = 1; k < o; k++) {
        if (p[i * o + k]! > p[i * o + best]!) best = k;
        if (y[i * o + k]! > y[i * o + bestY]!) bestY = k;
      }
      ok += best === bestY ? 1 : 0;
    }
  }
  return ok / rows;
}

/** One-hot [rows, 2] labels from 0/1 labels. */
export function oneHot2(y: Float32Array): Float32Array {
  const out = new Float32Array(y.length * 2);
  y.forEach((v, i) => (out[i * 2 + (v >= 0.5 ? 1 : 0)] = 1));
  return out;
}
