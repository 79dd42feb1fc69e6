/**
 * `peermpc audit [--job <id>] [--limit <n>] [--archived]`: this peer's audit log.
 * `peermpc audit verify [--with-peers] [--peer <id>...]`: check it (and what other peers saw of it).
 * `peermpc audit verify --offline [dataDir] [--peer-id <id>] [--heads <file>...]`: without a daemon.
 * `peermpc audit archive [--keep <n>]`: move old entries to an archived segment.
 * `peermpc audit heads`: the signed heads this peer holds of other peers' logs.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { AuditEntry } from '../../jobs/audit/entry.js';
import type { ArchiveResult, AuditVerifyResult } from '../../jobs/audit/log.js';
import type { AuditHeadsResponse, AuditListResponse } from '../../daemon/api/routes/audit.js';
import { resolveDataDir } from '../../daemon/data-dir.js';
import {
  clientFor,
  commonOptions,
  listValue,
  positiveIntValue,
  type CommandContext,
  type CommonOptions,
} from '../common.js';
import { printJson, table, truncate, type Io } from '../output.js';

interface AuditOptions extends CommonOptions {
  job?: string;
  limit?: number;
  archived?: boolean;
}

interface VerifyOptions extends CommonOptions {
  withPeers?: boolean;
  peer?: string[];
  offline?: string | boolean;
  peerId?: string;
  heads?: string[];
}

interface ArchiveOptions extends CommonOptions {
  keep?: number;
}

function detail(e: AuditEntry['event']): string {
  const parts: string[] = [];
  if (e.state) parts.push(e.state);
  if (e.decision) parts.push(`${e.decision}${e.by ? ` by ${e.by}` : ''}`);
  if (e.releasedTo)
    parts.push(
      `released to ${truncate(e.releasedTo, 16)}: ${(e.outputs ?? []).map((o) => `${o.name}[${o.shape.join('x')}]`).join(',')}`,
    );
  if (e.dataset) parts.push(e.dataset);
  if (e.entries) parts.push(`entries ${e.entries.first}..${e.entries.last}`);
  if (e.reason) parts.push(truncate(e.reason, 80));
  return parts.join(' ');
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError('must be an integer >= 0');
  return n;
}

/** Prints a verification result; sets the exit code to 1 when it found problems. */
export function printVerify(io: Io, res: AuditVerifyResult, json: boolean): void {
  if (!res.ok) process.exitCode = 1;
  if (json) return printJson(io, res);
  const parts = [`${res.live} live`];
  if (res.archived > 0 || res.segments > 0)
    parts.push(`${res.archived} archived in ${res.segments} segment(s)`);
  if (res.pruned > 0) parts.push(`${res.pruned} deleted by retention`);
  if (res.legacy > 0) parts.push(`${res.legacy} unsigned from v0.1`);
  const what = `${res.entries} entries (${parts.join(', ')})`;
  if (res.ok)
    io.out(
      `audit log intact: ${what}, head ${res.seq} ${res.head.slice(0, 16)}${res.signaturesChecked ? ', every signature checked' : ''}`,
    );
  else {
    io.out(`audit log BROKEN: ${res.problems.length} problem(s) in ${what}`);
    for (const p of res.problems) {
      const where =
        p.file === 'audit.log'
          ? `line ${p.line}`
          : p.file.endsWith('.head')
            ? 'head file'
            : p.line > 0
              ? `${p.file} line ${p.line}`
              : p.file;
      io.out(`  ${where}: ${p.problem}`);
    }
  }
  for (const n of res.notes) io.out(`  note: ${n}`);
  if (res.peers !== undefined) {
    if (res.peers.length === 0) io.out('no peer holds a signed head of this log');
    for (const p of res.peers) {
      const who = truncate(p.peer, 24);
      if (p.error !== undefined) io.out(`  ${who}: not checked (${truncate(p.error, 120)})`);
      else if (p.heads === 0) io.out(`  ${who}: holds no head of this log`);
      else
        io.out(
          `  ${who}: holds ${p.heads} signed head(s): ${p.confirmed} confirmed${p.unverifiable > 0 ? `, ${p.unverifiable} of deleted entries` : ''}${p.problems.length > 0 ? `, ${p.problems.length} CONTRADICTED` : ''}`,
        );
    }
  }
}

/** Registers `audit`, `audit verify`, `audit archive` and `audit heads`. */
export function registerAudit(program: Command, { io }: CommandContext): void {
  const audit = commonOptions(program.command('audit'))
    .description('what this peer was asked, decided and released (never values)')
    .option('--job <id>', 'only entries about this job')
    .option('--limit <n>', 'only the last n entries', positiveIntValue)
    .option('--archived', 'include archived segments')
    .action(async (opts: AuditOptions) => {
      const q = new URLSearchParams();
      if (opts.job) q.set('job', opts.job);
      if (opts.limit) q.set('limit', String(opts.limit));
      if (opts.archived) q.set('archived', '1');
      const qs = q.toString();
      const res = await clientFor(opts).request<AuditListResponse>(
        'GET',
        `/audit${qs === '' ? '' : `?${qs}`}`,
      );
      const invalid = res.invalid ?? [];
      if (opts.json === true) return printJson(io, res.entries);
      if (invalid.length > 0)
        io.err(
          `warning: ${invalid.length} line(s) of the audit log are not valid entries (not shown); run peermpc audit verify`,
        );
      if (res.entries.length === 0) return io.out('the audit log is empty');
      io.out(
        table(
          ['SEQ', 'TIME', 'EVENT', 'JOB', 'REQUESTER', 'PROGRAM', 'DETAIL'],
          res.entries.map((x) => [
            x.seq,
            x.time,
            x.event.type,
            x.event.job ?? '',
            x.event.requester ? truncate(x.event.requester, 16) : '',
            x.event.programHash ? x.event.programHash.slice(0, 12) : '',
            detail(x.event),
          ]),
        ),
      );
    });

  commonOptions(audit.command('verify'))
    .description(
      'check the signed hash chain (edited, forged, deleted, inserted, reordered or truncated lines)',
    )
    .option('--with-peers', 'also ask the peers this peer exchanged heads with what they saw of this log')
    .option('--peer <id...>', 'ask these peers (implies --with-peers)', listValue)
    .option('--offline [dataDir]', 'check the files of a data directory, without a daemon')
    .option('--peer-id <id>', 'with --offline: whose log (default: from the data directory’s peer.key)')
    .option(
      '--heads <file...>',
      'with --offline: heads other peers hold of this log (their audit heads --json)',
      listValue,
    )
    .action(async (_opts: VerifyOptions, cmd: Command) => {
      // `audit` has the same options: after `verify` commander may give them to the parent
      const opts = cmd.optsWithGlobals<VerifyOptions>();
      const json = opts.json === true;
      if (opts.offline !== undefined && opts.offline !== false) {
        const dir =
          typeof opts.offline === 'string' ? resolveDataDir(opts.offline) : resolveDataDir(opts.dataDir);
        // loaded here: it brings libp2p's crypto, which other commands never load
        const { verifyAuditOffline } = await import('../../jobs/audit/open.js');
        const res = verifyAuditOffline(dir, {
          ...(opts.peerId !== undefined ? { peerId: opts.peerId } : {}),
          ...(opts.heads !== undefined ? { headsFiles: opts.heads } : {}),
        });
        return printVerify(io, res, json);
      }
      if (opts.heads !== undefined) throw new InvalidArgumentError('--heads needs --offline');
      const q = new URLSearchParams();
      if (opts.withPeers === true) q.set('peers', '1');
      for (const p of opts.peer ?? []) q.append('peer', p);
      const qs = q.toString();
      const res = await clientFor(opts).request<AuditVerifyResult>(
        'GET',
        `/audit/verify${qs === '' ? '' : `?${qs}`}`,
      );
      printVerify(io, res, json);
    });

  commonOptions(audit.command('archive'))
    .description(
      'move old entries to a compressed archived segment (the chain and signatures stay checkable)',
    )
    .option('--keep <n>', 'entries left in the live log (default: the retention setting)', nonNegativeInt)
    .action(async (_opts: ArchiveOptions, cmd: Command) => {
      const opts = cmd.optsWithGlobals<ArchiveOptions>();
      const res = await clientFor(opts).request<ArchiveResult>(
        'POST',
        '/audit/archive',
        opts.keep !== undefined ? { keep: opts.keep } : {},
      );
      if (opts.json === true) return printJson(io, res);
      io.out(
        res.archived === 0
          ? `nothing to archive: ${res.live} entries in the live log`
          : `archived entries ${res.first}..${res.last} to ${res.segment}; ${res.live} entries in the live log`,
      );
      if (res.pruned > 0) io.out(`deleted ${res.pruned} archived entries older than the retention`);
    });

  commonOptions(audit.command('heads'))
    .description(
      'the signed audit heads this peer holds of other peers (for their audit verify --offline --heads)',
    )
    .action(async (_opts: CommonOptions, cmd: Command) => {
      const opts = cmd.optsWithGlobals<CommonOptions>();
      const res = await clientFor(opts).request<AuditHeadsResponse>('GET', '/audit/heads');
      if (opts.json === true) return printJson(io, res);
      const rows = Object.entries(res.held).map(([peer, h]) => {
        const last = h.heads.at(-1);
        return [
          truncate(peer, 24),
          h.heads.length,
          last ? last.seq : '',
          last ? last.at : '',
          h.conflicts.length > 0 ? `${h.conflicts.length / 2} FORK(S)` : '',
        ];
      });
      if (rows.length === 0) return io.out('this peer holds no signed head of another peer');
      io.out(table(['PEER', 'HEADS', 'LATEST SEQ', 'RECEIVED', 'CONFLICTS'], rows));
    });
}
