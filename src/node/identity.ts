/**
 * The peer's identity: an Ed25519 private key kept in `<dataDir>/peer.key` (libp2p protobuf
 * encoding, file mode 0600), created on first start. A key file readable by the group or others,
 * or one that does not decode to an Ed25519 key, is refused with a {@link KeyFileError} naming it.
 */
import '../polyfills.js';
import { constants } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { KeyFileError } from './errors.js';

/** File name of the key inside the data directory. */
export const KEY_FILE = 'peer.key';

const checksModes = process.platform !== 'win32';

/** Creates `dir` (mode 0700) if missing. */
export async function ensureDataDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/**
 * Loads the key from `<dataDir>/peer.key`, creating it when the file does not exist.
 *
 * @throws {KeyFileError} when the file is group/world-accessible, unreadable or corrupt.
 */
export async function loadOrCreateIdentity(dataDir: string): Promise<Ed25519PrivateKey> {
  await ensureDataDir(dataDir);
  const path = join(dataDir, KEY_FILE);
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new KeyFileError(path, `cannot stat: ${(err as Error).message}`, { cause: err });
    }
    return createIdentity(path);
  }
  if (!info.isFile()) throw new KeyFileError(path, 'is not a regular file');
  if (checksModes && (info.mode & 0o077) !== 0) {
    throw new KeyFileError(
      path,
      `is accessible by group or others (mode ${(info.mode & 0o777).toString(8).padStart(4, '0')}); run chmod 600 ${path}`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new KeyFileError(path, `cannot read: ${(err as Error).message}`, { cause: err });
  }
  let key;
  try {
    key = privateKeyFromProtobuf(bytes);
  } catch (err) {
    throw new KeyFileError(path, 'is corrupt (not a libp2p private key)', { cause: err });
  }
  if (key.type !== 'Ed25519') throw new KeyFileError(path, `holds a ${key.type} key, expected Ed25519`);
  return key;
}

async function createIdentity(path: string): Promise<Ed25519PrivateKey> {
  const key = await generateKeyPair('Ed25519');
  const tmp = `${path}.${process.pid}.tmp`;
  // O_EXCL: never follow or overwrite an existing file; mode 0600 from the start.
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await fh.writeFile(privateKeyToProtobuf(key));
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    if (checksModes) await chmod(tmp, 0o600); // in case the umask interfered
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {}); // the temporary file may not exist: the error below matters
    throw new KeyFileError(path, `cannot create: ${(err as Error).message}`, { cause: err });
  }
  return key;
}

/**
 * The peer id of the data directory's identity, creating the key when it does not exist yet (so
 * `peermpc init` can print the id others need before the daemon ever ran).
 * @throws {KeyFileError} as {@link loadOrCreateIdentity}.
 */
export async function peerIdOfDataDir(dataDir: string): Promise<string> {
  return peerIdFromPrivateKey(await loadOrCreateIdentity(dataDir)).toString();
}
