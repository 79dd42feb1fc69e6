/**
 * Errors of the peer: one class per failure, each with a fixed `name` so callers (the daemon, the
 * control API) can map them to exit codes and HTTP statuses without parsing messages.
 */

/** The identity key file is readable by others, corrupt, or of the wrong key type. */
export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
  constructor(
    /** The key file's path. */
    readonly path: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`identity key file ${path}: ${problem}`, options);
  }
}

/** A persisted state file of the data directory (access lists, dataset index) is corrupt. */
export class StateFileError extends Error {
  override readonly name = 'StateFileError';
  constructor(
    /** The file's path. */
    readonly path: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`state file ${path}: ${problem}`, options);
  }
}

/** A CSV file could not be imported; `row` (1-based, header is row 1) and `column` say where. */
export class CsvImportError extends Error {
  override readonly name = 'CsvImportError';
  constructor(
    message: string,
    /** The CSV file. */
    readonly path: string,
    /** 1-based line-oriented row number (the header is row 1), or 0 when not tied to a row. */
    readonly row: number,
    /** Column name (or 1-based index when the header is the problem), or '' when not tied to one. */
    readonly column: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A dataset name or tag does not match the allowed form. */
export class InvalidNameError extends Error {
  override readonly name = 'InvalidNameError';
  constructor(
    /** What was being named: `dataset name` or `tag`. */
    readonly what: string,
    /** The offending value. */
    readonly value: string,
  ) {
    super(
      `invalid ${what} ${JSON.stringify(value)}: use 1-64 characters a-z 0-9 . _ - starting with a letter or digit`,
    );
  }
}

/** A local dataset of that name already exists (and `replace` was not set). */
export class DatasetExistsError extends Error {
  override readonly name = 'DatasetExistsError';
  constructor(readonly datasetName: string) {
    super(`a dataset named ${JSON.stringify(datasetName)} already exists (remove it first, or replace it)`);
  }
}

/** No dataset of that name (locally, or at the owner). */
export class DatasetNotFoundError extends Error {
  override readonly name = 'DatasetNotFoundError';
  constructor(
    readonly owner: string,
    readonly datasetName: string,
  ) {
    super(`dataset ${owner}/${datasetName} not found`);
  }
}

/** A dataset description failed verification (bad signature, owner mismatch, malformed). */
export class DescriptionVerificationError extends Error {
  override readonly name = 'DescriptionVerificationError';
  constructor(
    /** The peer that served it. */
    readonly owner: string,
    /** Why it was rejected. */
    readonly reason: string,
  ) {
    super(`description from ${owner} rejected: ${reason}`);
  }
}

/** A catalog request to another peer failed (unreachable, timeout, protocol error). */
export class CatalogRequestError extends Error {
  override readonly name = 'CatalogRequestError';
  constructor(
    readonly peer: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`catalog request to ${peer} failed: ${reason}`, options);
  }
}

/** A peer is not allowed by the access lists. */
export class AccessDeniedError extends Error {
  override readonly name = 'AccessDeniedError';
  constructor(readonly peer: string) {
    super(`peer ${peer} is denied by the access lists`);
  }
}

/** A string is not a valid peer id or multiaddr. */
export class InvalidPeerAddressError extends Error {
  override readonly name = 'InvalidPeerAddressError';
  constructor(
    readonly value: string,
    options?: { cause?: unknown },
  ) {
    super(`not a peer id or a multiaddr: ${JSON.stringify(value)}`, options);
  }
}

/** The peer is not running (not started yet, or stopped). */
export class PeerNotStartedError extends Error {
  override readonly name = 'PeerNotStartedError';
  constructor() {
    super('the peer is not running');
  }
}

/** An MPC session could not be opened (bad input, duplicate job, or a party unreachable in time). */
export class SessionOpenError extends Error {
  override readonly name = 'SessionOpenError';
  constructor(
    readonly jobId: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot open session for job ${JSON.stringify(jobId)}: ${reason}`, options);
  }
}
