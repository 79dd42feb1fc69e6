/**
 * `GET /ui/jobs`: the jobs waiting for this peer's person first (`#pending-jobs`), then every other
 * job this peer knows, newest first (`#job-history`), each row `data-job-id` with a link to its
 * page. Both are live regions.
 */
import type { JobRecord } from '../../../jobs/store.js';
import { html, type Html } from '../html.js';
import {
  bytes,
  datasetName,
  jobLink,
  jobsOf,
  ms,
  peer,
  stateBadge,
  time,
  type PageRequest,
} from './common.js';

/** Most history rows shown. */
export const HISTORY_ROWS = 500;

function datasets(r: JobRecord): Html {
  return html`${r.signed.job.inputs.map(
    (i, k) => html`${k > 0 ? ', ' : ''}<span title="${i.owner}">${datasetName(i.dataset)}</span>`,
  )}`;
}

function pendingItem(r: JobRecord, self: string): Html {
  const job = r.signed.job;
  const mine = r.pendingDatasets ?? job.inputs.filter((i) => i.owner === self).map((i) => i.dataset);
  return html`<li data-job-id="${r.id}" class="job-card">
    <p>${jobLink(r.id)} ${stateBadge(r.state)}</p>
    <p>
      ${peer(job.requester)} asks for ${job.program.outputs.length}
      output${job.program.outputs.length === 1 ? '' : 's'} from your
      ${mine.map((d, k) => html`${k > 0 ? ', ' : ''}<strong>${datasetName(d)}</strong>`)} (${job.protocol},
      expires ${time(job.expires)})
    </p>
    <p><a href="/ui/jobs/${r.id}">Review and decide</a></p>
  </li>`;
}

function historyRow(r: JobRecord): Html {
  const s = r.stats;
  return html`<tr data-job-id="${r.id}">
    <td>${jobLink(r.id)}</td>
    <td>${stateBadge(r.state)}</td>
    <td>${r.roles.join(', ')}</td>
    <td>${peer(r.signed.job.requester)}</td>
    <td>${datasets(r)}</td>
    <td>${time(r.signed.job.created)}</td>
    <td>${r.progress.phase} (${r.progress.done}/${r.progress.total})</td>
    <td>
      ${s === undefined ? '–' : html`${ms(s.ms.total)}, ${bytes(s.bytesSent)} sent, ${s.rounds} rounds`}
    </td>
  </tr>`;
}

/** The jobs page's content. */
export async function jobsPage(req: PageRequest): Promise<Html> {
  const jobs = jobsOf(req.ctx);
  if (jobs === undefined) return html`<p>This peer runs no jobs.</p>`;
  const pending = jobs.pending();
  const pendingIds = new Set(pending.map((r) => r.id));
  const all = jobs.store.list().filter((r) => !pendingIds.has(r.id));
  const history = all.slice(0, HISTORY_ROWS);
  return html`
    <section aria-labelledby="pending-h">
      <h2 id="pending-h">Waiting for your decision</h2>
      <ul id="pending-jobs" class="plain jobs" data-live>
        ${
          pending.length === 0
            ? html`<li class="empty">No job waits for your decision.</li>`
            : pending.map((r) => pendingItem(r, jobs.self))
        }
      </ul>
    </section>
    <section aria-labelledby="history-h">
      <h2 id="history-h">History</h2>
      <div class="scroll">
        <table id="job-history" data-live>
          <caption>
            ${all.length}
            job${all.length === 1 ? '' : 's'}${
              all.length > history.length ? `, the newest ${history.length} shown` : ''
            }
          </caption>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">State</th>
              <th scope="col">Roles</th>
              <th scope="col">Requester</th>
              <th scope="col">Datasets</th>
              <th scope="col">Created (UTC)</th>
              <th scope="col">Progress</th>
              <th scope="col">This peer's traffic</th>
            </tr>
          </thead>
          <tbody>
            ${history.map(historyRow)}
          </tbody>
        </table>
      </div>
    </section>
  `;
}
