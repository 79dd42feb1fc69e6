/**
 * Saving and printing findings: `<out>/<target>/<kind>-<hash>.bin` (the minimized input), `.orig.bin`
 * (the input as generated) and `.txt` (the error, the stack and the command that replays it).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from './runner.js';

/** Where findings go by default (gitignored). */
export const DEFAULT_FINDINGS_DIR = 'fuzz-findings';

/** A short printable preview of an input: text when it is mostly text, else hex. */
export function preview(bytes: Uint8Array, max = 240): string {
  const head = bytes.subarray(0, max);
  const printable = head.filter((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127)).length;
  const body =
    printable >= head.length * 0.9
      ? JSON.stringify(Buffer.from(head).toString('latin1'))
      : `hex ${Buffer.from(head).toString('hex')}`;
  return `${body}${bytes.length > max ? ` ... (${bytes.length} bytes)` : ` (${bytes.length} bytes)`}`;
}

/** Writes a finding's files; returns the path of the minimized input. */
export function saveFinding(dir: string, f: Finding): string {
  const hash = createHash('sha256').update(f.signature).digest('hex').slice(0, 10);
  const base = join(dir, f.target, `${f.kind}-${hash}`);
  mkdirSync(join(dir, f.target), { recursive: true });
  writeFileSync(`${base}.bin`, f.minimized);
  writeFileSync(`${base}.orig.bin`, f.input);
  writeFileSync(
    `${base}.txt`,
    [
      `target:    ${f.target}`,
      `kind:      ${f.kind}`,
      `signature: ${f.signature}`,
      `seed:      ${f.seed} (iteration ${f.iteration})`,
      `time:      ${f.ms.toFixed(1)} ms`,
      `input:     ${preview(f.minimized)}`,
      `replay:    npm run fuzz -- ${f.target} --input ${base}.bin`,
      '',
      f.error.stack || `${f.error.name}: ${f.error.message}`,
      '',
    ].join('\n'),
  );
  return `${base}.bin`;
}

/** One finding, for the console. */
export function describeFinding(f: Finding, savedAt?: string): string {
  return [
    `FINDING ${f.target} ${f.kind}: ${f.error.name}: ${f.error.message.slice(0, 300)}`,
    `  at iteration ${f.iteration} (seed ${f.seed}), ${f.ms.toFixed(1)} ms`,
    `  minimized input: ${preview(f.minimized)}`,
    ...(savedAt ? [`  saved: ${savedAt}`] : []),
  ].join('\n');
}
