/**
 * Crash-safe file writes: write a temporary file next to the target, fsync it, then rename it over
 * the target, so readers see either the old or the new content, never a half-written file.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';

/** Atomically replaces `path` with `data` (created with `mode`, default 0600). */
export async function writeFileAtomic(path: string, data: Uint8Array | string, mode = 0o600): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', mode);
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {}); // the temporary file may not exist: the error below matters
    throw err;
  }
}

/** A temporary path next to `path`, for callers that stream into it before renaming it over `path`. */
export function tempPathFor(path: string): string {
  return `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}
