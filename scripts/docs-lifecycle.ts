/**
 * `npm run docs:lifecycle`: rewrites the job lifecycle's transition table in docs/JOBS.md from the
 * code (src/jobs/lifecycle/table.ts), between its markers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TABLE_BEGIN, TABLE_END, transitionTable } from '../src/jobs/lifecycle/table.js';

const path = fileURLToPath(new URL('../docs/JOBS.md', import.meta.url));
const doc = readFileSync(path, 'utf8');
const a = doc.indexOf(TABLE_BEGIN);
const b = doc.indexOf(TABLE_END);
if (a < 0 || b < a) throw new Error(`docs/JOBS.md has no lifecycle table markers (${TABLE_BEGIN})`);
writeFileSync(path, doc.slice(0, a) + transitionTable() + doc.slice(b + TABLE_END.length));
console.log('docs/JOBS.md: lifecycle table written');
