/**
 * What `npm run netlab` runs on a built lab: a list of stages, each a function of the lab that
 * returns fields for the JSON summary and a table for people. The NAT checks are the first stage;
 * later ones (peermpc daemons connecting through relays and hole punching, a job checked against
 * its plaintext answer) are added as more {@link LabStage}s without touching the runner.
 */
import type { Lab } from './lab.js';
import { natCheckRows, runNatChecks } from './nat-checks.js';
import { peersStage } from './peer-stage.js';
import type { AbortOptions } from './sys.js';

/** A table for stderr. */
export interface StageTable {
  /** Its title line. */
  title: string;
  /** Column names. */
  header: string[];
  /** Rows of cells. */
  rows: string[][];
}

/** What a stage reports. */
export interface StageResult {
  /** Fields merged into the run's JSON summary (e.g. `natChecks`, later `connections`). */
  fields: Record<string, unknown>;
  /** Whether everything it checked held. */
  ok: boolean;
  /** Its table, if any. */
  table?: StageTable;
}

/** One step of a lab run. */
export interface LabStage {
  /** Its name, for progress lines. */
  name: string;
  /** Runs it. Throwing ends the run (the lab is still cleaned up); a failed check should not. */
  run(lab: Lab, options: AbortOptions): Promise<StageResult>;
}

/** The NAT checks (nat-checks.ts) as a stage: field `natChecks`. */
export const natChecksStage: LabStage = {
  name: 'nat checks',
  async run(lab, options) {
    const natChecks = await runNatChecks(lab, options);
    return {
      fields: { natChecks },
      ok: natChecks.every((c) => c.pass),
      table: {
        title: 'NAT checks',
        header: ['', 'check', 'subject', 'nat', 'expected', 'observed'],
        rows: natCheckRows(natChecks),
      },
    };
  },
};

/** The stages `npm run netlab` runs, in order. */
export function defaultStages(options: { natOnly?: boolean } = {}): LabStage[] {
  return options.natOnly === true ? [natChecksStage] : [natChecksStage, peersStage];
}

/** The run's summary: the lab's layout, each stage's fields, and `ok`. */
export interface RunSummary extends Record<string, unknown> {
  /** The topology's name. */
  topology: string;
  /** The lab's prefix. */
  prefix: string;
  /** Every host with its address, site and (in a site) the site's NAT and public address. */
  hosts: { name: string; address: string; site?: string; nat?: string; publicAddress?: string }[];
  /** True when every stage held. */
  ok: boolean;
}

/** Lays out a lab's hosts for the summary. */
export function describeHosts(lab: Lab): RunSummary['hosts'] {
  return lab.hosts.map((name) => {
    const site = lab.siteOf(name);
    if (site === undefined) return { name, address: lab.address(name) };
    return {
      name,
      address: lab.address(name),
      site,
      nat: lab.natOf(site),
      publicAddress: lab.publicAddress(site),
    };
  });
}

/**
 * Runs stages in order on a lab and merges their fields into one summary.
 *
 * @param onStage called with each stage's result as it ends (the runner prints its table).
 */
export async function runStages(
  lab: Lab,
  stages: readonly LabStage[],
  options: AbortOptions & { onStage?: (stage: LabStage, result: StageResult) => void } = {},
): Promise<RunSummary> {
  const summary: RunSummary = {
    topology: lab.topology.name,
    prefix: lab.prefix,
    hosts: describeHosts(lab),
    ok: true,
  };
  for (const stage of stages) {
    options.signal?.throwIfAborted();
    const result = await stage.run(lab, options);
    Object.assign(summary, result.fields);
    summary.ok &&= result.ok;
    options.onStage?.(stage, result);
  }
  return summary;
}

/** A table as aligned text lines. */
export function formatTable(table: StageTable): string {
  const all = [table.header, ...table.rows];
  const widths = table.header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [table.title, line(table.header), ...table.rows.map(line)].join('\n');
}
