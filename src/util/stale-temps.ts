/**
 * Temporary files of atomic writes (`<file>.<pid>[.<hex>].tmp`) left behind by a crash between the
 * write and its rename. The daemon removes them at start, once it holds the data directory's lock
 * (so no other process is writing them).
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const STALE = /\.\d+(\.[0-9a-f]+)?\.tmp$/;

/** Removes stale temporary files directly in each of `dirs` (missing dirs are skipped); returns how many. */
export function removeStaleTemps(dirs: readonly string[]): number {
  let removed = 0;
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!STALE.test(name)) continue;
      rmSync(join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}
