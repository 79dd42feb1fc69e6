/**
 * A simulation's report as one self-contained HTML page (`peermpc simulate --report out.html`,
 * issue 18): the headline numbers and the jobs as tables, and charts of the discovery latency CDF
 * (p50 and p95 marked, the success rate in its title), each job's phases per party as horizontal
 * bars, and each job's bytes per party. The page loads nothing: Chart.js (the package's UMD build)
 * and the page's own script are inlined, the report is in it as JSON, and a Content-Security-Policy
 * meta tag allows only those two scripts and the one style element, by hash, and no network at all.
 *
 * The report's text (dataset names, errors: a scenario's or a remote peer's words) reaches the page
 * only HTML-escaped in the tables, or inside the JSON element with `<`, `>`, `&`, U+2028 and U+2029
 * written as `\uXXXX`, so that nothing in it can close the element or start markup.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { SimJob, SimReport } from './report.js';
import { REPORT_PAGE_SCRIPT } from './report-html-script.js';

/** The id of the page's `<script type="application/json">` element holding the report. */
export const REPORT_DATA_ID = 'sim-report';

/** The page's only style element's text (allowed by its hash). */
const STYLE = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
  margin: 0 auto; padding: 1.5rem; max-width: 1100px; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.5rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 1.5rem 0 0.5rem; overflow-wrap: break-word; }
table { border-collapse: collapse; margin: 0.5rem 0; }
th, td { border: 1px solid var(--line); padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
td { overflow-wrap: break-word; max-width: 22rem; }
th { background: #f6f8fa; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.bad { color: #b42318; font-weight: 600; }
.chart { position: relative; height: 340px; margin: 0.5rem 0 1rem; }
.note, footer { color: var(--muted); }
footer { margin-top: 2rem; font-size: 0.85rem; }
`;

/** Chart.js's UMD bundle, read once. */
let chartJs: string | undefined;

/**
 * Chart.js's UMD bundle (`chart.js/dist/chart.umd.min.js` of the installed package), without its
 * source-map comment (a viewer's devtools would try to fetch the map), read on first use.
 * @throws Error when the package is not installed, or its text could end an inline script.
 */
export function chartJsSource(): string {
  if (chartJs === undefined) {
    const main = createRequire(import.meta.url).resolve('chart.js'); // dist/chart.cjs
    const path = join(dirname(main), 'chart.umd.min.js');
    const text = readFileSync(path, 'utf8').replace(/\n?\/\/# sourceMappingURL=\S*\s*$/, '\n');
    if (/<\/script|<!--/i.test(text)) throw new Error(`${path}: cannot be inlined in a <script> element`);
    chartJs = text;
  }
  return chartJs;
}

/** `text` with `&`, `<`, `>`, `"` and `'` as character references: safe as element text or attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * `value` as JSON for the inside of a `<script type="application/json">` element: `<`, `>`, `&`,
 * U+2028 and U+2029 written as `\uXXXX` (the same JSON value), so no string in it can close the
 * element, open a comment or break a JavaScript parser.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A CSP source expression allowing the inline script or style whose text is `text`. */
export function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** Milliseconds, rounded, or a dash when not a number. */
function ms(x: number): string {
  return Number.isFinite(x) ? `${Math.round(x).toLocaleString('en')} ms` : '-';
}

/** One table; `cells` are HTML already (escape text with {@link escapeHtml}); `num` columns align right. */
function htmlTable(header: string[], rows: string[][], num: ReadonlySet<number> = new Set()): string {
  const head = `<tr>${header.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => (num.has(i) ? `<td class="num">${c}</td>` : `<td>${c}</td>`)).join('')}</tr>`,
    )
    .join('\n');
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** Whether a job matched the plaintext answer, as a cell. */
function matched(job: SimJob): string {
  if (job.correct === undefined) return 'not checked';
  return job.correct ? 'yes' : '<span class="bad">NO</span>';
}

function headline(r: SimReport): string {
  const d = r.discovery;
  const checked = r.jobs.filter((j) => j.correct !== undefined);
  const rows: [string, string][] = [
    ['peers', String(r.peers)],
    ['transport', escapeHtml(String(r.transport))],
    ['seed', String(r.seed)],
    ['every peer started', ms(r.startMs)],
    ['time to a connected network', ms(r.connectedMs)],
    ['RSS peak', `${Number.isFinite(r.rssMiB) ? r.rssMiB.toFixed(0) : '-'} MiB`],
    ['searches (found / made, skipped)', `${d.found} / ${d.searches}, ${d.skipped} skipped`],
    ['discovery success rate', `${(d.successRate * 100).toFixed(1)} %`],
    ['discovery p50 / p95 / max', `${ms(d.p50Ms)} / ${ms(d.p95Ms)} / ${ms(d.maxMs)}`],
    [
      'jobs matching the plaintext answer',
      `${checked.filter((j) => j.correct).length} of ${checked.length} checked`,
    ],
    ['churn events', `${r.churn.length} (${r.churn.filter((c) => c.error !== undefined).length} failed)`],
  ];
  return `<table class="headline">\n<tbody>\n${rows
    .map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${v}</td></tr>`)
    .join('\n')}\n</tbody>\n</table>`;
}

function jobsTable(r: SimReport): string {
  if (r.jobs.length === 0) return '<p class="note">The scenario had no jobs.</p>';
  const header = ['job', 'requester', 'datasets', 'protocol', 'state', 'proposed at', 'time'];
  header.push('matched the plaintext', 'max error', 'parties', 'bytes sent', 'rounds');
  const rows = r.jobs.map((j) => [
    String(j.index),
    `peer ${j.requester}`,
    j.datasets.map((name) => escapeHtml(name)).join('<br>'),
    escapeHtml(j.protocol),
    escapeHtml(j.state) + (j.error === undefined ? '' : `: <span class="bad">${escapeHtml(j.error)}</span>`),
    ms(j.startMs),
    ms(j.ms),
    matched(j),
    j.maxError === undefined ? '' : escapeHtml(j.maxError.toExponential(2)),
    String(j.parties.length),
    j.parties.reduce((s, p) => s + p.bytesSent, 0).toLocaleString('en'),
    String(Math.max(0, ...j.parties.map((p) => p.rounds))),
  ]);
  return htmlTable(header, rows, new Set([5, 6, 8, 9, 10, 11]));
}

/** Job k's section: its heading and its two charts' canvases (drawn by the page's script). */
function jobSection(j: SimJob, k: number): string {
  const head = `<h3>Job ${j.index}: ${j.datasets.map((n) => escapeHtml(n)).join(', ')} (${escapeHtml(
    j.protocol,
  )}, ${escapeHtml(j.state)}, ${ms(j.ms)})</h3>`;
  if (j.parties.length === 0) return `${head}\n<p class="note">No party reported its phases.</p>`;
  const label = (what: string): string => `aria-label="Job ${j.index}: ${what} per party" role="img"`;
  return [
    head,
    `<div class="chart"><canvas id="chart-timeline-${k}" ${label('phases')}></canvas></div>`,
    `<div class="chart"><canvas id="chart-bytes-${k}" ${label('bytes')}></canvas></div>`,
  ].join('\n');
}

/** Options of {@link renderSimReportHtml}. */
export interface SimReportHtmlOptions {
  /** The page's title and heading; default `Simulation: <peers> peers (<transport>)`. */
  title?: string;
}

/**
 * The report as one HTML page that needs no network: tables, charts (Chart.js inlined), the report
 * as JSON in `<script type="application/json" id="sim-report">`, and a CSP allowing only the
 * inline scripts and style by hash.
 * @throws Error when Chart.js cannot be read ({@link chartJsSource}).
 * @example writeFileSync('report.html', renderSimReportHtml(await simulateNetwork({ peers: 8 })));
 */
export function renderSimReportHtml(report: SimReport, options: SimReportHtmlOptions = {}): string {
  const scripts = [chartJsSource(), REPORT_PAGE_SCRIPT];
  const csp = [
    "default-src 'none'",
    `script-src ${scripts.map((s) => cspHash(s)).join(' ')}`,
    `style-src ${cspHash(STYLE)}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; '); // hashes, keywords and directive names: nothing to escape in an attribute
  const title = escapeHtml(options.title ?? `Simulation: ${report.peers} peers (${report.transport})`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${title}</h1>
<noscript><p class="note">The charts need JavaScript; the tables do not.</p></noscript>
${headline(report)}
<h2>Jobs</h2>
${jobsTable(report)}
<h2>Discovery</h2>
<div class="chart"><canvas id="chart-cdf" role="img" aria-label="Discovery latency CDF"></canvas></div>
${report.jobs.length === 0 ? '' : `<h2>Jobs per party</h2>\n${report.jobs.map(jobSection).join('\n')}`}
<footer>Made by <code>peermpc simulate</code>. This page loads nothing from the network; the whole
report is in it as JSON (the element <code>#${REPORT_DATA_ID}</code>).</footer>
<script type="application/json" id="${REPORT_DATA_ID}">${jsonForScript(report)}</script>
${scripts.map((s) => `<script>${s}</script>`).join('\n')}
</body>
</html>
`;
}
