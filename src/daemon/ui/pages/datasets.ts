/**
 * `GET /ui/datasets` and `GET /ui/datasets/:name`: this peer's datasets; one with its schema, mock
 * rows, description, bounds, effective policy, and the jobs that asked for it (who asked for what).
 */
import type { DatasetPolicy } from '../../../jobs/policy/types.js';
import type { LocalDataset } from '../../../node/types.js';
import { boundText } from '../../../util/bound.js';
import { NotFoundError } from '../../api/errors.js';
import { html, pathPart, type Html } from '../html.js';
import { jobLink, jobsOf, num, peer, stateBadge, time, type PageRequest } from './common.js';

/** Most jobs listed on a dataset's page. */
export const MAX_DATASET_JOBS = 200;

function row(d: LocalDataset): Html {
  const desc = d.signed.description;
  return html`<tr data-dataset="${desc.name}">
    <th scope="row"><a href="/ui/datasets/${pathPart(desc.name)}">${desc.name}</a></th>
    <td>${desc.rows}</td>
    <td>${desc.columns.length}</td>
    <td>${desc.tags.join(', ')}</td>
    <td>${desc.policy.approval ?? 'manual'}</td>
    <td>${d.advertised ? 'yes' : 'no'}</td>
  </tr>`;
}

/** The datasets page's content. */
export async function datasetsPage(req: PageRequest): Promise<Html> {
  const list = await req.ctx.peer.datasets.list({ signal: req.signal });
  if (list.length === 0) return html`<p>No datasets. Add one with <code>peermpc dataset add</code>.</p>`;
  return html`<table id="datasets">
    <thead>
      <tr>
        <th scope="col">Name</th>
        <th scope="col">Rows</th>
        <th scope="col">Columns</th>
        <th scope="col">Tags</th>
        <th scope="col">Approval</th>
        <th scope="col">Advertised</th>
      </tr>
    </thead>
    <tbody>
      ${list.map(row)}
    </tbody>
  </table>`;
}

const list = (xs: readonly string[]): string =>
  xs.includes('*') ? 'anyone / anything' : xs.join(', ') || 'none';

function policyList(p: DatasetPolicy, isDefault: boolean): Html {
  return html`<dl class="facts" id="dataset-policy">
    <dt>Approval</dt>
    <dd>
      ${p.approval === 'manual' ? 'by a person (you)' : 'automatic when the rules pass'}${isDefault ? ' (the default policy)' : ''}
    </dd>
    <dt>Requesters</dt>
    <dd>${list(p.requesters)}</dd>
    <dt>Ops allowed</dt>
    <dd>${list(p.ops)}</dd>
    <dt>Outputs allowed</dt>
    <dd>${list(p.outputs)}</dd>
    <dt>Minimum rows behind a value</dt>
    <dd>${p.minRows}</dd>
    <dt>Trusted compute parties</dt>
    <dd>${list(p.computeParties)}</dd>
    ${
      p.budget === undefined
        ? ''
        : html`<dt>Privacy budget per requester</dt>
            <dd>
              ε = ${p.budget.epsilon}, δ =
              ${p.budget.delta}${p.budget.perDays === undefined ? '' : `, per ${p.budget.perDays} days`}
            </dd>`
    }
    ${
      p.requireDpBelowRows === undefined
        ? ''
        : html`<dt>Differential privacy required below</dt>
            <dd>${p.requireDpBelowRows} rows</dd>`
    }
  </dl>`;
}

/** One dataset's page content and title. */
export async function datasetPage(req: PageRequest, name: string): Promise<{ title: string; content: Html }> {
  const d = await req.ctx.peer.datasets.get(name, { signal: req.signal });
  if (d === undefined) throw new NotFoundError(`no local dataset named "${boundText(name, 80)}"`);
  const desc = d.signed.description;
  const svc = jobsOf(req.ctx);
  const policy = svc?.policies.effective(name);
  const jobs = (svc?.store.list() ?? [])
    .filter((r) => r.signed.job.inputs.some((i) => i.owner === svc!.self && i.dataset === name))
    .slice(0, MAX_DATASET_JOBS);
  const content = html`
    <p class="description">${desc.description === '' ? 'No description.' : desc.description}</p>
    <dl class="facts">
      <dt>Rows</dt>
      <dd>${desc.rows}</dd>
      <dt>Tags</dt>
      <dd>${desc.tags.join(', ') || 'none'}</dd>
      <dt>Advertised</dt>
      <dd>${d.advertised ? 'yes' : 'no'}</dd>
      <dt>Created</dt>
      <dd>${time(desc.created)}</dd>
    </dl>
    <section aria-labelledby="schema-h">
      <h2 id="schema-h">Schema</h2>
      <table id="dataset-schema">
        <thead>
          <tr>
            <th scope="col">Column</th>
            <th scope="col">Type</th>
            <th scope="col">Magnitude (max |x| ≤)</th>
            <th scope="col">Public bounds</th>
          </tr>
        </thead>
        <tbody>
          ${desc.columns.map(
            (c) =>
              html`<tr>
                <th scope="row">${c.name}</th>
                <td>${c.type}</td>
                <td>${c.magnitude === undefined ? '–' : html`2<sup>${c.magnitude}</sup>`}</td>
                <td>${c.bounds === undefined ? '–' : `[${c.bounds[0]}, ${c.bounds[1]}]`}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </section>
    <section aria-labelledby="mock-h">
      <h2 id="mock-h">Mock rows (${desc.mockSource}, published)</h2>
      ${
        desc.mock.length === 0
          ? html`<p>None published.</p>`
          : html`<div class="scroll">
              <table id="dataset-mock">
                <thead>
                  <tr>
                    ${desc.columns.map((c) => html`<th scope="col">${c.name}</th>`)}
                  </tr>
                </thead>
                <tbody>
                  ${desc.mock.map(
                    (r) =>
                      html`<tr>
                        ${r.map((v) => html`<td>${num(v)}</td>`)}
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
      }
    </section>
    <section aria-labelledby="policy-h">
      <h2 id="policy-h">Policy</h2>
      ${
        policy === undefined
          ? html`<p>This peer runs no jobs.</p>`
          : policyList(policy, svc!.policies.get(name) === undefined)
      }
    </section>
    <section aria-labelledby="asked-h">
      <h2 id="asked-h">Who asked for what</h2>
      ${
        jobs.length === 0
          ? html`<p>No job has named this dataset.</p>`
          : html`<table id="dataset-jobs">
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col">Requester</th>
                  <th scope="col">Outputs</th>
                  <th scope="col">State</th>
                  <th scope="col">Created (UTC)</th>
                </tr>
              </thead>
              <tbody>
                ${jobs.map(
                  (r) =>
                    html`<tr data-job-id="${r.id}">
                      <td>${jobLink(r.id)}</td>
                      <td>${peer(r.signed.job.requester)}</td>
                      <td>${r.signed.job.program.outputs.map((o) => o.name).join(', ')}</td>
                      <td>${stateBadge(r.state)}</td>
                      <td>${time(r.signed.job.created)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
    </section>
  `;
  return { title: `Dataset ${desc.name}`, content };
}
