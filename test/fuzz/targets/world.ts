/**
 * The fuzz targets' world: deterministic Ed25519 identities (the "test key" mutated jobs and
 * descriptions are re-signed with), a fixed clock, seed programs and the dictionary of names
 * the structure-aware mutations draw from.
 */
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { listOps } from '../../../src/jobs/program/catalogue.js';
import { ProgramBuilder } from '../../../src/jobs/program/builder.js';
import { shorthandProgram } from '../../../src/jobs/program/shorthand.js';
import type { Program } from '../../../src/jobs/program/types.js';

/** A key and its peer id. */
export interface Identity {
  key: PrivateKey;
  peerId: string;
}

/** When seed jobs and descriptions were created. */
export const CREATED = new Date('2030-01-01T00:00:00.000Z');
/** The verifiers' clock: five minutes later. */
export const NOW = new Date('2030-01-01T00:05:00.000Z');

let cached: Promise<Identity[]> | undefined;

/** Six fixed identities: requester, three owners (compute parties), a dealer, a stranger. */
export function identities(): Promise<Identity[]> {
  cached ??= Promise.all(
    [1, 2, 3, 4, 5, 6].map(async (i) => {
      const key = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(i));
      return { key, peerId: peerIdFromPrivateKey(key).toString() };
    }),
  );
  return cached;
}

/** Columns of the seed datasets. */
export const COLS = ['age', 'bmi', 'sbp'];
/** Columns with category codes and a 0/1 outcome. */
export const CAT_COLS = ['grp', 'sex', 'x', 'y'];

/** Seed programs covering the catalogue's ops and params. */
export function seedPrograms(): Program[] {
  const three = ['h1', 'h2', 'h3'].map((name) => ({ name, columns: COLS }));
  const one = [{ name: 'h1', columns: CAT_COLS }];
  const programs = [
    shorthandProgram({ inputs: three, stats: ['mean', 'covariance', 'count', 'variance'] }),
    shorthandProgram({
      inputs: three,
      combine: 'union',
      histogram: { column: 'age', edges: [0, 10, 20, 40], minCount: 2 },
      quantiles: { column: 'bmi', q: [0.25, 0.5], minCount: 3 },
    }),
    shorthandProgram({ inputs: one, groupBy: { by: 'grp', levels: [0, 1, 2], agg: 'mean', columns: ['x'] } }),
    shorthandProgram({
      inputs: one,
      crosstab: { rows: 'grp', rowLevels: [0, 1, 2], columns: 'sex', columnLevels: [0, 1], test: true },
    }),
    shorthandProgram({ inputs: one, ols: { features: ['x', 'sex'], target: 'grp' } }),
    shorthandProgram({ inputs: one, logit: { features: ['x'], target: 'y' } }),
    shorthandProgram({ inputs: three, stats: ['correlation'], linreg: { features: ['age'], target: 'sbp' } }),
  ];
  const b = new ProgramBuilder();
  const a = b.input('h1', COLS);
  const c = b.input('h2', COLS);
  const j = b.join(a, b.input('h3', ['w', 'z']));
  const sel = b.select(a, ['age', 'bmi']);
  const k = b.constant([1, 2, 3, 4], [2, 2]);
  b.output('m', b.matmul(b.transpose(b.covariance(sel)), k));
  b.output('s', b.scale(b.add(b.sum(sel), b.sub(b.mean(sel), b.mean(sel))), 2));
  b.output('n', b.count(j));
  b.output('t', b.node('ttest', [a, c], { column: 'age' }));
  programs.push(b.build());
  return programs;
}

/** Names, ops, params and values the JSON mutations try. */
export async function dictionary(): Promise<string[]> {
  const ids = (await identities()).map((i) => i.peerId);
  const ops = listOps().flatMap((o) => [o.name, ...o.params]);
  return [
    ...new Set([
      ...ids,
      ...ops,
      ...COLS,
      ...CAT_COLS,
      'h1',
      'h2',
      'h3',
      'patients',
      'rep3',
      'additive',
      'plaintext',
      'auto',
      'manual',
      'synthetic',
      'file',
      'number',
      'version',
      'inputs',
      'nodes',
      'outputs',
      'params',
      'args',
      'columns',
      'magnitudes',
      'rows',
      'dealer',
      '0123456789abcdef0123456789abcdef',
      CREATED.toISOString(),
      NOW.toISOString(),
      '2030-01-08T00:00:00.001Z',
    ]),
  ];
}
