/**
 * Runs a validated program on the MPC engine, on one party of the job's session (SPMD: every
 * party calls it with the same program, owners and recipient; each owner passes its own inputs).
 *
 * 1. input: each owner secret-shares its table (fixed point, rows x columns) to the compute parties;
 * 2. compute: the nodes in topological order, each through its op implementation;
 * 3. output: each output is revealed to the recipient only, which decodes it (a histogram with
 *    `minCount` releases -1 for a suppressed bin, a quantile with `minCount` -2^7 scaled for a
 *    suppressed level, both decoded as null; a groupBy the word 2^63 for a suppressed group).
 *
 * The recipient gets the outputs; every other party gets none. Progress is reported after every
 * step (inputs, each node, outputs). Nothing here logs a value.
 */
import { decodeFixed, encodeFixed, type RingTensor } from '../../tensor/index.js';
import type { Protocol, Share } from '../../protocols/protocol.js';
import { logger } from '../../util/log.js';
import type { CheckedProgram } from '../program/validate.js';
import type { JobOutputValue, JobProgress } from '../store.js';
import { ExecContext, type NonlinearOps } from './context.js';
import { ENGINE_NONLINEAR } from './engine-nonlinear.js';
import { nullSuppressedGroups } from './groupby.js';
import { suppressedBelow } from './quantile.js';
import { assertRunnable, getOpImpl } from './registry.js';
import { ImpreciseResultError } from '../errors.js';
import { finalizerOf } from './finalize.js';
import { checkOutputs } from './output-checks.js';
import { elementExps, scaleColumns, takesScaled, toNatural } from './scale.js';
import { clipInputs, revealDp, skippedNodes, type RunDp } from './dp-release.js';

const log = logger('jobs:executor');

/** What {@link runProgram} takes. */
export interface RunProgramInput {
  /** The protocol over the job's session. */
  protocol: Protocol;
  /** The program, validated with the inputs' row counts. */
  checked: CheckedProgram;
  /** Session index of the owner of each input, by input name. */
  owners: Record<string, number>;
  /** This party's own inputs: row-major rows x columns values, by input name. */
  values?: Record<string, ArrayLike<number>>;
  /** Session index of the party that receives the outputs. */
  recipient: number;
  /** Fractional bits. */
  fractionalBits: number;
  /** Nonlinear functions (default: the engine's, {@link ENGINE_NONLINEAR}). */
  nonlinear?: NonlinearOps;
  /** Called after every step. */
  onProgress?: (progress: JobProgress) => void;
  /** Stops between steps. */
  signal?: AbortSignal;
  /** Differential privacy: clip the inputs, release every output under noise (dp-release.ts). */
  dp?: RunDp;
}

/** What {@link runProgram} returns. */
export interface RunProgramResult {
  /** The outputs (on the recipient only). */
  outputs?: JobOutputValue[];
  /** Milliseconds per phase on this party. */
  ms: { input: number; compute: number; output: number };
}

/** Total steps of a program: inputs, each node, outputs. */
export function programSteps(checked: CheckedProgram): number {
  return checked.order.length + 2;
}

/**
 * Opens the range guards the ops registered to the recipient, before any output: on a 0 the
 * recipient fails (ImpreciseResultError) and the session ends with no output opened.
 */
async function openGuards(ctx: ExecContext, recipient: number): Promise<void> {
  for (const g of ctx.guards) {
    const opened = await ctx.p.reveal(g.bits, [recipient]);
    const bad = opened?.toSignedBigInts().findIndex((b) => b !== 1n) ?? -1;
    if (bad >= 0) throw new ImpreciseResultError(g.node, bad, g.what);
  }
}

/** Steps done out of the total, reported to the caller's `onProgress` on demand. */
interface Steps {
  done: number;
  report: (phase: string) => void;
}

/** What every phase of one run shares: the caller's input, the context, the shares by name. */
interface Run {
  input: RunProgramInput;
  ctx: ExecContext;
  values: Map<string, Share>;
  steps: Steps;
  /** Throws when the caller aborted. */
  check: () => void;
}

/** Phase 1: each owner secret-shares its table; this party encodes the inputs it owns. */
async function shareInputs(run: Run): Promise<void> {
  const { protocol: p, checked, owners, fractionalBits: f } = run.input;
  const self = p.session.self;
  for (const inp of checked.program.inputs) {
    run.check();
    const shape = checked.types.get(inp.name)!.shape as number[];
    const owner = owners[inp.name];
    if (owner === undefined) throw new RangeError(`input "${inp.name}" has no owner party`);
    let ring;
    if (owner === self) {
      const v = run.input.values?.[inp.name];
      if (v === undefined)
        throw new RangeError(`this party owns input "${inp.name}" but has no values for it`);
      const scaled = inp.columns.map((c) => checked.scales[c] !== undefined);
      ring = encodeFixed(scaleColumns(inp.name, v, checked.types.get(inp.name)!.exps, scaled), shape, f);
    }
    run.values.set(inp.name, await p.input(owner, ring, shape));
  }
}

/** Phase 2: the nodes in topological order; `waits` (no shares held) reports no per-node progress. */
async function computeNodes(run: Run, waits: boolean): Promise<void> {
  const { checked } = run.input;
  const { ctx, values } = run;
  const skipped = skippedNodes(run.input.dp);
  for (const node of checked.order) {
    run.check();
    if (skipped.has(node.id)) {
      run.steps.done++;
      continue;
    }
    if (!waits) run.steps.report(node.id);
    const argTypes = node.args.map((a) => checked.types.get(a)!);
    const args: Share[] = [];
    for (const [i, a] of node.args.entries()) {
      const t = argTypes[i]!;
      args.push(takesScaled(node.op, t) ? values.get(a)! : await toNatural(ctx, values.get(a)!, t));
    }
    const call = {
      ctx,
      args,
      argTypes,
      params: node.params ?? {},
      node,
      type: checked.types.get(node.id)!,
    };
    values.set(node.id, await getOpImpl(node.op)!(call));
    run.steps.done++;
    log.trace('node %s (%s) done', node.id, node.op);
  }
}

/**
 * Decodes one opened output on the recipient: scaled back to natural units (or finished by its
 * op), suppressed levels and groups as null, with its labels.
 */
function decodeOutput(
  checked: CheckedProgram,
  out: CheckedProgram['outputs'][number],
  share: Share,
  opened: RingTensor,
  f: number,
  below: number | undefined,
): JobOutputValue {
  const node = checked.order.find((n) => n.id === out.node);
  const finalize = node === undefined ? undefined : finalizerOf(node.op);
  const argTypes = node?.args.map((a) => checked.types.get(a)!) ?? [];
  const params = node?.params ?? {};
  const exps = finalize?.releasedExps?.(argTypes, params, f) ?? elementExps(out.type);
  const held = decodeFixed(opened, f);
  let decoded = Array.from(held, (v, i) => (exps ? v * 2 ** exps[i]! : v));
  if (finalize !== undefined) decoded = finalize.finish(decoded, argTypes, params);
  const o: JobOutputValue = {
    name: out.name,
    shape: finalize !== undefined ? (out.type.shape as number[]) : [...share.shape],
    values: nullSuppressedGroups(
      node,
      opened,
      below === undefined ? decoded : decoded.map((v, i) => (held[i]! < below ? null : v)),
    ),
  };
  if (out.type.labels !== undefined) o.labels = out.type.labels.map((l) => l ?? null);
  return o;
}

/**
 * Phase 3: opens the guards, then each output to the recipient only, decoding it there (the
 * outputs list stays empty on every other party). `opened` runs after each output's opening.
 */
async function revealOutputs(run: Run, opened: () => void): Promise<JobOutputValue[]> {
  const { protocol: p, checked, recipient, fractionalBits: f } = run.input;
  const outputs: JobOutputValue[] = [];
  await openGuards(run.ctx, recipient);
  const suppressing = new Map(checked.order.map((n) => [n.id, suppressedBelow(n)]));
  for (const [i, out] of checked.outputs.entries()) {
    run.check();
    const dp = run.input.dp;
    if (dp !== undefined) {
      const o = await revealDp(p, dp, dp.plan[i]!, out, run.values, f, recipient);
      opened();
      if (o !== undefined) outputs.push(o);
      continue;
    }
    const share = run.values.get(out.node)!;
    const revealed = await p.reveal(share, [recipient]);
    opened();
    if (revealed !== undefined)
      outputs.push(decodeOutput(checked, out, share, revealed, f, suppressing.get(out.node)));
  }
  return outputs;
}

/**
 * Runs `checked` on this party.
 * @throws OpUnavailableError before any communication when an op cannot run in this build.
 */
export async function runProgram(input: RunProgramInput): Promise<RunProgramResult> {
  const { protocol: p, checked, recipient, fractionalBits: f } = input;
  const nonlinear = input.nonlinear ?? ENGINE_NONLINEAR;
  assertRunnable(checked, nonlinear);
  const total = programSteps(checked);
  const steps: Steps = {
    done: 0,
    report: (phase) => input.onProgress?.({ done: steps.done, total, phase }),
  };
  const check = (): void => input.signal?.throwIfAborted();
  const run: Run = { input, ctx: new ExecContext(p, f, nonlinear), values: new Map(), steps, check };
  const self = p.session.self;

  let t = performance.now();
  steps.report('input');
  await shareInputs(run);
  if (input.dp !== undefined) await clipInputs(p, checked, run.values, input.dp.bounds, f);
  const inputMs = performance.now() - t;
  steps.done++;

  // A party holding no shares runs through the nodes at once and then waits at the first opening
  // for the compute parties: its progress says so, and that wait counts as compute, not output.
  const waits = !p.isComputeParty;
  t = performance.now();
  if (waits) steps.report('waiting for the compute parties');
  await computeNodes(run, waits);
  let computeMs = performance.now() - t;

  t = performance.now();
  if (!waits) steps.report('output');
  let waited = !waits;
  const computed = (): void => {
    if (waited) return;
    waited = true;
    computeMs += performance.now() - t;
    t = performance.now();
    steps.report('output');
  };
  const outputs = await revealOutputs(run, computed);
  if (self === recipient && input.dp === undefined) checkOutputs(checked, outputs, f);
  steps.done++;
  steps.report('finished');
  return {
    ...(self === recipient ? { outputs } : {}),
    ms: { input: inputMs, compute: computeMs, output: performance.now() - t },
  };
}
