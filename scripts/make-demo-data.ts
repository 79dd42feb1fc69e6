/**
 * Generates the demo's synthetic patient tables, deterministically (same seed, same bytes): three
 * hospitals with different populations, columns age, sex, bmi, systolic_bp, diastolic_bp,
 * cholesterol, hdl, glucose, smoker, with plausible correlations (blood pressure rises with age and
 * BMI, glucose and cholesterol with both, HDL falls with BMI...). Entirely synthetic: no real
 * person's data.
 *
 * Usage: node --import tsx scripts/make-demo-data.ts [out-dir]   (default: ./demo-data)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Columns of every table, in order. */
export const DEMO_COLUMNS = [
  'age',
  'sex',
  'bmi',
  'systolic_bp',
  'diastolic_bp',
  'cholesterol',
  'hdl',
  'glucose',
  'smoker',
] as const;

/** One hospital's population. */
export interface HospitalSpec {
  /** Dataset and file name. */
  name: string;
  /** Free text. */
  description: string;
  /** Rows. */
  rows: number;
  /** PRNG seed. */
  seed: number;
  /** Mean age. */
  meanAge: number;
  /** Extra BMI (e.g. a population with more obesity). */
  bmiShift: number;
  /** Smoking rate at age 50. */
  smokers: number;
}

/** The three demo hospitals. */
export const HOSPITALS: readonly HospitalSpec[] = [
  {
    name: 'st-mary',
    description: 'St Mary general hospital, cardiology outpatients (synthetic)',
    rows: 900,
    seed: 11,
    meanAge: 58,
    bmiShift: 0.5,
    smokers: 0.2,
  },
  {
    name: 'northfield',
    description: 'Northfield clinic, primary care (synthetic)',
    rows: 700,
    seed: 23,
    meanAge: 46,
    bmiShift: -0.6,
    smokers: 0.15,
  },
  {
    name: 'riverside',
    description: 'Riverside university hospital, internal medicine (synthetic)',
    rows: 1100,
    seed: 37,
    meanAge: 63,
    bmiShift: 1.2,
    smokers: 0.22,
  },
];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const clip = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
const r1 = (x: number): number => Math.round(x * 10) / 10;

/** The rows of one hospital (row-major, in {@link DEMO_COLUMNS} order). */
export function generateHospital(spec: HospitalSpec): number[][] {
  const u = mulberry32(spec.seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const rows: number[][] = [];
  for (let i = 0; i < spec.rows; i++) {
    const age = Math.round(clip(spec.meanAge + 14 * normal(), 18, 95));
    const sex = u() < 0.5 ? 1 : 0; // 1 = female
    const bmi = r1(clip(25 + spec.bmiShift + 0.05 * (age - 50) - 0.4 * sex + 4.3 * normal(), 16, 55));
    const smoker = u() < clip(spec.smokers - 0.002 * (age - 50), 0.02, 0.6) ? 1 : 0;
    const sbp = Math.round(clip(92 + 0.55 * age + 0.9 * bmi - 4 * sex + 4 * smoker + 11 * normal(), 85, 220));
    const dbp = Math.round(clip(30 + 0.3 * sbp + 0.35 * bmi + 7 * normal(), 45, 130));
    const chol = Math.round(clip(140 + 0.75 * age + 1.2 * bmi + 6 * sex + 30 * normal(), 100, 380));
    const hdl = Math.round(clip(63 - 0.7 * (bmi - 25) + 8 * sex - 4 * smoker + 10 * normal(), 20, 110));
    const diabetic = u() < clip(0.02 + 0.004 * (bmi - 25) + 0.002 * (age - 50), 0.005, 0.5);
    const glucose = Math.round(
      clip(70 + 0.22 * age + 1.1 * bmi + (diabetic ? 45 : 0) + 11 * normal(), 55, 350),
    );
    rows.push([age, sex, bmi, sbp, dbp, chol, hdl, glucose, smoker]);
  }
  return rows;
}

/** CSV text of rows with the demo header. */
export function toCsv(rows: number[][]): string {
  return [DEMO_COLUMNS.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
}

/** Writes every hospital's CSV into `dir`; returns the paths by hospital name. */
export function writeDemoData(dir: string): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const out: Record<string, string> = {};
  for (const h of HOSPITALS) {
    const path = join(dir, `${h.name}.csv`);
    writeFileSync(path, toCsv(generateHospital(h)));
    out[h.name] = path;
  }
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const dir = resolve(process.argv[2] ?? 'demo-data');
  const paths = writeDemoData(dir);
  for (const h of HOSPITALS) console.log(`${paths[h.name]}: ${h.rows} synthetic patients`);
}
