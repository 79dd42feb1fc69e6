/**
 * Row prints: the multiset difference against a naive count, the file form, and the prints a
 * DatasetStore keeps per dataset (at import, across reopen and replace, recomputed when missing).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { DatasetStore } from '../../src/node/dataset/store.js';
import {
  computeRowPrints,
  decodeRowPrints,
  encodeRowPrints,
  PRINTS_FILE,
  rowPrintKey,
  rowPrintsDigest,
  symmetricDifferenceSize,
} from '../../src/node/dataset/row-prints.js';
import { loadOrCreateIdentity } from '../../src/node/identity.js';
import { removeDir, SAMPLE_CSV, tempDir, writeText } from './net-helpers.js';

/** A deterministic generator (Park-Miller). */
function rng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 16807) % 2147483647) - 1) / 2147483646;
}

/** Naive multiset symmetric difference: counts per value. */
function naiveDifference(a: BigUint64Array, b: BigUint64Array): number {
  const counts = new Map<bigint, number>();
  for (const x of a) counts.set(x, (counts.get(x) ?? 0) + 1);
  for (const y of b) counts.set(y, (counts.get(y) ?? 0) - 1);
  let diff = 0;
  for (const c of counts.values()) diff += Math.abs(c);
  return diff;
}

test('symmetricDifferenceSize matches a naive count on random multisets with duplicates', () => {
  const r = rng(7);
  for (let trial = 0; trial < 500; trial++) {
    const range = 1 + Math.floor(r() * 20); // small ranges: many duplicates
    const big = r() < 0.3 ? 0xffff_ffff_ffff_ff00n : 0n; // values near 2^64 as well
    const make = (): BigUint64Array =>
      BigUint64Array.from(
        { length: Math.floor(r() * 30) },
        () => big + BigInt(Math.floor(r() * range)),
      ).sort();
    const a = make();
    const b = make();
    const expected = naiveDifference(a, b);
    assert.is(symmetricDifferenceSize(a, b), expected, `trial ${trial}`);
    assert.is(symmetricDifferenceSize(b, a), expected, `trial ${trial} (swapped)`);
    assert.is(symmetricDifferenceSize(a, a), 0);
  }
  assert.is(symmetricDifferenceSize(new BigUint64Array(0), BigUint64Array.of(1n, 1n)), 2);
});

test('prints: keyed, -0 is 0, sorted, file form round-trips and its digest is the SHA-256', () => {
  const key = rowPrintKey(randomBytes(64));
  const other = rowPrintKey(randomBytes(64));
  const values = Float64Array.of(1, 2, -0, 3, 1, 2, 0, 3, 5.5, -7);
  const prints = computeRowPrints(key, values, 2);
  assert.is(prints.length, 5);
  for (let i = 1; i < prints.length; i++) assert.ok(prints[i - 1]! <= prints[i]!, 'sorted');
  const [negZero] = computeRowPrints(key, Float64Array.of(-0, 3), 2);
  const [posZero] = computeRowPrints(key, Float64Array.of(0, 3), 2);
  assert.is(negZero, posZero, '-0 prints as 0');
  assert.is(symmetricDifferenceSize(prints, computeRowPrints(key, values, 2)), 0, 'deterministic');
  assert.is(symmetricDifferenceSize(prints, computeRowPrints(other, values, 2)), 10, 'another key');
  const bytes = encodeRowPrints(prints);
  assert.is(bytes.length, 40);
  assert.is(bytes.readBigUInt64LE(8), prints[1], 'little-endian');
  assert.equal(decodeRowPrints(bytes), prints);
  assert.is(rowPrintsDigest(prints), createHash('sha256').update(bytes).digest('hex'));
  assert.is(rowPrintsDigest(bytes), rowPrintsDigest(prints));
  assert.is(decodeRowPrints(bytes.subarray(0, 39)), undefined, 'not whole prints');
  assert.is(decodeRowPrints(encodeRowPrints(BigUint64Array.of(2n, 1n))), undefined, 'not sorted');
});

async function openStore(dir: string) {
  const key = await loadOrCreateIdentity(dir);
  const owner = peerIdFromPrivateKey(key).toString();
  return DatasetStore.open(dir, owner, key, rng(1));
}

const ONE_CHANGED = SAMPLE_CSV.replace('41,180,82.5', '41,180,83');
const ONE_ADDED = SAMPLE_CSV + '38,168,66\n';

test('DatasetStore: prints at import survive reopen; replace by one changed / added row', async () => {
  const dir = tempDir();
  try {
    const store = await openStore(dir);
    await store.add({ csvPath: writeText(dir, 'a.csv', SAMPLE_CSV), name: 'people' });
    const file = join(dir, 'datasets', 'people', PRINTS_FILE);
    assert.is(statSync(file).size, 4 * 8);
    const first = await store.rowPrintSet('people');
    assert.is(first.prints.length, 4);
    assert.is(first.digest, createHash('sha256').update(readFileSync(file)).digest('hex'));
    assert.is((await store.rowPrintSet('people')).digest, first.digest);
    assert.equal((await store.rowPrintSet('people')).prints, first.prints);

    const reopened = await openStore(dir);
    assert.equal(await reopened.rowPrintSet('people'), first, 'same prints after reopen');

    await reopened.add({ csvPath: writeText(dir, 'b.csv', ONE_CHANGED), name: 'people', replace: true });
    const changed = await reopened.rowPrintSet('people');
    assert.is.not(changed.digest, first.digest);
    assert.is(symmetricDifferenceSize(first.prints, changed.prints), 2, 'one removed, one added');

    await reopened.add({ csvPath: writeText(dir, 'c.csv', ONE_ADDED), name: 'people', replace: true });
    const added = await reopened.rowPrintSet('people');
    assert.is(added.prints.length, 5);
    assert.is(symmetricDifferenceSize(first.prints, added.prints), 1, 'one added');

    // the same rows in another order: the same prints
    const shuffled = 'age,height,weight\n52,175,90\n30,170.5,70\n25,165.25,60\n41,180,82.5\n';
    await reopened.add({ csvPath: writeText(dir, 'd.csv', shuffled), name: 'people', replace: true });
    assert.is((await reopened.rowPrintSet('people')).digest, first.digest);
  } finally {
    removeDir(dir);
  }
});

test('DatasetStore: a dataset without prints.bin gets them recomputed, identical, and written', async () => {
  const dir = tempDir();
  try {
    const store = await openStore(dir);
    await store.add({ csvPath: writeText(dir, 'a.csv', SAMPLE_CSV), name: 'people' });
    const before = await store.rowPrintSet('people');
    const file = join(dir, 'datasets', 'people', PRINTS_FILE);
    rmSync(file);
    const reopened = await openStore(dir);
    const [x, y] = await Promise.all([reopened.rowPrintSet('people'), reopened.rowPrintSet('people')]);
    assert.equal(x, before);
    assert.equal(y, before);
    assert.ok(existsSync(file), 'written back');
    assert.is(createHash('sha256').update(readFileSync(file)).digest('hex'), before.digest);
    // another peer's key gives other prints for the same rows
    const otherDir = tempDir();
    try {
      const other = await openStore(otherDir);
      await other.add({ csvPath: writeText(otherDir, 'a.csv', SAMPLE_CSV), name: 'people' });
      assert.is(symmetricDifferenceSize(before.prints, (await other.rowPrintSet('people')).prints), 8);
    } finally {
      removeDir(otherDir);
    }
    await reopened.remove('people');
    await reopened.rowPrintSet('people').then(
      () => assert.unreachable('removed'),
      (err: Error) => assert.is(err.name, 'DatasetNotFoundError'),
    );
  } finally {
    removeDir(dir);
  }
});

test.run();
