/**
 * Errors of the audit log's head exchange, each with a fixed `name` (the jobs protocol replies with
 * it). Failures of the log itself are {@link AuditLogError} (src/jobs/errors.ts).
 */
export { AuditLogError } from '../errors.js';

/** A signed head from another peer was refused (not a party of a job here, bad signature...). */
export class AuditHeadRefusedError extends Error {
  override readonly name = 'AuditHeadRefusedError';
  constructor(reason: string) {
    super(`audit head refused: ${reason}`);
  }
}
