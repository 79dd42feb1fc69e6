/**
 * A strict parser of Prometheus's text exposition format 0.0.4, for the metrics tests, and a
 * scraper of a daemon's `/metrics`.
 *
 * Checked: line grammar (metric and label names, quoted and escaped label values, Go float values
 * with NaN and ±Inf, optional integer timestamp); `# HELP` and `# TYPE` at most once per family and
 * before its samples; a family's lines together; known types; sample names allowed by the type
 * (`_bucket`/`_sum`/`_count` for histograms, `le` on buckets, `quantile` on summaries); no
 * duplicate series; histogram buckets cumulative with `+Inf` equal to `_count`; counters >= 0.
 */
import { readFileSync } from 'node:fs';
import { dataDirFile } from '../../src/daemon/data-dir.js';

/** One sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family. */
export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help?: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** A float as Prometheus reads it (Go's ParseFloat: NaN and Inf in any case, e.g. prom-client's `Nan`). */
function parseValue(text: string, line: number): number {
  if (/^nan$/i.test(text)) return NaN;
  const inf = /^([+-]?)inf(inity)?$/i.exec(text);
  if (inf !== null) return inf[1] === '-' ? -Infinity : Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text))
    throw new Error(`line ${line}: bad value "${text}"`);
  return Number(text);
}

/** Parses `{a="x",b="y"}` starting at `s[i] === '{'`; returns the labels and the index after `}`. */
function parseLabels(s: string, i: number, line: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  i++;
  for (;;) {
    if (s[i] === '}') return [labels, i + 1];
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`line ${line}: label without "="`);
    const name = s.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`line ${line}: bad label name "${name}"`);
    if (Object.hasOwn(labels, name)) throw new Error(`line ${line}: label "${name}" twice`);
    if (s[eq + 1] !== '"') throw new Error(`line ${line}: label value not quoted`);
    let value = '';
    let j = eq + 2;
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] !== '\\') {
        value += s[j];
        continue;
      }
      const next = s[++j];
      if (next === 'n') value += '\n';
      else if (next === '\\' || next === '"') value += next;
      else throw new Error(`line ${line}: bad escape "\\${next}" in a label value`);
    }
    if (j >= s.length) throw new Error(`line ${line}: unterminated label value`);
    labels[name] = value;
    i = j + 1;
    if (s[i] === ',') i++;
    else if (s[i] !== '}') throw new Error(`line ${line}: expected "," or "}" after a label`);
  }
}

/** The family a sample name belongs to, given the families declared so far. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const f = families.get(name.slice(0, -suffix.length));
    if (f !== undefined && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket')))
      return f;
  }
  return families.get(name);
}

/** Parses a whole exposition; throws naming the line on any violation. */
export function parseExposition(text: string): Map<string, Family> {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  let current: Family | undefined;
  const enter = (f: Family, line: number): void => {
    if (current === f) return;
    if (closed.has(f.name)) throw new Error(`line ${line}: family ${f.name} is not contiguous`);
    if (current !== undefined) closed.add(current.name);
    current = f;
  };
  const declare = (name: string, line: number): Family => {
    if (!NAME.test(name)) throw new Error(`line ${line}: bad metric name "${name}"`);
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = { name, type: 'untyped', samples: [] }));
    enter(f, line);
    return f;
  };
  const seen = new Set<string>();
  text.split('\n').forEach((raw, idx) => {
    const line = idx + 1;
    if (raw.trim() === '') return;
    const meta = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(raw);
    if (meta !== null) {
      const [, kind, name, rest = ''] = meta;
      const f = declare(name!, line);
      if (kind === 'HELP') {
        if (f.help !== undefined) throw new Error(`line ${line}: second HELP for ${name}`);
        f.help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      } else {
        if (!TYPES.has(rest.trim())) throw new Error(`line ${line}: unknown type "${rest}"`);
        if (f.samples.length > 0 || f.type !== 'untyped')
          throw new Error(`line ${line}: TYPE of ${name} too late or twice`);
        f.type = rest.trim() as Family['type'];
      }
      return;
    }
    if (raw.startsWith('#')) return; // a comment
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(raw);
    if (m === null) throw new Error(`line ${line}: not a sample: ${raw}`);
    const name = m[1]!;
    let labels: Record<string, string> = {};
    let i = name.length;
    if (raw[i] === '{') [labels, i] = parseLabels(raw, i, line);
    const fields = raw.slice(i).trim().split(/\s+/);
    if (raw[i] !== ' ' || fields.length < 1 || fields.length > 2)
      throw new Error(`line ${line}: expected " value [timestamp]"`);
    const value = parseValue(fields[0]!, line);
    if (fields[1] !== undefined && !/^-?\d+$/.test(fields[1])) throw new Error(`line ${line}: bad timestamp`);
    const f = familyOf(name, families) ?? declare(name, line);
    enter(f, line);
    if (f.type === 'histogram' && name === `${f.name}_bucket` && labels.le === undefined)
      throw new Error(`line ${line}: a bucket without "le"`);
    if (f.type === 'histogram' && name === f.name) throw new Error(`line ${line}: a bare histogram sample`);
    if (f.type === 'counter' && !(value >= 0)) throw new Error(`line ${line}: counter below 0`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`line ${line}: duplicate series ${key}`);
    seen.add(key);
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const series = new Map<string, Sample[]>();
  const keyOf = (s: Sample): string =>
    JSON.stringify(
      Object.entries(s.labels)
        .filter(([k]) => k !== 'le')
        .sort(),
    );
  for (const s of f.samples.filter((x) => x.name === `${f.name}_bucket`))
    series.set(keyOf(s), [...(series.get(keyOf(s)) ?? []), s]);
  for (const [key, buckets] of series) {
    const sorted = [...buckets].sort((a, b) => parseValue(a.labels.le!, 0) - parseValue(b.labels.le!, 0));
    for (let i = 1; i < sorted.length; i++)
      if (sorted[i]!.value < sorted[i - 1]!.value) throw new Error(`${f.name}${key}: buckets not cumulative`);
    const inf = sorted.at(-1)!;
    if (inf.labels.le !== '+Inf') throw new Error(`${f.name}${key}: no +Inf bucket`);
    const count = f.samples.find((s) => s.name === `${f.name}_count` && keyOf(s) === key);
    if (count?.value !== inf.value) throw new Error(`${f.name}${key}: _count differs from the +Inf bucket`);
  }
}

/** The value of `name` with exactly these `labels` (a subset match), summed over the matches. */
export function valueOf(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number {
  let sum = 0;
  for (const f of families.values())
    for (const s of f.samples)
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  return sum;
}

/** Every label value of every sample. */
export function labelValues(families: Map<string, Family>): Set<string> {
  const out = new Set<string>();
  for (const f of families.values())
    for (const s of f.samples) for (const v of Object.values(s.labels)) out.add(v);
  return out;
}

/** `GET <url>` with the daemon's bearer token (read from its data directory), or none. */
export async function scrape(
  dataDir: string,
  options: { token?: string | null; url?: string } = {},
): Promise<{ status: number; contentType: string | null; body: string }> {
  const api = JSON.parse(readFileSync(dataDirFile(dataDir, 'api'), 'utf8')) as { url: string };
  const token =
    options.token === undefined ? readFileSync(dataDirFile(dataDir, 'token'), 'utf8').trim() : options.token;
  const res = await fetch(options.url ?? `${api.url}/metrics`, {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, contentType: res.headers.get('content-type'), body: await res.text() };
}
