/**
 * `GET /ui/`: the peer at a glance: id, addresses, connections, the DHT routing table, datasets,
 * and jobs counted by state (a live region).
 */
import { JOB_STATES } from '../../../jobs/state.js';
import { html, pathPart, type Html } from '../html.js';
import { jobsOf, peer, type PageRequest } from './common.js';

/** The overview's content. */
export async function overviewPage(req: PageRequest): Promise<Html> {
  const { ctx } = req;
  const status = ctx.peer.status();
  const connected = [...ctx.peer.connectedPeers()].sort((a, b) => a.peerId.localeCompare(b.peerId));
  const datasets = await ctx.peer.datasets.list({ signal: req.signal });
  const jobs = jobsOf(ctx);
  const records = jobs?.store.list() ?? [];
  const counts = JOB_STATES.map((s) => [s, records.filter((r) => r.state === s).length] as const);
  const pending = jobs?.pending().length ?? 0;
  const dht =
    status.routingTableSize === 0
      ? 'empty: this peer finds no datasets beyond its direct connections'
      : `${status.routingTableSize} peers in the routing table`;
  return html`
    <section aria-labelledby="peer-h">
      <h2 id="peer-h">This peer</h2>
      <dl class="facts">
        <dt>Peer id</dt>
        <dd>${peer(status.peerId)}</dd>
        <dt>State</dt>
        <dd>${status.started ? 'running' : 'stopped'}</dd>
        <dt>Addresses</dt>
        <dd>
          ${
            status.multiaddrs.length === 0
              ? 'none (not reachable by others)'
              : html`<ul class="plain">
                  ${status.multiaddrs.map((a) => html`<li><code>${a}</code></li>`)}
                </ul>`
          }
        </dd>
        <dt>DHT</dt>
        <dd>${dht}</dd>
        <dt>MPC sessions open</dt>
        <dd>${status.sessions}</dd>
      </dl>
    </section>
    <section aria-labelledby="jobs-h">
      <h2 id="jobs-h">Jobs</h2>
      <div id="overview-counts" data-live>
        ${
          jobs === undefined
            ? html`<p>This peer runs no jobs.</p>`
            : html`<p>
                  ${
                    pending === 0
                      ? 'No job waits for your decision.'
                      : html`<a href="/ui/jobs"><strong>${pending}</strong> waiting for your decision</a>`
                  }
                </p>
                <table class="counts">
                  <caption>
                    Jobs by state
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">State</th>
                      <th scope="col">Jobs</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${counts.map(
                      ([s, n]) =>
                        html`<tr data-state="${s}">
                          <th scope="row">${s}</th>
                          <td>${n}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>`
        }
      </div>
    </section>
    <section aria-labelledby="ds-h">
      <h2 id="ds-h">Datasets (${datasets.length})</h2>
      ${
        datasets.length === 0
          ? html`<p>No datasets. Add one with <code>peermpc dataset add</code>.</p>`
          : html`<ul>
              ${datasets.map((d) => {
                const desc = d.signed.description;
                return html`<li>
                  <a href="/ui/datasets/${pathPart(desc.name)}">${desc.name}</a>: ${desc.rows} rows,
                  ${desc.columns.length} columns${d.advertised ? '' : ' (not advertised)'}
                </li>`;
              })}
            </ul>`
      }
    </section>
    <section aria-labelledby="conn-h">
      <h2 id="conn-h">Connected peers (${connected.length})</h2>
      ${
        connected.length === 0
          ? html`<p>None.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th scope="col">Peer</th>
                  <th scope="col">Address</th>
                  <th scope="col">Direction</th>
                </tr>
              </thead>
              <tbody>
                ${connected.map(
                  (c) =>
                    html`<tr>
                      <td>${peer(c.peerId)}</td>
                      <td><code>${c.address}</code></td>
                      <td>${c.direction}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
    </section>
  `;
}
