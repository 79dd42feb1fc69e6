/**
 * The script of the simulation's HTML report (see report-html.ts), as the text that the page runs
 * after Chart.js: it reads the report from the page's `<script type="application/json"
 * id="sim-report">` element and draws the charts onto the canvases that the page already holds
 * (`chart-cdf`, `chart-timeline-<k>`, `chart-bytes-<k>` for the k-th job). It writes no HTML:
 * every label is drawn onto a canvas, so no text of the report can become markup. Plain ES2020,
 * kept in a string so that the bytes hashed for the page's Content-Security-Policy are exactly the
 * bytes the page runs.
 */

/** The page's chart script (runs after Chart.js, in a page whose CSP allows it by hash). */
export const REPORT_PAGE_SCRIPT = String.raw`(() => {
  'use strict';
  const report = JSON.parse(document.getElementById('sim-report').textContent);
  const PHASES = [
    ['discovery', 'discovery', '#8e6fd8'],
    ['approval', 'approval', '#e0a030'],
    ['connect', 'session', '#4a90d9'],
    ['input', 'input', '#50b080'],
    ['compute', 'compute', '#d9534f'],
    ['output', 'output', '#6c757d'],
  ];
  const num = (x) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", sans-serif';
  const title = (text) => ({ display: true, text, font: { size: 14, weight: 'bold' } });
  const axis = (text, extra) => Object.assign({ title: { display: true, text } }, extra);

  function drawCdf() {
    const canvas = document.getElementById('chart-cdf');
    if (canvas === null) return;
    const d = report.discovery;
    const xs = d.latenciesMs.map(num).sort((a, b) => a - b);
    const n = xs.length;
    const points = xs.map((x, i) => ({ x, y: (i + 1) / n }));
    const mark = (name, x, color) => ({
      label: name + ' = ' + Math.round(num(x)) + ' ms',
      data: [{ x: num(x), y: 0 }, { x: num(x), y: 1 }],
      showLine: true,
      borderColor: color,
      backgroundColor: color,
      borderDash: [6, 4],
      borderWidth: 1.5,
      pointRadius: 0,
    });
    const rate = (num(d.successRate) * 100).toFixed(1);
    new Chart(canvas, {
      type: 'scatter',
      data: {
        datasets: [
          {
            label: 'searches',
            data: points,
            showLine: true,
            stepped: true,
            borderColor: '#4a90d9',
            backgroundColor: '#4a90d9',
            borderWidth: 2,
            pointRadius: n > 100 ? 0 : 2,
          },
          mark('p50', d.p50Ms, '#50b080'),
          mark('p95', d.p95Ms, '#d9534f'),
        ],
      },
      options: {
        plugins: {
          title: title(
            'Discovery latency CDF: ' + d.found + ' of ' + d.searches + ' searches found (' + rate + ' %)',
          ),
        },
        scales: {
          x: axis('latency (ms)', { type: 'linear', min: 0 }),
          y: axis('fraction of searches answered', { min: 0, max: 1 }),
        },
      },
    });
  }

  function partyLabels(job) {
    return job.parties.map((p) => 'peer ' + p.peer + (p.peer === job.requester ? ' (requester)' : ''));
  }

  function drawTimeline(job, k) {
    const canvas = document.getElementById('chart-timeline-' + k);
    if (canvas === null) return;
    canvas.parentElement.style.height = 90 + 30 * job.parties.length + 'px';
    new Chart(canvas, {
      type: 'bar',
      data: {
        labels: partyLabels(job),
        datasets: PHASES.map(([key, label, color]) => ({
          label,
          data: job.parties.map((p) => num((p.ms || {})[key])),
          backgroundColor: color,
        })),
      },
      options: {
        indexAxis: 'y',
        plugins: { title: title('Job ' + job.index + ': phases per party') },
        scales: {
          x: axis("ms, this party's phases one after another", { stacked: true, min: 0 }),
          y: { stacked: true },
        },
      },
    });
  }

  function drawBytes(job, k) {
    const canvas = document.getElementById('chart-bytes-' + k);
    if (canvas === null) return;
    const labels = partyLabels(job).map((l, i) => l + ', ' + num(job.parties[i].rounds) + ' rounds');
    new Chart(canvas, {
      type: 'bar',
      data: {
        labels,
        datasets: [
          { label: 'bytes sent', data: job.parties.map((p) => num(p.bytesSent)), backgroundColor: '#4a90d9' },
          {
            label: 'bytes received',
            data: job.parties.map((p) => num(p.bytesReceived)),
            backgroundColor: '#e0a030',
          },
        ],
      },
      options: {
        plugins: { title: title('Job ' + job.index + ': bytes per party') },
        scales: { y: axis('bytes', { min: 0 }) },
      },
    });
  }

  drawCdf();
  report.jobs.forEach((job, k) => {
    if (job.parties.length === 0) return;
    drawTimeline(job, k);
    drawBytes(job, k);
  });
  document.body.setAttribute('data-drawn', 'true');
})();
`;
