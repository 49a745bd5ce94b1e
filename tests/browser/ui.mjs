// Drives Debian's Chromium through the agent's debug UI, as an SRE would:
// the components list, the graph under load, a component's page, live
// debugging, then a broken edit (banner and diagnostic) and its fix.
//
// Run by tests/ui_browser.rs, which starts the agent and the load
// generator and passes, in the environment:
//   SOLDER_URL          http://127.0.0.1:PORT
//   SOLDER_CONFIG       the config file the agent watches
//   SOLDER_EXPECTED     JSON: { "<component id>": "<health state>", ... }
//   SOLDER_SCREENSHOTS  where to save PNGs
//   SOLDER_CHROMIUM     the browser (default /usr/bin/chromium)
//   SOLDER_PROFILE      a fresh, empty --user-data-dir
// Every wait polls with a generous deadline; nothing is timed. Last, the
// same pages are checked with the script blocked: they must stand alone.

import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const url = process.env.SOLDER_URL;
const configPath = process.env.SOLDER_CONFIG;
const expected = JSON.parse(process.env.SOLDER_EXPECTED || '{}');
const shots = process.env.SOLDER_SCREENSHOTS;
const WAIT = 60_000;

function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
  console.log('ok - ' + what);
}

// Replaces the config as editors do: write a new file, rename it over.
function writeConfig(text) {
  const tmp = configPath + '.tmp-ui';
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, configPath);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, name), fullPage: true });
  console.log('saved ' + name);
}

const profile = process.env.SOLDER_PROFILE;
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.SOLDER_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1440, height: 900 },
});
const original = fs.readFileSync(configPath, 'utf8');
let failed = false;
try {
  const page = browser.pages()[0] || (await browser.newPage());
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => { console.log('page error: ' + e.message); failed = true; });

  // (1, 2) Every component of the config, with its health.
  await page.goto(url + '/components');
  const ids = Object.keys(expected);
  await page.waitForFunction((want) => {
    return Object.entries(want).every(([id, state]) => {
      const row = [...document.querySelectorAll('tr[data-id]')].find((r) => r.dataset.id === id);
      return row && row.querySelector('[data-health]').textContent === state;
    });
  }, expected, { timeout: WAIT });
  const rows = await page.$$eval('tr[data-id]', (rs) => rs.map((r) => r.dataset.id));
  check(rows.length === ids.length && ids.every((id) => rows.includes(id)), `all ${ids.length} components listed`);
  for (const [id, state] of Object.entries(expected)) console.log(`ok - ${id} is ${state}`);
  await page.waitForFunction(() => [...document.querySelectorAll('[data-out]')].some((c) => /[1-9]/.test(c.textContent)),
    null, { timeout: WAIT });
  check(true, 'throughput shows on the components page');
  await shot(page, 'components.png');

  // (3) The graph: nodes, edges, and rates that rise under load.
  await page.goto(url + '/graph');
  const nodes = await page.$$eval('svg g.node', (ns) => ns.map((n) => n.dataset.id));
  check(nodes.length === ids.length && ids.every((id) => nodes.includes(id)), 'every component is a node');
  const edges = await page.$$eval('svg g.edge.data', (es) => es.map((e) => e.dataset.from + ' -> ' + e.dataset.to));
  check(edges.includes('otelcol.receiver.otlp.default -> otelcol.processor.batch.default'), 'receiver -> batch edge drawn');
  check(edges.includes('otelcol.exporter.prometheus.default -> prometheus.expose.default'), 'samples edge drawn');
  const unhealthy = Object.entries(expected).filter(([, s]) => s === 'unhealthy').map(([id]) => id);
  for (const id of unhealthy) {
    const cls = await page.$eval(`svg g.node[data-id="${id}"]`, (n) => n.getAttribute('class'));
    check(cls.includes('health-unhealthy'), `${id} is drawn unhealthy`);
  }
  const rateOf = (from, to) => page.waitForFunction(([f, t]) => {
    const e = [...document.querySelectorAll('svg g.edge')].find((g) => g.dataset.from === f && g.dataset.to === t);
    const label = e && e.querySelector('text').textContent;
    return label && /^[0-9.]+[kM]? /.test(label) && !/^0 /.test(label) && parseFloat(label) > 0 ? label : false;
  }, [from, to], { timeout: WAIT }).then((h) => h.jsonValue());
  const spans = await rateOf('otelcol.receiver.otlp.default', 'otelcol.processor.batch.default');
  check(/spans\/s/.test(spans), `receiver -> batch carries ${spans}`);
  const samples = await rateOf('otelcol.exporter.prometheus.default', 'prometheus.expose.default');
  check(/samples\/s/.test(samples), `exporter.prometheus -> expose carries ${samples}`);
  await shot(page, 'graph.png');

  // (4) Click a node: its page, with arguments in Alloy syntax.
  await Promise.all([page.waitForURL('**/component/otelcol.processor.batch.default'),
    page.click('svg g.node[data-id="otelcol.processor.batch.default"]')]);
  check((await page.textContent('h1')) === 'otelcol.processor.batch.default', 'clicking a node opens its page');
  const args = await page.textContent('pre.alloy');
  check(args.includes('output {') && args.includes('capsule("otelcol.Consumer")'), 'arguments are shown in Alloy syntax');
  check((await page.textContent('.health [data-health]')) === 'healthy', 'detail page shows health');
  await shot(page, 'component.png');
  await page.goto(url + '/component/otelcol.exporter.otlp.down');
  check((await page.textContent('pre.alloy')).includes('Authorization = (secret)'), 'secret arguments show as (secret)');
  await shot(page, 'component-unhealthy.png');

  // Live debugging: the config enables it; payloads appear.
  await page.goto(url + '/component/otelcol.processor.batch.default/live');
  await page.waitForSelector('#live .entry', { timeout: WAIT });
  check((await page.textContent('#live .entry pre')).includes('spans'), 'live debugging streams the batches');
  await page.click('#pause');
  check((await page.textContent('#live-state')) === 'paused', 'live debugging pauses');
  await shot(page, 'live.png');
  await page.click('#clear');
  check((await page.$$('#live .entry')).length === 0, 'clear empties the stream');

  // (5) A broken edit: the banner on the page we are on, then the
  // diagnostic with line, column and excerpt on the config page.
  await page.goto(url + '/graph');
  const broken = original.replace('timeout = "100ms"', 'timeout = [1 2]');
  check(broken !== original, 'the edit changes the config');
  writeConfig(broken);
  await page.waitForSelector('#banner:not([hidden])', { timeout: WAIT });
  const banner = await page.textContent('#banner');
  check(/the running config is from \d\d:\d\d:\d\d; the edit at \d\d:\d\d:\d\d failed to load: missing ',' in expression list/.test(banner),
    'the banner names the failed edit: ' + banner.trim());
  await shot(page, 'graph-banner.png');
  await page.click('#banner a');
  await page.waitForURL('**/config');
  const line = await page.textContent('.diagnostic [data-line]');
  const column = await page.textContent('.diagnostic [data-column]');
  const brokenLine = broken.split('\n').findIndex((l) => l.includes('timeout = [1 2]')) + 1;
  check(Number(line) === brokenLine, `the diagnostic names line ${line}`);
  check(Number(column) > 0, `the diagnostic names column ${column}`);
  check((await page.textContent('.diagnostic .excerpt')).includes('timeout = [1 2]'), 'the excerpt shows the broken line');
  await shot(page, 'config-failed.png');

  // (6) The fix: the banner goes, on this page and the others.
  writeConfig(original);
  await page.waitForSelector('#banner[hidden]', { state: 'attached', timeout: WAIT });
  await page.waitForFunction(() => document.querySelector('#last-reload .badge')?.textContent === 'loaded', null, { timeout: WAIT });
  check(true, 'the banner goes once the config is fixed');
  await shot(page, 'config.png');
  await page.goto(url + '/components');
  check(await page.$eval('#banner', (b) => b.hidden), 'no banner on the components page');

  // Without JavaScript every page is still whole, and reload is a form.
  await page.route('**/ui/ui.js', (route) => route.abort());
  await page.goto(url + '/components');
  const states = await page.$$eval('tr[data-id] [data-health]', (bs) => bs.map((b) => b.textContent));
  check(states.length === ids.length && states.every((s) => s !== ''), 'without JavaScript: components and health are rendered');
  await page.goto(url + '/graph');
  const labels = await page.$$eval('svg g.edge.data text', (ts) => ts.map((t) => t.textContent));
  check(labels.length >= 5 && labels.some((l) => /[1-9].*spans\/s/.test(l)), 'without JavaScript: the graph is drawn with rates');
  await page.goto(url + '/config');
  await Promise.all([page.waitForResponse((r) => r.url().endsWith('/-/reload')), page.click('form.reload button')]);
  await page.waitForFunction(() => document.querySelector('#last-reload')?.textContent.includes('trigger: http'), null, { timeout: WAIT });
  check(page.url().endsWith('/config'), 'without JavaScript: the reload form reloads and shows the result');
  await page.unroute('**/ui/ui.js');
} catch (e) {
  console.log('not ok - ' + e.message);
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
