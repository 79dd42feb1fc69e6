/**
 * `peermpc dataset add|list|search|show|update|remove`: the local catalog and search through the network.
 */
import { budgetText } from './job-policy.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type {
  DatasetDescription,
  LocalDataset,
  PolicySummary,
  SignedDatasetDescription,
} from '../../node/types.js';
import {
  clientFor,
  commonOptions,
  listValue,
  positiveIntValue,
  type CommandContext,
  type CommonOptions,
} from '../common.js';
import { boundsProblem } from '../../node/dataset/magnitude.js';
import { bytes, keyValues, printJson, table, truncate, type Io } from '../output.js';

interface AddOptions extends CommonOptions {
  name: string;
  description?: string;
  tags?: string[];
  mock?: string;
  mockRows?: number;
  magnitude?: Record<string, number>;
  bounds?: Record<string, [number, number]>;
  replace?: boolean;
}

interface UpdateOptions extends CommonOptions {
  tags?: string[];
  description?: string;
  bounds?: Record<string, [number, number] | null>;
}

interface SearchOptions extends CommonOptions {
  by?: 'name' | 'tag' | 'any';
  exact?: boolean;
  timeout?: number;
}

/** Parses `--magnitude age:7,income:20`. */
function magnitudesValue(value: string): Record<string, number> {
  return Object.fromEntries(
    listValue(value, undefined).map((item) => {
      const m = /^(.+):(-?\d+)$/.exec(item);
      if (m === null) throw new InvalidArgumentError(`"${item}" is not column:exponent`);
      return [m[1]!, Number(m[2])];
    }),
  );
}

const DECIMAL_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses `--bounds age:0:120,sbp:50:250` (merged with earlier `--bounds`); with `allowNone`, also
 * `age:none` (null: remove the column's bounds). Each problem names the entry.
 */
function boundsValue(
  allowNone: boolean,
): (
  value: string,
  previous: Record<string, [number, number] | null> | undefined,
) => Record<string, [number, number] | null> {
  return (value, previous) => {
    const out = { ...previous };
    const form = allowNone ? 'column:lo:hi or column:none' : 'column:lo:hi';
    for (const item of listValue(value, undefined)) {
      const parts = item.split(':');
      let column: string;
      let bounds: [number, number] | null;
      if (allowNone && parts.length >= 2 && parts.at(-1) === 'none') {
        column = parts.slice(0, -1).join(':');
        bounds = null;
      } else {
        if (parts.length < 3) throw new InvalidArgumentError(`"${item}" is not ${form}`);
        column = parts.slice(0, -2).join(':');
        const [lo, hi] = parts.slice(-2) as [string, string];
        if (!DECIMAL_RE.test(lo) || !DECIMAL_RE.test(hi))
          throw new InvalidArgumentError(`"${item}": lo and hi must be decimal numbers (${form})`);
        bounds = [Number(lo), Number(hi)];
        const problem = boundsProblem(bounds);
        if (problem !== undefined) throw new InvalidArgumentError(`"${item}": ${problem}`);
      }
      if (column === '') throw new InvalidArgumentError(`"${item}" names no column (${form})`);
      if (Object.hasOwn(out, column))
        throw new InvalidArgumentError(`"${item}": column "${column}" given twice`);
      out[column] = bounds;
    }
    return out;
  };
}

/** `[lo, hi]` as the CLI prints it. */
function showBounds([lo, hi]: readonly [number, number]): string {
  return `[${lo}, ${hi}]`;
}

/** Registers `dataset` and its subcommands. */
export function registerDataset(program: Command, { io }: CommandContext): void {
  const dataset = program.command('dataset').description('publish, list, find and inspect datasets');

  commonOptions(dataset.command('add'))
    .description('import a CSV (header of numeric columns) as a dataset and advertise it')
    .argument('<file>', 'CSV file; the daemon reads it, the data never leaves this peer')
    .requiredOption('-n, --name <name>', 'dataset name (lower-case letters, digits, - _ .)')
    .option('--description <text>', 'free-text description')
    .option('--tags <tags>', 'comma-separated tags', listValue)
    .option('--mock <file>', 'CSV of mock rows to publish (your own, e.g. from a synthesiser)')
    .option(
      '--mock-rows <n>',
      'publish n synthetic mock rows (default none: they disclose approximate ranges and means of the real columns)',
      positiveIntValue,
    )
    .option(
      '--magnitude <column:exponent,...>',
      "declare |x| <= 2^exponent for columns (e.g. age:7,income:20): a domain bound published instead of the data's own magnitude, so it discloses nothing about the data",
      magnitudesValue,
    )
    .option(
      '--bounds <column:lo:hi,...>',
      'declare public bounds for columns (e.g. age:0:120,sbp:50:250): domain bounds every value must lie within, published (they say nothing about the data); differential privacy clips a column to them, and the column publishes their magnitude',
      boundsValue(false),
    )
    .option(
      '--replace',
      "replace an existing dataset of that name; its tags and description stay unless given (--tags '' clears them), its policy stays (give --magnitude and --bounds again to keep declared bounds)",
    )
    .action(async (file: string, opts: AddOptions) => {
      const client = clientFor(opts);
      const added = await client.addDataset({
        csvPath: existingFile(file),
        name: opts.name,
        description: opts.description,
        tags: opts.tags,
        mockPath: opts.mock === undefined ? undefined : existingFile(opts.mock),
        mockRows: opts.mockRows,
        magnitudes: opts.magnitude,
        bounds: opts.bounds,
        replace: opts.replace,
      });
      if (opts.json === true) return printJson(io, added);
      const d = added.signed.description;
      io.out(
        `added ${d.owner}/${d.name}: ${d.rows} rows, ${d.columns.length} columns` +
          (added.advertised ? ', advertised' : ', not advertised yet'),
      );
    });

  commonOptions(dataset.command('list'))
    .description('list the datasets this peer owns')
    .action(async (opts: CommonOptions) => {
      const { datasets } = await clientFor(opts).listDatasets();
      if (opts.json === true) return printJson(io, datasets);
      if (datasets.length === 0)
        return io.out('no local datasets (add one with: peermpc dataset add <file.csv> --name <name>)');
      io.out(localTable(datasets));
    });

  commonOptions(dataset.command('search'))
    .description(
      'find datasets on the network: names, tags and descriptions containing the term (best matches first)',
    )
    .argument('<term>', 'text to look for (case-insensitive), e.g. a name, a tag, the start of either')
    .addOption(
      new Option('--by <what>', 'look in names, tags, or names, tags and descriptions')
        .choices(['name', 'tag', 'any'])
        .default('any'),
    )
    .option('--exact', 'only names (or tags, per --by) equal to the term: asks only their owners')
    .option('--timeout <ms>', 'search time budget in ms', positiveIntValue)
    .action(async (term: string, opts: SearchOptions) => {
      const result = await clientFor(opts).searchDatasets(term, {
        by: opts.by,
        exact: opts.exact === true,
        searchTimeoutMs: opts.timeout,
      });
      if (opts.json === true) return printJson(io, result);
      if (result.found.length === 0) io.out(`no datasets found for "${term}"`);
      else io.out(foundTable(result.found.map((s) => s.description)));
      for (const r of result.rejected) {
        io.err(`warning: dropped ${r.owner}${r.name === undefined ? '' : '/' + r.name}: ${r.reason}`);
      }
    });

  commonOptions(dataset.command('show'))
    .description("show a dataset's description, schema and mock rows (verified against its owner's key)")
    .argument('<owner/name>', 'owner peer id and dataset name; a bare name means one of this peer', parseRef)
    .action(async (ref: DatasetRef, opts: CommonOptions) => {
      const client = clientFor(opts);
      const owner = ref.owner ?? (await client.status()).peerId;
      const signed = await client.showDataset(owner, ref.name);
      if (opts.json === true) return printJson(io, signed);
      printDescription(io, signed);
    });

  commonOptions(dataset.command('update'))
    .description(
      "change a local dataset's tags, description or column bounds (re-signed and re-advertised; no re-import)",
    )
    .argument('<name>', 'dataset name')
    .option('--tags <tags>', "comma-separated tags, replacing the old ones ('' clears them)", listValue)
    .option('--description <text>', 'free-text description, replacing the old one')
    .option(
      '--bounds <column:lo:hi,...>',
      "set public bounds of columns (e.g. age:0:120), checked against the data; column:none removes a column's; columns not named keep theirs",
      boundsValue(true),
    )
    .action(async (name: string, opts: UpdateOptions) => {
      if (opts.tags === undefined && opts.description === undefined && opts.bounds === undefined) {
        throw new InvalidArgumentError('give --tags, --description and/or --bounds');
      }
      const updated = await clientFor(opts).updateDataset(name, {
        ...(opts.tags !== undefined ? { tags: opts.tags } : {}),
        ...(opts.description !== undefined ? { description: opts.description } : {}),
        ...(opts.bounds !== undefined ? { bounds: opts.bounds } : {}),
      });
      if (opts.json === true) return printJson(io, updated);
      const d = updated.signed.description;
      const bounded = d.columns.flatMap((c) =>
        c.bounds === undefined ? [] : [`${c.name} ${showBounds(c.bounds)}`],
      );
      io.out(
        `updated ${d.name}: tags ${d.tags.length === 0 ? '(none)' : d.tags.join(', ')}` +
          (opts.bounds === undefined
            ? ''
            : `; bounds ${bounded.length === 0 ? '(none)' : bounded.join(', ')}`),
      );
    });

  commonOptions(dataset.command('remove'))
    .description('stop advertising a local dataset and delete it, with its policy')
    .argument('<name>', 'dataset name')
    .action(async (name: string, opts: CommonOptions) => {
      const res = await clientFor(opts).removeDataset(name);
      if (opts.json === true) return printJson(io, res);
      io.out(`removed ${res.name}${res.policyRemoved === true ? ' and its policy' : ''}`);
    });
}

/** The absolute path of `file`; the daemon reads it, so say here when it does not exist. */
function existingFile(file: string): string {
  const path = resolve(file);
  if (!existsSync(path)) throw new Error(`${file}: no such file`);
  return path;
}

interface DatasetRef {
  owner?: string;
  name: string;
}

function parseRef(value: string): DatasetRef {
  const parts = value.split('/');
  if (parts.length === 1 && parts[0] !== '') return { name: parts[0]! };
  if (parts.length === 2 && parts[0] !== '' && parts[1] !== '') return { owner: parts[0]!, name: parts[1]! };
  throw new InvalidArgumentError('expected <owner peer id>/<dataset name> or <dataset name>');
}

function localTable(datasets: LocalDataset[]): string {
  return table(
    ['NAME', 'ROWS', 'COLUMNS', 'TAGS', 'SIZE', 'ADVERTISED', 'DESCRIPTION'],
    datasets.map(({ signed: { description: d }, dataBytes, advertised }) => [
      d.name,
      d.rows,
      d.columns.length,
      d.tags,
      bytes(dataBytes),
      advertised ? 'yes' : 'no',
      truncate(d.description, 40),
    ]),
  );
}

function foundTable(found: DatasetDescription[]): string {
  return table(
    ['OWNER', 'NAME', 'ROWS', 'COLUMNS', 'TAGS', 'DESCRIPTION'],
    found.map((d) => [d.owner, d.name, d.rows, d.columns.length, d.tags, truncate(d.description, 40)]),
  );
}

/** `["*"]` as `any`, else the items on one line. */
function anyOrList(list: string[]): string {
  return list.includes('*') ? 'any' : list.length === 0 ? 'none' : list.join(', ');
}

/** The owner's published policy summary, one line per field (fields it left out are not shown). */
export function policyLines(p: PolicySummary): Array<[string, string | number]> {
  const lines: Array<[string, string | number]> = [];
  const full = p.requesters !== undefined || p.ops !== undefined || p.outputs !== undefined;
  lines.push([
    'policy',
    !full
      ? 'summary not published by the owner (older peermpc)'
      : p.default === true
        ? 'the default (the owner set none); checked by the owner on every job'
        : 'set by the owner; checked by the owner on every job',
  ]);
  if (p.approval !== undefined)
    lines.push([
      'approval',
      p.approval === 'auto'
        ? 'auto (a job that passes the rules is approved at once)'
        : 'manual (a person approves each job)',
    ]);
  if (p.requesters !== undefined)
    lines.push([
      'requesters',
      p.requestersRestricted === false || p.requesters.includes('*')
        ? 'anyone'
        : p.requesters.length === 0
          ? 'nobody'
          : `only ${p.requesters.join(', ')}`,
    ]);
  if (p.ops !== undefined) lines.push(['allowed ops', anyOrList(p.ops)]);
  if (p.outputs !== undefined) lines.push(['released outputs', anyOrList(p.outputs)]);
  if (p.minRows !== undefined) lines.push(['min rows', p.minRows]);
  if (p.computeParties !== undefined)
    lines.push([
      'trusted compute parties',
      p.computeParties.includes('*') ? 'any (a person checks each job)' : p.computeParties.join(', '),
    ]);
  if (p.budget !== undefined) lines.push(['privacy budget', `${budgetText(p.budget)} per requester`]);
  if (p.requireDpBelowRows !== undefined)
    lines.push(['differential privacy', `required for outputs over fewer than ${p.requireDpBelowRows} rows`]);
  return lines;
}

function printDescription(io: Io, { description: d }: SignedDatasetDescription): void {
  io.out(
    keyValues([
      ['dataset', `${d.owner}/${d.name}`],
      ['description', d.description],
      ['rows', d.rows],
      [
        'columns',
        d.columns.map(
          (c) =>
            `${c.name} (${c.type}${c.magnitude === undefined ? '' : `, |x| <= 2^${c.magnitude}`}` +
            `${c.bounds === undefined ? '' : `, bounds ${showBounds(c.bounds)}`})`,
        ),
      ],
      ['tags', d.tags.length === 0 ? '-' : d.tags.join(', ')],
      ...policyLines(d.policy),
      ['created', d.created],
      ['signature', "verified against the owner's key"],
    ]),
  );
  io.out(
    `\nmock rows (${d.mockSource === 'file' ? "from the owner's mock file" : 'synthetic'}, not real data):`,
  );
  io.out(
    d.mock.length === 0
      ? '(none)'
      : table(
          d.columns.map((c) => c.name),
          d.mock,
        ),
  );
}
