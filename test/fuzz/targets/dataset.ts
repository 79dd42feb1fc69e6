/**
 * Dataset decoders: signed dataset descriptions as a catalog response or a DHT record carries them
 * (src/node/dataset/description.ts verifySignedDescription, src/node/catalog/keys.ts
 * datasetRecordValidator; mutated descriptions are re-signed with the owner's test key), and CSV
 * import (src/node/dataset/csv.ts readNumericCsv, mock.ts readMockCsv).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { policySummary, defaultPolicy } from '../../../src/jobs/policy/types.js';
import { datasetRecordKey, datasetRecordValidator } from '../../../src/node/catalog/keys.js';
import { readNumericCsv } from '../../../src/node/dataset/csv.js';
import {
  buildDescription,
  signDescription,
  verifySignedDescription,
} from '../../../src/node/dataset/description.js';
import { readMockCsv } from '../../../src/node/dataset/mock.js';
import { CsvImportError, DescriptionVerificationError } from '../../../src/node/errors.js';
import type { DatasetDescription } from '../../../src/node/types.js';
import { Raw, serialize } from '../lib/mutate-json.js';
import { freshDir } from '../lib/scratch.js';
import { expectErrors, InvariantError, jsonTarget } from '../lib/target.js';
import { CREATED, dictionary, identities } from './world.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

async function seedDescriptions(): Promise<DatasetDescription[]> {
  const [, owner, other] = await identities();
  const policy = policySummary(defaultPolicy('patients'), true);
  return [
    buildDescription({
      name: 'patients',
      owner: owner!.peerId,
      description: 'blood pressure by age',
      columns: ['age', 'bmi', 'sbp'],
      magnitudes: [7, 6, 8],
      rows: 1200,
      tags: ['health', 'bp'],
      mock: [
        [40, 22.5, 120],
        [61, 30.1, 141],
      ],
      mockSource: 'synthetic',
      policy,
      created: CREATED,
    }),
    buildDescription({
      name: 'patients',
      owner: owner!.peerId,
      description: '',
      columns: ['x'],
      magnitudes: [0],
      rows: 0,
      tags: [],
      mock: [],
      mockSource: 'file',
      policy: {
        ...policy,
        approval: 'auto',
        requesters: [other!.peerId],
        requestersRestricted: true,
        minRows: 10,
      },
      created: CREATED,
    }),
  ];
}

/** A description tree as a signed description, re-signed by the owner's key. */
async function signedDescriptionText(tree: unknown): Promise<string> {
  const text = serialize(tree);
  const [, owner] = await identities();
  let signature = 'AAAA';
  try {
    signature = (await signDescription(JSON.parse(text) as DatasetDescription, owner!.key)).signature;
  } catch {
    // not canonicalizable: the verifier must refuse it anyway
  }
  return `{"description":${text},"signature":${JSON.stringify(signature)}}`;
}

/** See the module comment. */
export const descriptionTarget = jsonTarget({
  name: 'description',
  summary: 'signed dataset descriptions: verifySignedDescription, datasetRecordValidator (DHT), re-signed',
  seeds: seedDescriptions,
  dictionary: [...(await dictionary()), 'health', 'bp', 'approval', 'requesters', 'minRows', 'mockSource'],
  encode: async (tree) => enc.encode(await signedDescriptionText(tree)),
  async run(bytes) {
    const [, owner] = await identities();
    const key = datasetRecordKey(owner!.peerId, 'patients');
    let recordError: unknown;
    await datasetRecordValidator(key, bytes).catch((err: unknown) => (recordError = err));
    if (recordError !== undefined && !(recordError instanceof DescriptionVerificationError)) {
      if (!(recordError instanceof SyntaxError)) throw recordError;
    }
    const value = JSON.parse(dec.decode(bytes)) as unknown;
    await verifySignedDescription(value, 'fuzz-peer');
    return (await verifySignedDescription(value, owner!.peerId, { owner: owner!.peerId, name: 'patients' }))
      .description.rows;
  },
  expected: expectErrors(DescriptionVerificationError, SyntaxError),
});

/** A CSV tree (rows of cells) as text; anything that is not a row or a cell is written as JSON. */
function csvText(tree: unknown): string {
  const rows = Array.isArray(tree) ? tree : [tree];
  const cell = (c: unknown): string => (typeof c === 'string' ? c : c instanceof Raw ? c.text : serialize(c));
  return rows.map((r) => (Array.isArray(r) ? r.map(cell).join(',') : cell(r))).join('\n') + '\n';
}

const CSV_TOKENS = [
  '"',
  '""',
  ',',
  '\r\n',
  '\r',
  '\n',
  '\ufeff',
  ' ',
  '\t',
  '1e999',
  'NaN',
  '0x10',
  '-0',
  '.5',
  '1.',
  '\u0000',
];

/** See the module comment. */
export const csvTarget = jsonTarget({
  name: 'csv',
  summary: 'CSV import: readNumericCsv (header, widths, numeric cells), readMockCsv',
  seeds: () => [
    [
      ['age', 'bmi', 'sbp'],
      ['40', '22.5', '120'],
      ['61', '30.1', '141'],
    ],
    [['x'], ['1e3'], ['-0.5'], ['+7'], ['.25']],
    [
      ['a', ' b ', '"c"'],
      ['1', '2', '3'],
      ['', '', ''],
      ['4', '5', '6'],
    ],
  ],
  dictionary: [...CSV_TOKENS, 'age', 'bmi', 'sbp', '1', '0', '-1', '1e308', '5e-324'],
  textMutations: 0.4,
  textDictionary: CSV_TOKENS.map((t) => enc.encode(t)),
  encode: (tree) => enc.encode(csvText(tree)),
  async run(bytes) {
    const path = join(freshDir('csv'), 'data.csv');
    writeFileSync(path, bytes);
    let columns: string[] = [];
    let seen = 0;
    let bad = false; // not thrown from the callback: readNumericCsv would wrap it in a CsvImportError
    const rows = await readNumericCsv(
      path,
      (c) => (columns = c),
      (row) => {
        seen++;
        bad ||= row.length !== columns.length || row.some((v) => !Number.isFinite(v));
      },
    );
    if (bad) throw new InvariantError('a row is not one finite number per column');
    if (rows !== seen) throw new InvariantError(`resolved ${rows} rows, delivered ${seen}`);
    await readMockCsv(path, columns, {});
    return rows;
  },
  expected: expectErrors(CsvImportError),
});
