/**
 * The control API's bearer token: 32 random bytes (hex) in a 0600 file in the data directory.
 *
 * A daemon writes a fresh token every time it starts, so a token from an earlier run stops working.
 * The token is a secret: never log it.
 */
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';

/** Creates a fresh token and writes it to `path` with mode 0600 (atomically); returns it. */
export function createToken(path: string): string {
  const token = randomBytes(32).toString('hex');
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, token + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600); // the umask cannot widen it, but an existing tmp file could have kept its mode
  renameSync(tmp, path);
  return token;
}

/** A token file that is missing, unreadable, empty or readable by others. */
export class TokenFileError extends Error {
  override name = 'TokenFileError';
}

/**
 * Reads the token at `path`.
 *
 * @throws TokenFileError when the file is missing, empty or readable by group or others.
 */
export function readToken(path: string): string {
  let text: string;
  try {
    const mode = statSync(path).mode;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new TokenFileError(
        `${path} is readable by other users (mode ${(mode & 0o777).toString(8)}); expected 600`,
      );
    }
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    if (err instanceof TokenFileError) throw err;
    throw new TokenFileError(`cannot read the API token ${path}: ${(err as Error).message}`);
  }
  if (text === '') throw new TokenFileError(`the API token file ${path} is empty`);
  return text;
}

/** Compares a presented token with the expected one in constant time (no early exit, no length leak). */
export function tokensEqual(presented: string, expected: string): boolean {
  // Hashing first gives equal-length inputs, so timingSafeEqual never throws and the length stays hidden.
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
