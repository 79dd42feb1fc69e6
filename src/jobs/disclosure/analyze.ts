/**
 * The disclosure analysis: what every released value of a checked program may depend on, per
 * source input (which rows, how strongly), derived node by node from the rules (rules.ts). Pure:
 * no I/O, no data; it reads the program, its types and public facts (row counts, column ranges).
 *
 * Sound by construction in one direction only: a value is called an aggregate when a rule proves
 * it; anything else is row-level. Policies refuse on it (policy/check.ts); what it does not see
 * (several jobs together, outliers inside an aggregate) is listed in docs/JOBS.md.
 */
import { histogramColumn } from '../program/ops-stats.js';
import type { CheckedProgram } from '../program/validate.js';
import { ruleOf } from './rules.js';
import { categoricalCells } from './rules-categorical.js';
import { tableDisclosure } from './rules-stats.js';
import type { SourceFacts } from './rule.js';
import type { Disclosure, OutputDisclosure } from './types.js';

/** Options of {@link analyzeDisclosure}. */
export interface AnalyzeOptions {
  /**
   * Widest column range (hi - lo) of each input, by input name: the unit of the sensitivities
   * (default 1, so that a sensitivity reads "in ranges of the widest column").
   */
  widths?: Readonly<Record<string, number>>;
  /**
   * The inputs whose rows the requester may have chosen (its own datasets). Default: every input,
   * the conservative reading when owners are unknown.
   */
  steerable?: ReadonlySet<string>;
}

/** The result of {@link analyzeDisclosure}. */
export interface DisclosureAnalysis {
  /** What each input and node discloses, by name. */
  values: Map<string, Disclosure>;
  /** What each output discloses, in program order. */
  outputs: OutputDisclosure[];
}

/**
 * The distinct edge lists of the histograms of each `source/column`, and the cells of its
 * contingency tables and chi-square tests (`cells [levels]`: rules-categorical.ts).
 */
function histogramEdges(checked: CheckedProgram): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const node of checked.order) {
    for (const [key, cells] of categoricalCells(node, checked.types))
      out.set(key, (out.get(key) ?? new Set()).add(cells));
    if (node.op !== 'histogram') continue;
    const t = checked.types.get(node.args[0]!)!;
    const column = histogramColumn(node.params ?? {}, t);
    const edges = JSON.stringify(node.params?.edges);
    for (const seg of t.segments![t.columns!.indexOf(column)]!) {
      const key = `${seg.source}/${column}`;
      out.set(key, (out.get(key) ?? new Set()).add(edges));
    }
  }
  return out;
}

/** Analyses what each output of `checked` discloses about each of its inputs. */
export function analyzeDisclosure(checked: CheckedProgram, options: AnalyzeOptions = {}): DisclosureAnalysis {
  const sources = new Map<string, SourceFacts>();
  for (const inp of checked.program.inputs) {
    const width = options.widths?.[inp.name] ?? 1;
    const steerable = options.steerable?.has(inp.name) ?? true;
    sources.set(inp.name, { rows: checked.types.get(inp.name)!.shape[0], width, steerable });
  }
  const values = new Map<string, Disclosure>();
  for (const inp of checked.program.inputs)
    values.set(inp.name, tableDisclosure(checked.types.get(inp.name)!, sources));
  const edges = histogramEdges(checked);
  for (const node of checked.order) {
    values.set(
      node.id,
      ruleOf(node.op)({
        node,
        params: node.params ?? {},
        args: node.args.map((a) => values.get(a)!),
        argTypes: node.args.map((a) => checked.types.get(a)!),
        type: checked.types.get(node.id)!,
        sources,
        histogramEdges: edges,
      }),
    );
  }
  return {
    values,
    outputs: checked.outputs.map((o) => ({ name: o.name, node: o.node, deps: values.get(o.node)!.deps })),
  };
}
