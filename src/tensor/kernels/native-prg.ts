/**
 * The native AES-128-CTR keystream (native/prg.cc, built with the native kernel): writes keystream
 * bytes straight into a target buffer with AES-NI or VAES, so the share PRG allocates and copies
 * nothing. Optional: when the addon is missing, or `PEERMPC_PRG=node`, the PRG uses node:crypto,
 * which produces the same keystream.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../../util/paths.js';

/** The addon's exports. */
export interface NativeAesCtr {
  /** Writes out.byteLength keystream bytes, starting `skip` bytes into block `firstBlock` of stream `streamId`. */
  fill(roundKeys: Uint8Array, streamId: bigint, firstBlock: bigint, skip: number, out: ArrayBufferView): void;
  /** AES-128 key schedule (176 bytes). */
  expandKey(key: Uint8Array): Uint8Array;
  /** 'vaes-avx512' | 'aesni'. */
  level(): string;
}

let cached: NativeAesCtr | null | undefined;

/** The native AES-CTR addon, or null when it is not built, the CPU lacks AES, or PEERMPC_PRG=node. */
export function nativeAesCtr(): NativeAesCtr | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (process.env.PEERMPC_PRG === 'node') return cached;
  const path = join(packageRoot(), 'build', 'Release', 'peermpc_prg.node');
  if (!existsSync(path)) return cached;
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAesCtr;
    addon.expandKey(new Uint8Array(16)); // throws when the CPU has no AES instructions
    cached = addon;
  } catch {
    cached = null; // no addon or no AES instructions: node:crypto's keystream serves instead
  }
  return cached;
}
