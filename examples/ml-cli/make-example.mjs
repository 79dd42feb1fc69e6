// The files of docs/ML.md's worked example ("From a model on disk to a released result"), and a
// plaintext check of a model against a CSV. Entirely synthetic, deterministic (same bytes each run).
//
//   node examples/ml-cli/make-example.mjs <dir>
//     writes <dir>/model/ (a tfjs model: model.json + weights.bin, trained in plaintext on the
//     model owner's own synthetic rows), <dir>/clinic-a.csv and <dir>/clinic-b.csv (two data
//     owners' rows: age_z, bmi_z, bp_z standardised, event 0/1)
//   node examples/ml-cli/make-example.mjs reference <model dir or model.json> <file.csv> <features>
//     prints the model's plaintext tfjs predictions on the CSV's feature columns, one per row
//
// From a clone after `npm install` ('peermpc' resolves to the dist/ build).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTf, ml } from 'peermpc';

const COLUMNS = ['age_z', 'bmi_z', 'bp_z', 'event'];

/** Rows from a seeded xorshift32: three standardised features and a 0/1 event that depends on them. */
function rows(n, seed) {
  let s = seed >>> 0 || 1;
  const u = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const round = (x) => Math.round(x * 1000) / 1000;
  return Array.from({ length: n }, () => {
    const [age, bmi, bp] = [normal(), normal(), normal()].map(round);
    const risk = 1.2 * age + 0.6 * bmi + 1.0 * bp - 0.3 + 0.5 * normal();
    return [age, bmi, bp, risk > 0 ? 1 : 0];
  });
}

const csv = (table) => [COLUMNS.join(','), ...table.map((r) => r.join(','))].join('\n') + '\n';

async function make(dir) {
  const tf = await loadTf();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'clinic-a.csv'), csv(rows(40, 7)));
  writeFileSync(join(dir, 'clinic-b.csv'), csv(rows(30, 8)));
  // The model owner's model: 3 -> 4 (relu) -> 1 (sigmoid), trained on its own rows.
  const own = rows(300, 9);
  const model = tf.sequential();
  const init = (seed) => tf.initializers.glorotUniform({ seed });
  model.add(tf.layers.dense({ inputShape: [3], units: 4, activation: 'relu', kernelInitializer: init(1) }));
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: init(2) }));
  model.compile({ optimizer: tf.train.sgd(0.5), loss: 'binaryCrossentropy' });
  const x = tf.tensor2d(own.map((r) => r.slice(0, 3)));
  const y = tf.tensor2d(own.map((r) => [r[3]]));
  await model.fit(x, y, { epochs: 20, batchSize: 30, shuffle: false, verbose: 0 });
  await ml.saveTfModelFiles(tf, model, join(dir, 'model'));
  console.log(
    `wrote ${join(dir, 'model')} (model.json, weights.bin), clinic-a.csv (40 rows), clinic-b.csv (30 rows)`,
  );
}

async function reference(modelPath, csvPath, features) {
  const tf = await loadTf();
  const file = modelPath.endsWith('.json') ? modelPath : join(modelPath, 'model.json');
  const model = await ml.loadTfModelFiles(tf, file);
  const [header, ...lines] = readFileSync(csvPath, 'utf8').trim().split('\n');
  const names = header.split(',');
  const idx = features.split(',').map((f) => {
    const i = names.indexOf(f);
    if (i < 0) throw new Error(`no column ${f} in ${csvPath}`);
    return i;
  });
  const x = tf.tensor2d(lines.map((l) => idx.map((i) => Number(l.split(',')[i]))));
  const y = model.predict(x).arraySync();
  y.forEach((p, i) => console.log(`${i}\t${p.map((v) => v.toFixed(4)).join('\t')}`));
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'reference' && args.length === 3) await reference(...args);
else if (cmd !== undefined && cmd !== 'reference' && args.length === 0) await make(cmd);
else {
  console.error('usage: make-example.mjs <dir> | reference <model> <file.csv> <features>');
  process.exitCode = 2;
}
