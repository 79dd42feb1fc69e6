/**
 * The plaintext answers of a simulated job, from the same synthetic rows the owners hold: count,
 * sum, mean, variance and std (ddof 1, as the ops) per column over the union of the inputs. A
 * released value is checked when its statistic is one of these; covariance and correlation are
 * released but not checked here.
 */
import type { JobOutputValue } from '../jobs/store.js';
import { datasetCsv } from './data.js';
import { SIM_TOLERANCE } from './report.js';
import type { Scenario } from './scenario.js';

function rowsOf(s: Scenario, owners: number[]): number[][] {
  return owners.flatMap((o) =>
    datasetCsv(s, o)
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',').map(Number)),
  );
}

function expected(stat: string, rows: number[][], columns: number): number[] | undefined {
  const n = rows.length;
  const sums = [...Array(columns).keys()].map((c) => rows.reduce((a, r) => a + r[c]!, 0));
  const means = sums.map((x) => x / n);
  const variances = means.map((m, c) => rows.reduce((a, r) => a + (r[c]! - m) ** 2, 0) / (n - 1));
  switch (stat) {
    case 'count':
      return [n];
    case 'sum':
      return sums;
    case 'mean':
      return means;
    case 'variance':
      return variances;
    case 'std':
      return variances.map(Math.sqrt);
    default:
      return undefined;
  }
}

/**
 * Compares the released `result` of a job over `owners`' datasets with the plaintext answers.
 * Every checked element must be within SIM_TOLERANCE * max(1, |expected|).
 */
export function checkAgainstPlaintext(
  s: Scenario,
  owners: number[],
  stats: readonly string[],
  result: JobOutputValue[],
): { correct: boolean; maxError: number } {
  const rows = rowsOf(s, owners);
  let correct = true;
  let maxError = 0;
  for (const stat of stats) {
    const want = expected(stat, rows, s.datasets.columns.length);
    if (want === undefined) continue;
    const got = result.find((r) => r.name === stat)?.values;
    if (got === undefined || got.length !== want.length) {
      correct = false;
      continue;
    }
    want.forEach((w, i) => {
      const g = got[i];
      const err = g === null || g === undefined ? Infinity : Math.abs(g - w);
      maxError = Math.max(maxError, err);
      if (!(err <= SIM_TOLERANCE * Math.max(1, Math.abs(w)))) correct = false;
    });
  }
  return { correct, maxError };
}
