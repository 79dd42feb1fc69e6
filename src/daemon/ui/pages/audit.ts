/**
 * `GET /ui/audit?q=<filter>`: the audit log's entries, newest first (`#audit-entries`, one
 * `tr[data-audit-type]` per entry), those matching the filter (any field's text contains it, case
 * insensitive), and the chain's verification (`#audit-status`). Entries never hold a value.
 */
import type { AuditEntry } from '../../../jobs/audit/entry.js';
import { boundText } from '../../../util/bound.js';
import { BadRequestError } from '../../api/errors.js';
import { html, pathPart, type Html } from '../html.js';
import { datasetName, jobsOf, peer, time, type PageRequest } from './common.js';

/** Most entries shown. */
export const MAX_AUDIT_ROWS = 500;

/** Longest filter (characters). */
export const MAX_FILTER_CHARS = 200;

function matches(e: AuditEntry, q: string): boolean {
  if (q === '') return true;
  const ev = e.event;
  const text = [
    ev.type,
    ev.job,
    ev.requester,
    ev.peer,
    ev.dataset,
    ev.decision,
    ev.by,
    ev.state,
    ev.reason,
    ev.releasedTo,
    ...(ev.datasets ?? []),
    ...(ev.outputs ?? []).map((o) => o.name),
  ]
    .filter((s) => s !== undefined)
    .join('\n')
    .toLowerCase();
  return text.includes(q);
}

function details(e: AuditEntry): Html {
  const ev = e.event;
  const parts: Html[] = [];
  if (ev.job !== undefined)
    parts.push(html`job <a href="/ui/jobs/${pathPart(ev.job)}"><code>${ev.job.slice(0, 12)}…</code></a>`);
  if (ev.decision !== undefined)
    parts.push(html`<strong>${ev.decision}</strong>${ev.by ? ` by ${ev.by}` : ''}`);
  if (ev.state !== undefined) parts.push(html`state <strong>${ev.state}</strong>`);
  if (ev.requester !== undefined) parts.push(html`requester ${peer(ev.requester)}`);
  if (ev.peer !== undefined) parts.push(html`peer ${peer(ev.peer)}`);
  if (ev.dataset !== undefined) parts.push(html`dataset ${datasetName(ev.dataset)}`);
  if (ev.datasets !== undefined) parts.push(html`datasets ${boundText(ev.datasets.join(', '), 300)}`);
  if (ev.releasedTo !== undefined) parts.push(html`released to ${peer(ev.releasedTo)}`);
  if (ev.outputs !== undefined)
    parts.push(
      html`outputs ${boundText(ev.outputs.map((o) => `${o.name} [${o.shape.join('×')}]`).join(', '), 300)}`,
    );
  if (ev.privacy !== undefined) parts.push(html`spent ρ = ${ev.privacy.rho}`);
  if (ev.entries !== undefined) parts.push(html`entries ${ev.entries.first}–${ev.entries.last}`);
  if (ev.reason !== undefined && ev.reason !== '')
    parts.push(html`<q class="reason">${boundText(ev.reason, 600)}</q>`);
  return html`${parts.map((p, i) => html`${i > 0 ? '; ' : ''}${p}`)}`;
}

/** The audit page's content. */
export async function auditPage(req: PageRequest): Promise<Html> {
  const q = (req.query.get('q') ?? '').trim();
  if (q.length > MAX_FILTER_CHARS) throw new BadRequestError(`"q" is at most ${MAX_FILTER_CHARS} characters`);
  const svc = jobsOf(req.ctx);
  if (svc === undefined) return html`<p>This peer runs no jobs and keeps no audit log.</p>`;
  const verify = svc.audit.verify();
  const listing = svc.audit.listing();
  const needle = q.toLowerCase();
  const all = listing.entries.filter((e) => matches(e, needle));
  const shown = all.slice(-MAX_AUDIT_ROWS).reverse();
  const status = verify.ok
    ? `verified: ${verify.entries} entries, chain intact${verify.signaturesChecked ? ', signatures valid' : ''}`
    : `FAILED: ${verify.problems.length} problem${verify.problems.length === 1 ? '' : 's'}`;
  return html`
    <section aria-labelledby="verify-h">
      <h2 id="verify-h">Verification</h2>
      <p
        id="audit-status"
        data-live
        class="${verify.ok ? 'ok' : 'error-text'}"
        data-ok="${verify.ok ? 'true' : 'false'}"
      >
        ${status}
      </p>
      ${
        verify.problems.length === 0
          ? ''
          : html`<ul class="problems">
              ${verify.problems
                .slice(0, 50)
                .map((p) => html`<li>${p.file} line ${p.line}: ${boundText(p.problem, 300)}</li>`)}
            </ul>`
      }
      ${
        verify.notes.length === 0
          ? ''
          : html`<ul class="notes">
              ${verify.notes.slice(0, 20).map((n) => html`<li>${boundText(n, 300)}</li>`)}
            </ul>`
      }
      <p>Head: entry ${verify.seq}, <code>${verify.head}</code></p>
    </section>
    <section aria-labelledby="entries-h">
      <h2 id="entries-h">Entries</h2>
      <form method="get" action="/ui/audit" class="filter" role="search">
        <label for="audit-q">Filter (type, job id, peer, dataset, reason…)</label>
        <input type="search" id="audit-q" name="q" value="${q}" maxlength="${MAX_FILTER_CHARS}" />
        <button type="submit">Filter</button>
        ${q === '' ? '' : html`<a href="/ui/audit">Clear</a>`}
      </form>
      <p>
        ${all.length}
        entr${all.length === 1 ? 'y' : 'ies'}${q === '' ? '' : ' match'}${
          all.length > shown.length ? `, the newest ${shown.length} shown` : ''
        }${listing.invalid.length > 0 ? html`; <strong>${listing.invalid.length} invalid lines</strong>` : ''}.
      </p>
      <div class="scroll">
        <table id="audit-entries" data-live>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Time (UTC)</th>
              <th scope="col">Type</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            ${shown.map(
              (e) =>
                html`<tr data-audit-type="${e.event.type}">
                  <td>${e.seq}</td>
                  <td>${time(e.time)}</td>
                  <td>${e.event.type}</td>
                  <td>${details(e)}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
    </section>
  `;
}
