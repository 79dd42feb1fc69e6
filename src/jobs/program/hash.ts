/**
 * The canonical hash of a program: SHA-256 (hex) of the canonical JSON (sorted keys, no
 * whitespace) of the normalized program. Stable across key order and whitespace of the file it was
 * read from; what owners approve and what every audit record names.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../node/canonical-json.js';
import type { Program } from './types.js';
import { parseProgram } from './validate.js';

/** SHA-256 hex of a string's UTF-8 bytes. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Canonical JSON of the normalized program. @throws ProgramValidationError when it is malformed. */
export function canonicalProgram(program: Program | unknown): string {
  return canonicalJson(parseProgram(program));
}

/**
 * The program's hash (64 hex characters).
 * @throws ProgramValidationError when the program is structurally malformed.
 * @example programHash(JSON.parse(fileText))
 */
export function programHash(program: Program | unknown): string {
  return sha256Hex(canonicalProgram(program));
}
