/**
 * The simulation's HTML report (issue 18): from a fixed report whose dataset names, labels and
 * error are hostile markup, the page holds the whole report as JSON that parses back to it, shows
 * the headline numbers, escapes the hostile text everywhere (it is text, never markup, and cannot
 * close a script element), and its CSP allows exactly its inline scripts and style by hash and no
 * network. Then in a real headless Chromium (test/helpers/browser.ts), opened from disk with every
 * other request refused and the browser offline: no console error, no CSP violation, no request,
 * every chart's canvas drawn, the hostile name shown as text; a screenshot and the page are saved
 * under test-artifacts/sim/.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { percentile, type SimReport } from '../../src/sim/report.js';
import {
  chartJsSource,
  cspHash,
  jsonForScript,
  REPORT_DATA_ID,
  renderSimReportHtml,
} from '../../src/sim/report-html.js';
import { REPORT_PAGE_SCRIPT } from '../../src/sim/report-html-script.js';
import { cspProblem, findChromium, launchBrowser, watchPage } from '../helpers/browser.js';

/** A dataset name as a hostile scenario or peer could write it. */
const HOSTILE = '</script><img src=x onerror=alert(1)>';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/sim/', import.meta.url));

/** A report of 8 peers: 40 searches (2 not found), a rep3 job over 4 parties, a failed job, churn. */
function fixture(): SimReport {
  const latenciesMs = Array.from({ length: 40 }, (_, i) => 40 + ((i * 37) % 40) * 9.5);
  const party = (peer: number, scale: number): SimReport['jobs'][number]['parties'][number] => ({
    peer,
    ms: { discovery: 12 * scale, approval: 30, connect: 80, input: 150, compute: 400 * scale, output: 20 },
    bytesSent: Math.round(20_000 * scale),
    bytesReceived: Math.round(18_000 * scale),
    rounds: 14,
  });
  return {
    peers: 8,
    transport: 'memory',
    seed: 4,
    startMs: 812.4,
    connectedMs: 1430.9,
    rssMiB: 301.2,
    discovery: {
      searches: 40,
      found: 38,
      successRate: 0.95,
      skipped: 2,
      p50Ms: percentile(latenciesMs, 50),
      p95Ms: percentile(latenciesMs, 95),
      maxMs: Math.max(...latenciesMs),
      latenciesMs,
    },
    jobs: [
      {
        index: 0,
        requester: 7,
        datasets: ['data-0', HOSTILE, 'data-2\u2028\u2029&amp;'],
        protocol: 'rep3',
        state: 'done',
        startMs: 0,
        ms: 2310.5,
        result: [{ name: 'mean', shape: [2], values: [54.1, 135.2], labels: [[HOSTILE, 'sbp']] }],
        correct: true,
        maxError: 1.2e-5,
        parties: [party(7, 0.5), party(0, 1), party(1, 1.2), party(2, 0.9)],
      },
      {
        index: 1,
        requester: 6,
        datasets: ['data-1'],
        protocol: 'additive',
        state: 'failed',
        error: `party 3 said <b>no</b> & ${HOSTILE}`,
        startMs: 500,
        ms: 900,
        parties: [],
      },
    ],
    churn: [{ at: 300, peer: 5, action: 'leave', appliedMs: 301.2 }],
  };
}

const report = fixture();
const html = renderSimReportHtml(report);

/** The page's script elements: their attributes and text. */
function scripts(page: string): { attrs: string; text: string }[] {
  return [...page.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)].map((m) => ({
    attrs: m[1]!,
    text: m[2]!,
  }));
}

/** The page's CSP, directive by directive. */
function csp(page: string): Map<string, string[]> {
  const content = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(page)?.[1];
  assert.ok(content !== undefined, 'a CSP meta tag');
  assert.is(cspProblem(content), undefined);
  return new Map(
    content
      .split(';')
      .map((d) => d.trim().split(/\s+/) as [string, ...string[]])
      .map(([n, ...v]) => [n, v]),
  );
}

test('the page holds the whole report as JSON, and the headline numbers as text', () => {
  const data = scripts(html).filter((s) => s.attrs.includes('application/json'));
  assert.is(data.length, 1);
  assert.match(data[0]!.attrs, `id="${REPORT_DATA_ID}"`);
  assert.equal(JSON.parse(data[0]!.text), report);
  for (const text of ['8 peers (memory)', 'time to a connected network', '1,431 ms', '301 MiB', '95.0 %'])
    assert.ok(html.includes(text), text);
  assert.ok(html.includes('38 / 40, 2 skipped'));
  assert.ok(
    html.includes(`${Math.round(report.discovery.p50Ms)} ms / ${Math.round(report.discovery.p95Ms)} ms`),
  );
  assert.ok(html.includes('1 of 1 checked'), 'jobs matching the plaintext');
  for (const id of ['chart-cdf', 'chart-timeline-0', 'chart-bytes-0'])
    assert.ok(html.includes(`id="${id}"`), id);
  assert.not.ok(html.includes('chart-timeline-1'), 'a job without parties has no charts');
  assert.ok(REPORT_PAGE_SCRIPT.includes(`getElementById('${REPORT_DATA_ID}')`));
});

test('hostile text is escaped everywhere: it never closes a script or becomes markup', () => {
  assert.not.ok(html.includes(HOSTILE));
  assert.not.match(html, /<img/i);
  assert.not.match(html, /<b>no/);
  const data = scripts(html).find((s) => s.attrs.includes('application/json'))!.text;
  assert.not.ok(/[\u2028\u2029<>&]/.test(data), 'no raw <, >, &, U+2028 or U+2029 in the JSON');
  assert.is(html.match(/<\/script/gi)!.length, 3, 'three script elements, each closed once');
  assert.is(scripts(html).length, 3);
  assert.ok(html.includes('&#60;/script&#62;&#60;img src=x onerror=alert(1)&#62;'), 'as text in the tables');
  assert.ok(html.includes('\\u003c/script\\u003e\\u003cimg'), 'as \\u escapes in the JSON');
  const json = jsonForScript({ s: '<>&\u2028\u2029</script><!--' });
  assert.not.match(json, /[<>&\u2028\u2029]/);
  assert.equal(JSON.parse(json), { s: '<>&\u2028\u2029</script><!--' });
});

test('the CSP allows exactly the inline scripts and the style by hash, and no network', () => {
  const policy = csp(html);
  const run = scripts(html).filter((s) => !s.attrs.includes('type='));
  assert.is(run.length, 2, 'Chart.js and the page script');
  assert.is(run[0]!.text, chartJsSource());
  assert.is(run[1]!.text, REPORT_PAGE_SCRIPT);
  assert.equal(policy.get('script-src')?.sort(), run.map((s) => cspHash(s.text)).sort());
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
  assert.equal(policy.get('style-src'), [cspHash(style)]);
  assert.equal(policy.get('default-src'), ["'none'"]);
  assert.equal(policy.get('base-uri'), ["'none'"]);
  assert.not.match(html.replace(chartJsSource(), ''), /https?:\/\//, 'no URL but in Chart.js');
  assert.not.match(chartJsSource(), /sourceMappingURL/);
});

test('in Chromium from disk, offline: no errors or requests, every chart drawn, the name as text', async () => {
  findChromium(); // fails at once, saying to install the chromium package, when there is none
  const dir = mkdtempSync(join(tmpdir(), 'peermpc-report-html-'));
  const file = join(dir, 'report.html');
  writeFileSync(file, html);
  mkdirSync(ARTIFACTS, { recursive: true });
  copyFileSync(file, join(ARTIFACTS, 'report.html'));
  const url = pathToFileURL(file).href;
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    await context.setOffline(true);
    const requests: string[] = [];
    await context.route('**/*', (route) => {
      if (route.request().url() === url) return route.continue();
      requests.push(route.request().url());
      return route.abort();
    });
    const w = await watchPage(context);
    const dialogs: string[] = [];
    w.page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    w.page.on('request', (r) => void (r.url() === url || requests.push(r.url())));
    try {
      await w.page.goto(url, { waitUntil: 'load' });
      await w.page.waitForSelector('body[data-drawn="true"]', { timeout: 15_000 });
      const drawn = await w.page.$$eval('canvas', (cs) =>
        cs.map((c) => {
          const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
          let inked = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) inked++;
          return { id: c.id, width: c.width, inked };
        }),
      );
      assert.equal(
        drawn.map((c) => c.id),
        ['chart-cdf', 'chart-timeline-0', 'chart-bytes-0'],
      );
      for (const c of drawn) assert.ok(c.width > 100 && c.inked > 2_000, `${c.id}: ${c.inked} pixels drawn`);
      assert.is(await w.page.locator('img').count(), 0);
      assert.ok((await w.page.locator('td', { hasText: HOSTILE }).count()) >= 2, 'the name and the error');
      assert.ok((await w.page.locator('h3', { hasText: HOSTILE }).count()) === 1);
      await w.page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
      w.assertClean('the HTML report');
      assert.equal(requests, [], 'no request but the file');
      assert.equal(dialogs, [], 'no dialog');
    } catch (err) {
      throw new Error(`${(err as Error).message}\n  ${await w.describe('sim-report')}`, { cause: err });
    }
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
