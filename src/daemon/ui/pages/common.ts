/**
 * What every console page reads (the daemon's context and its job service, when the peer runs
 * jobs) and small formatting pieces they share.
 */
import type { JobService } from '../../../jobs/service/service.js';
import type { JobState } from '../../../jobs/state.js';
import type { ApiContext } from '../../api/context.js';
import { jobServiceOf } from '../../api/routes/jobs.js';
import { isJobsPeer } from '../../../jobs/service/for-peer.js';
import { boundText } from '../../../util/bound.js';
import { html, pathPart, type Html } from '../html.js';
import { formatNumber } from '../../../util/format.js';

/** What a page handler gets. */
export interface PageRequest {
  /** The daemon's context. */
  ctx: ApiContext;
  /** The query string. */
  query: URLSearchParams;
  /** The session's CSRF token (for forms). */
  csrf: string;
  /** Aborted when the browser goes away. */
  signal: AbortSignal;
}

/** The job service, or undefined when this peer runs no jobs. */
export function jobsOf(ctx: ApiContext): JobService | undefined {
  return isJobsPeer(ctx.peer) ? jobServiceOf(ctx) : undefined;
}

/** A job id shortened for lists (the full id is in the link and its title). */
export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 12)}…` : id;
}

/** A peer id shown in full, in a code element that wraps. */
export function peer(id: string, self?: string): Html {
  return html`<code class="peer-id">${id}</code
    >${id === self ? html` <span class="tag">this peer</span>` : ''}`;
}

/** A job state as a badge whose text is the state's name; with an `id`, a live region. */
export function stateBadge(state: JobState, id?: string): Html {
  return html`<span class="state state-${state}" ${id === undefined ? '' : html`id="${id}" data-live`}
    >${state}</span
  >`;
}

/** A link to a job's page. */
export function jobLink(id: string): Html {
  return html`<a href="/ui/jobs/${pathPart(id)}" title="${id}"><code>${shortId(id)}</code></a>`;
}

/** A byte count for people. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** A duration in ms for people. */
export function ms(n: number | undefined): string {
  if (n === undefined) return '–';
  if (n < 1000) return `${Math.round(n)} ms`;
  return `${(n / 1000).toFixed(n < 10_000 ? 2 : 1)} s`;
}

/** Longest dataset name shown (a local one has at most 64 characters; a remote one is anything). */
export const MAX_DATASET_NAME_CHARS = 80;

/**
 * A dataset name as text, cut to {@link MAX_DATASET_NAME_CHARS}: a job's inputs owned by other
 * peers name datasets that nothing here checks, up to the size of a proposal (megabytes).
 */
export function datasetName(name: string): string {
  return boundText(name, MAX_DATASET_NAME_CHARS);
}

/**
 * A time as `YYYY-MM-DD HH:MM:SSZ` (UTC), in a time element. The instant is shown, not the text:
 * a job's `created` and `expires` are the requester's strings, which only have to parse as a date
 * (and V8's parser skips a parenthesised comment of any length). Text that is no date is shown
 * cut to a few dozen characters.
 */
export function time(text: string): Html {
  const at = Date.parse(text);
  if (Number.isNaN(at)) return html`<time>${boundText(text, 40)}</time>`;
  const iso = new Date(at).toISOString();
  const t = iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return html`<time datetime="${iso}">${t}</time>`;
}

/** A number for a table. */
export const num = formatNumber;
