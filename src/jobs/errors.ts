/**
 * Errors of the jobs layer: one class per failure, each with a fixed `name` so the daemon, the
 * control API and the CLI can map them without parsing messages. Messages name nodes, jobs,
 * datasets and peers, never a data value. Messages that carry outside text (names and reasons from
 * a peer's job or program) are bounded (src/util/bound.ts).
 */
import { boundText, MESSAGE_MAX, OUTSIDE_TEXT_MAX } from '../util/bound.js';

/** A program is malformed; `node` names the graph node at fault ('' when not tied to one). */
export class ProgramValidationError extends Error {
  override readonly name = 'ProgramValidationError';
  constructor(
    /** The node id (or input name) at fault, or '' for the program as a whole. */
    readonly node: string,
    problem: string,
  ) {
    super(
      boundText(
        node === ''
          ? `invalid program: ${problem}`
          : `invalid program: node ${JSON.stringify(boundText(node, OUTSIDE_TEXT_MAX))}: ${problem}`,
        MESSAGE_MAX,
      ),
    );
  }
}

/** A signed job is malformed, badly signed, expired or inconsistent; `jobId` when known. */
export class JobVerificationError extends Error {
  override readonly name = 'JobVerificationError';
  constructor(
    /** The job id, or '' when it could not be read. */
    readonly jobId: string,
    /** Why the job was refused. */
    readonly reason: string,
  ) {
    super(
      boundText(
        `job ${jobId === '' ? '(unknown id)' : boundText(jobId, 64)} refused: ${reason}`,
        MESSAGE_MAX,
      ),
    );
  }
}

/** The replay guard's file is malformed (`line` 0: the file as a whole). */
export class ReplayFileError extends Error {
  override readonly name = 'ReplayFileError';
  constructor(
    /** The file. */
    readonly path: string,
    /** The 1-based line, or 0. */
    readonly line: number,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`replay guard ${path}${line === 0 ? '' : `:${line}`}: ${problem}`, options);
  }
}

/** A peer exceeded a quota of this peer's job service; nothing was stored. */
export class QuotaExceededError extends Error {
  override readonly name = 'QuotaExceededError';
  constructor(
    /** Which quota. */
    readonly quota: 'proposals-per-minute' | 'pending-per-requester' | 'pending-total',
    /** Its limit. */
    readonly limit: number,
  ) {
    super(`refused: quota ${quota} (${limit}) exceeded; try again later`);
  }
}

/** A job id was seen before (replay). */
export class JobReplayError extends Error {
  override readonly name = 'JobReplayError';
  constructor(
    /** The replayed job id. */
    readonly jobId: string,
  ) {
    super(`job ${jobId} refused: this job id was seen before (replay)`);
  }
}

/** A job's state cannot move as asked. */
export class InvalidTransitionError extends Error {
  override readonly name = 'InvalidTransitionError';
  constructor(
    /** The job id. */
    readonly jobId: string,
    /** Current state. */
    readonly from: string,
    /** Requested state. */
    readonly to: string,
  ) {
    super(`job ${jobId} cannot go from ${from} to ${to}`);
  }
}

/** No job of that id on this peer. */
export class JobNotFoundError extends Error {
  override readonly name = 'JobNotFoundError';
  constructor(
    /** The job id asked for. */
    readonly jobId: string,
  ) {
    super(`no job ${jobId} on this peer`);
  }
}

/** A dataset policy refuses a job (checked before any share moves). */
export class PolicyDeniedError extends Error {
  override readonly name = 'PolicyDeniedError';
  constructor(
    /** The job id. */
    readonly jobId: string,
    /** Every reason, each naming the dataset and the rule. */
    readonly reasons: string[],
  ) {
    super(boundText(`job ${jobId} refused by policy: ${reasons.join('; ')}`, 2 * MESSAGE_MAX));
  }
}

/** A policy document is malformed. */
export class PolicyValidationError extends Error {
  override readonly name = 'PolicyValidationError';
  constructor(problem: string) {
    super(boundText(`invalid policy: ${problem}`, MESSAGE_MAX));
  }
}

/** The audit log file cannot be read or appended to. */
export class AuditLogError extends Error {
  override readonly name = 'AuditLogError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A JSON-lines ledger file has a corrupt line (other than a torn last one) or cannot be read or written. */
export class LedgerFileError extends Error {
  constructor(
    /** What the ledger is, e.g. `release ledger`. */
    what: string,
    /** The ledger file. */
    readonly path: string,
    /** 1-based line at fault, 0 when the error is not tied to a line. */
    readonly line: number,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${what} ${path}${line === 0 ? '' : `:${line}`}: ${problem}`, options);
  }
}

/** The release ledger has a corrupt line (other than a torn last one) or cannot be written. */
export class ReleaseLedgerError extends LedgerFileError {
  override readonly name = 'ReleaseLedgerError';
  constructor(path: string, line: number, problem: string, options?: { cause?: unknown }) {
    super('release ledger', path, line, problem, options);
  }
}

/** An op of the catalogue has no MPC implementation in this build (e.g. a nonlinear op not landed yet). */
export class OpUnavailableError extends Error {
  override readonly name = 'OpUnavailableError';
  constructor(
    /** The op. */
    readonly op: string,
    /** What is missing. */
    readonly detail: string,
  ) {
    super(`op "${op}" is not available in this build: ${detail}`);
  }
}

/** A job failed while running; `party` names the peer at fault when known. */
export class JobFailedError extends Error {
  override readonly name = 'JobFailedError';
  constructor(
    /** The job id. */
    readonly jobId: string,
    message: string,
    /** Peer id of the party at fault, when known. */
    readonly party?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A released value is impossible (a correlation beyond ±1, a negative variance, a mean beyond the
 * column's bound): a fixed-point range was exceeded somewhere. The job fails instead of answering
 * wrongly; the message names the output and element, never the value.
 */
export class ImpossibleResultError extends Error {
  override readonly name = 'ImpossibleResultError';
  constructor(
    /** The output. */
    readonly output: string,
    /** The element's flat index. */
    readonly index: number,
    /** What is impossible about it. */
    readonly problem: string,
  ) {
    super(
      `output "${output}"[${index}] is impossible (${problem}): a fixed-point range was exceeded; nothing is reported`,
    );
  }
}

/**
 * A range guard failed: an intermediate value of a node lies outside the domain where its method
 * keeps the stated error (e.g. a variance too small for rsqrt), so the job fails before any output
 * is opened. The message names the node, the element and the reason, never a value.
 */
export class ImpreciseResultError extends Error {
  override readonly name = 'ImpreciseResultError';
  constructor(
    /** The node. */
    readonly node: string,
    /** The element (e.g. the column's index). */
    readonly index: number,
    /** What is out of range. */
    readonly problem: string,
  ) {
    super(
      `node "${node}" [${index}]: ${problem}; the result would exceed its stated error, so nothing is reported`,
    );
  }
}
