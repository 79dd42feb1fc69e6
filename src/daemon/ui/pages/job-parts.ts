/**
 * Sections of a job's page that only display the record: the program's steps, what is released
 * and to whom, the decisions, the phases and traffic, and (on the requester) the result.
 */
import { jobRho, mechanismOf } from '../../../jobs/dp/request.js';
import type { CheckedProgram } from '../../../jobs/program/validate.js';
import type { JobOutputValue, JobRecord } from '../../../jobs/store.js';
import { boundText } from '../../../util/bound.js';
import { html, type Html } from '../html.js';
import { bytes, datasetName, ms, num, peer, time } from './common.js';

/** Most values of one released output shown. */
export const MAX_RESULT_VALUES = 400;

/** Params of a node as short JSON text (public values only: columns, edges, epochs). */
function params(p: unknown): string {
  if (p === undefined) return '';
  return boundText(JSON.stringify(p), 300);
}

/** The program's steps as a table (what the graph draws, for reading and for screen readers). */
export function programTable(record: JobRecord): Html {
  const { program } = record.signed.job;
  return html`<details>
    <summary>The program's ${program.nodes.length} ops as a table</summary>
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">Op</th>
            <th scope="col">Arguments</th>
            <th scope="col">Parameters</th>
          </tr>
        </thead>
        <tbody>
          ${program.nodes.map(
            (n) =>
              html`<tr>
                <td><code>${n.id}</code></td>
                <td>${n.op}</td>
                <td>${n.args.join(', ')}</td>
                <td><code>${params(n.params)}</code></td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </details>`;
}

/** Inputs, outputs (with their shapes when known) and who receives them; the DP request. */
export function releaseSection(record: JobRecord, checked: CheckedProgram | undefined, self: string): Html {
  const job = record.signed.job;
  const shapeOf = (node: string): string => {
    const t = checked?.types.get(node);
    if (t === undefined) return 'unknown';
    const dims = t.shape.map((d) => (d === undefined ? '?' : String(d))).join(' × ');
    return t.shape.length === 0 ? 'one value' : `${dims}${t.kind === 'table' ? ' (a table: row level)' : ''}`;
  };
  const labelsOf = (node: string): string => {
    const labels = checked?.types.get(node)?.labels?.filter((l) => l !== undefined) ?? [];
    return boundText(labels.map((l) => l!.join(', ')).join(' / '), 300);
  };
  const opOf = (node: string): string => job.program.nodes.find((n) => n.id === node)?.op ?? 'input';
  return html`<section aria-labelledby="release-h">
    <h2 id="release-h">What would be released, and to whom</h2>
    <p>
      Released to ${peer(job.outputRecipient, self)}
      only${job.outputRecipient === job.requester ? ' (the requester)' : ''}.
    </p>
    <table id="job-outputs">
      <thead>
        <tr>
          <th scope="col">Output</th>
          <th scope="col">Op</th>
          <th scope="col">Shape</th>
          <th scope="col">Labels</th>
        </tr>
      </thead>
      <tbody>
        ${job.program.outputs.map(
          (o) =>
            html`<tr>
              <th scope="row">${o.name}</th>
              <td>${opOf(o.node)}</td>
              <td>${shapeOf(o.node)}</td>
              <td>${labelsOf(o.node)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${
      job.dp === undefined
        ? html`<p>Exact values (no differential privacy).</p>`
        : html`<p id="job-dp">
            Differentially private: ε =
            ${job.dp.epsilon}${job.dp.delta === undefined ? '' : html`, δ = ${job.dp.delta}`}
            (${mechanismOf(job.dp)} noise; costs ρ = ${num(jobRho(job.dp))} of each dataset's budget).
          </p>`
    }
    <h3>Inputs</h3>
    <table>
      <thead>
        <tr>
          <th scope="col">Input</th>
          <th scope="col">Owner</th>
          <th scope="col">Dataset</th>
          <th scope="col">Columns</th>
          <th scope="col">Rows</th>
        </tr>
      </thead>
      <tbody>
        ${job.inputs.map(
          (i) =>
            html`<tr>
              <th scope="row">${i.name}</th>
              <td>${peer(i.owner, self)}</td>
              <td>${datasetName(i.dataset)}</td>
              <td>${boundText(i.columns.join(', '), 400)}</td>
              <td>${i.rows}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h3>Computation</h3>
    <dl class="facts">
      <dt>Protocol</dt>
      <dd>${job.protocol}</dd>
      <dt>Compute parties</dt>
      <dd>
        <ol>
          ${job.computeParties.map((p) => html`<li>${peer(p, self)}</li>`)}
        </ol>
      </dd>
      ${
        job.dealer === undefined
          ? ''
          : html`<dt>Dealer</dt>
              <dd>${peer(job.dealer, self)}</dd>`
      }
    </dl>
  </section>`;
}

/** Each participant's decision (the requester sees all; others their own). */
export function decisionsList(record: JobRecord, self: string): Html {
  const entries = Object.entries(record.approvals);
  return html`<ul id="job-decisions" class="plain" data-live>
    ${entries.length === 0 ? html`<li>No decision yet.</li>` : ''}
    ${entries.map(
      ([p, a]) =>
        html`<li data-peer="${p}">
          ${peer(p, self)}: <strong>${a.decision}</strong>${a.by === undefined ? '' : ` by ${a.by}`}${
            a.at === undefined ? '' : html` at ${time(a.at)}`
          }${
            a.reason === undefined || a.reason === ''
              ? ''
              : html` — <q class="reason">${boundText(a.reason, 1000)}</q>`
          }
        </li>`,
    )}
  </ul>`;
}

/** The states the job went through, its progress and this peer's time per phase, bytes and rounds. */
export function phasesSection(record: JobRecord): Html {
  const s = record.stats;
  const phases = s === undefined ? [] : Object.entries(s.ms).filter(([, v]) => v !== undefined);
  return html`<div id="job-phases" data-live>
    <ol class="history">
      ${record.history.map(
        (h) =>
          html`<li>
            <strong>${h.state}</strong> at
            ${time(h.at)}${
              h.reason === undefined || h.reason === ''
                ? ''
                : html` — <q class="reason">${boundText(h.reason, 1000)}</q>`
            }
          </li>`,
      )}
    </ol>
    <p>Progress: ${record.progress.phase} (${record.progress.done} of ${record.progress.total} steps).</p>
    ${
      record.error === undefined
        ? ''
        : html`<p class="error-text">
            <strong>${record.error.name}</strong>:
            ${boundText(record.error.message, 1000)}${
              record.error.party === undefined ? '' : html` (party ${peer(record.error.party)})`
            }
          </p>`
    }
    ${
      s === undefined
        ? html`<p>No traffic yet.</p>`
        : html`<table id="job-traffic">
            <caption>
              This peer's share of the work
            </caption>
            <thead>
              <tr>
                ${phases.map(([k]) => html`<th scope="col">${k}</th>`)}
                <th scope="col">bytes sent</th>
                <th scope="col">bytes received</th>
                <th scope="col">rounds</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                ${phases.map(([, v]) => html`<td>${ms(v)}</td>`)}
                <td>${bytes(s.bytesSent)}</td>
                <td>${bytes(s.bytesReceived)}</td>
                <td>${s.rounds}</td>
              </tr>
            </tbody>
          </table>`
    }
  </div>`;
}

function resultTable(o: JobOutputValue): Html {
  const values = o.values.slice(0, MAX_RESULT_VALUES);
  const labels = o.labels?.[o.shape.length - 1] ?? undefined;
  return html`<figure>
    <figcaption><strong>${o.name}</strong> (shape [${o.shape.join(', ')}])</figcaption>
    <p class="values">
      ${values.map(
        (v, i) =>
          html`<span class="value"
            >${labels && o.shape.length === 1 ? `${labels[i] ?? i}: ` : ''}${num(v)}</span
          > `,
      )}${o.values.length > values.length ? `… (${o.values.length - values.length} more)` : ''}
    </p>
  </figure>`;
}

/** The released result: only a requester's record holds one. */
export function resultSection(record: JobRecord): Html {
  if (record.result === undefined) return html``;
  return html`<section aria-labelledby="result-h">
    <h2 id="result-h">Result (released to this peer)</h2>
    ${record.result.map(resultTable)}
  </section>`;
}
