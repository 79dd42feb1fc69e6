/**
 * The demo's joint job, shared by `npm run demo` and `npm run bench -- jobs`: over the union of
 * the hospitals' tables, the row count, column means, the correlation matrix, and the linear
 * regression systolic_bp ~ age + bmi, by rep3 with the three hospitals as compute parties.
 */
import { shorthandProgram } from '../src/jobs/program/shorthand.js';
import type { JobRequest } from '../src/jobs/service/request.js';
import type { SignedDatasetDescription } from '../src/node/types.js';
import { DEMO_COLUMNS, generateHospital, HOSPITALS } from './make-demo-data.js';

/** Columns the job reads from each hospital. */
export const JOB_COLUMNS = ['age', 'bmi', 'systolic_bp', 'cholesterol', 'glucose'];
/** Regression target. */
export const TARGET = 'systolic_bp';
/** Regression features. */
export const FEATURES = ['age', 'bmi'];

/** The job request over the datasets found (in that order). */
export function demoJobRequest(found: readonly SignedDatasetDescription[]): JobRequest {
  return {
    program: shorthandProgram({
      inputs: found.map((_, i) => ({ name: `h${i + 1}`, columns: JOB_COLUMNS })),
      stats: ['count', 'mean', 'correlation'],
      linreg: { target: TARGET, features: FEATURES },
    }),
    inputs: found.map((f, i) => ({
      name: `h${i + 1}`,
      owner: f.description.owner,
      dataset: f.description.name,
      columns: JOB_COLUMNS,
    })),
  };
}

/** Every hospital's rows, the job's columns only (for the plaintext answer). */
export function demoJobRows(): number[][] {
  const idx = JOB_COLUMNS.map((c) => DEMO_COLUMNS.indexOf(c as (typeof DEMO_COLUMNS)[number]));
  return HOSPITALS.flatMap((h) => generateHospital(h)).map((r) => idx.map((i) => r[i]!));
}
