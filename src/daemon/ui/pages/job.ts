/**
 * `GET /ui/jobs/:id`: one job for the person who decides: who asks, the program as a graph, what
 * would be released and to whom, the parties and protocol, this owner's policy verdict on each
 * point, the decisions, the phases and traffic; when this peer's person must decide, the approve
 * and reject forms (each with the session's CSRF token). `#job-state` holds the state's name.
 */
import { verifySignedJob, type VerifiedJob } from '../../../jobs/job/verify.js';
import type { JobService } from '../../../jobs/service/service.js';
import type { JobRecord } from '../../../jobs/store.js';
import { isValidName } from '../../../node/dataset/names.js';
import { boundText, MESSAGE_MAX } from '../../../util/bound.js';
import { BadRequestError, NotFoundError } from '../../api/errors.js';
import { programGraph } from '../graph-svg.js';
import { html, pathPart, type Html } from '../html.js';
import { jobVerdict, type JobVerdict } from '../verdict.js';
import { datasetName, jobsOf, peer, stateBadge, time, type PageRequest } from './common.js';
import { decisionsList, phasesSection, programTable, releaseSection, resultSection } from './job-parts.js';

/** Longest rejection reason a person may give (characters). */
export const MAX_REASON_CHARS = 1000;

/**
 * The job service and the record of `id`.
 * @throws BadRequestError (400) for a malformed id, NotFoundError (404) for an unknown one.
 */
export function findJob(req: PageRequest, id: string): { svc: JobService; record: JobRecord } {
  if (!/^[0-9a-f]{32}$/.test(id)) throw new BadRequestError('a job id is 32 hex characters');
  const svc = jobsOf(req.ctx);
  const record = svc?.store.find(id);
  if (svc === undefined || record === undefined) throw new NotFoundError(`no job ${id} on this peer`);
  return { svc, record };
}

function decisionForms(id: string, csrf: string, pending: boolean): Html {
  if (!pending) return html`<section id="decision" data-live></section>`;
  const action = `/ui/jobs/${pathPart(id)}`;
  return html`<section id="decision" data-live aria-labelledby="decide-h" class="decide">
    <h2 id="decide-h">Your decision</h2>
    <p>Nothing runs and nothing is released until every owner approves.</p>
    <div class="forms">
      <form id="approve" method="post" action="${action}/approve">
        <input type="hidden" name="csrf" value="${csrf}" />
        <button type="submit" id="approve-button" class="approve">Approve</button>
      </form>
      <form id="reject" method="post" action="${action}/reject">
        <input type="hidden" name="csrf" value="${csrf}" />
        <label for="reject-reason">Reason (sent to the requester and kept in the audit log)</label>
        <textarea name="reason" id="reject-reason" rows="3" maxlength="${MAX_REASON_CHARS}"></textarea>
        <button type="submit" id="reject-button" class="reject">Reject</button>
      </form>
    </div>
  </section>`;
}

function verdictSection(v: JobVerdict | undefined, problem: string | undefined): Html {
  if (problem !== undefined)
    return html`<section aria-labelledby="verdict-h">
      <h2 id="verdict-h">Your policy's verdict</h2>
      <p class="error-text">The job cannot be checked: ${boundText(problem, MESSAGE_MAX)}</p>
    </section>`;
  if (v === undefined || v.datasets.length === 0) return html``;
  return html`<section aria-labelledby="verdict-h" id="job-verdict">
    <h2 id="verdict-h">Your policy's verdict</h2>
    ${v.datasets.map(
      (d) =>
        html`<table class="verdict" data-dataset="${datasetName(d.dataset)}">
          <caption>
            Dataset
            ${
              isValidName(d.dataset)
                ? html`<a href="/ui/datasets/${pathPart(d.dataset)}">${d.dataset}</a>`
                : datasetName(d.dataset)
            }
          </caption>
          <thead>
            <tr>
              <th scope="col">Point</th>
              <th scope="col">Verdict</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            ${d.points.map(
              (p) =>
                html`<tr class="${p.ok ? 'pass' : 'fail'}">
                  <th scope="row">${p.point}</th>
                  <td>${p.ok ? 'allowed' : 'refused'}</td>
                  <td>${boundText(p.detail, MESSAGE_MAX)}</td>
                </tr>`,
            )}
          </tbody>
        </table>`,
    )}
    ${
      v.violations.length === 0
        ? html`<p>
            Every rule of your policies passes (the differencing and budget checks run again when the job
            starts).
          </p>`
        : html`<p>Your policies would refuse it:</p>
            <ul>
              ${v.violations.map((r) => html`<li>${boundText(r, MESSAGE_MAX)}</li>`)}
            </ul>`
    }
  </section>`;
}

/** The job page's content and title. */
export async function jobPage(req: PageRequest, id: string): Promise<{ title: string; content: Html }> {
  const { svc, record } = findJob(req, id);
  const job = record.signed.job;
  const self = svc.self;
  const pending = svc.pending().some((r) => r.id === id);
  let verified: VerifiedJob | undefined;
  let problem: string | undefined;
  try {
    verified = await verifySignedJob(record.signed, { ignoreExpiry: true, maxClockSkewMs: Infinity });
  } catch (err) {
    problem = (err as Error).message;
  }
  const verdict = verified === undefined ? undefined : await jobVerdict(svc, req.ctx.peer, verified);
  const inputLabel = (name: string): string => {
    const i = job.inputs.find((x) => x.name === name);
    return i === undefined ? 'input' : i.dataset;
  };
  const content = html`
    <dl class="facts">
      <dt>State</dt>
      <dd>${stateBadge(record.state, 'job-state')}</dd>
      <dt>Job id</dt>
      <dd><code>${record.id}</code></dd>
      <dt>Requested by</dt>
      <dd>${peer(job.requester, self)}</dd>
      <dt>Your roles</dt>
      <dd>${record.roles.join(', ')}</dd>
      <dt>Created</dt>
      <dd>${time(job.created)}</dd>
      <dt>Expires</dt>
      <dd>${time(job.expires)}</dd>
      <dt>Program hash</dt>
      <dd><code>${job.programHash}</code></dd>
    </dl>
    ${decisionForms(id, req.csrf, pending)}
    <section aria-labelledby="program-h">
      <h2 id="program-h">The program</h2>
      ${programGraph(job.program, inputLabel)} ${programTable(record)}
    </section>
    ${releaseSection(record, verified?.checked, self)} ${verdictSection(verdict, problem)}
    <section aria-labelledby="decisions-h">
      <h2 id="decisions-h">Decisions</h2>
      ${decisionsList(record, self)}
    </section>
    <section aria-labelledby="phases-h">
      <h2 id="phases-h">Phases and traffic</h2>
      ${phasesSection(record)}
    </section>
    ${resultSection(record)}
    <p><a href="/ui/audit?q=${pathPart(record.id)}">This job in the audit log</a></p>
  `;
  return { title: `Job ${record.id.slice(0, 12)}`, content };
}
