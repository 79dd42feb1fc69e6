/**
 * Scratch directories for targets that read files: one per thread and name, emptied before each
 * input, removed at exit (the supervisor sets PEERMPC_FUZZ_TMP for its workers and removes it).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';

let root: string | undefined;

/** A fresh, empty directory `<root>/<name>` (the same path every call, emptied). */
export function freshDir(name: string): string {
  if (root === undefined && process.env.PEERMPC_FUZZ_TMP)
    root = join(process.env.PEERMPC_FUZZ_TMP, `t${threadId}`);
  if (root === undefined) {
    root = mkdtempSync(join(tmpdir(), 'peermpc-fuzz-'));
    const dir = root;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
