// Browser benchmark of a sealed room (issue 10): how long a buyer waits in
// headless Chromium, from file://, for unlock, the clients and payments
// indexes and one client page. Results and how they were taken: BENCHMARKS.md
// ("In the browser").
//
//   benches/browser.sh 10000                 # generate, build and measure a 10k room
//   node benches/browser.mjs --site OUT/site --password-file PW [--runs 7] [--clients 10000]
//
// Each run opens a fresh browser context (nothing cached, no keys kept) and
// times, from the Node side of the DevTools connection:
//   unlock     click on Unlock → the home page's <h1> shown
//   #/clients  location.hash set → the clients index's <article> shown
//   #/payments the same for the payments index
//   client     the same for #/clients/GEN-…, a different client each run
// each step ending after two animation frames (layout and paint done). It
// prints p50 and p95 (nearest rank) per step as a Markdown table.
//
// Needs Chromium (Debian's /usr/bin/chromium, or $CHROMIUM) and the browser
// tests' npm packages (`npm ci` in tests/browser).

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchBrowser, fileUrl } from '../tests/browser/helpers.mjs';

const { values: args } = parseArgs({
  options: {
    site: { type: 'string' },
    'password-file': { type: 'string' },
    runs: { type: 'string', default: '7' },
    clients: { type: 'string' },
  },
});
if (!args.site || !args['password-file']) {
  console.error('usage: node benches/browser.mjs --site OUT/site --password-file PW [--runs 7] [--clients N]');
  process.exit(2);
}
const site = path.resolve(args.site);
const password = fs.readFileSync(args['password-file'], 'utf8').split('\n')[0];
const runs = Number(args.runs);
const clients = Number(args.clients || 0);

/** `#/clients/GEN-000123`: generated rooms number their clients from 1 (examples/gen_room.rs). */
function clientRoute(run) {
  const n = clients ? 1 + ((run * 7919 + 17) % clients) : 1;
  return `#/clients/GEN-${String(n).padStart(6, '0')}`;
}

/** Resolves once the page has laid out and painted what it shows. */
const painted = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

/** Sets the route and waits for a new <article> (not the loading notice) in #content. Returns ms. */
async function timeRoute(page, route, timeout = 300000) {
  await page.evaluate(() => { window.__benchBefore = document.querySelector('#content > *'); });
  const start = performance.now();
  await page.evaluate((r) => { location.hash = r; }, route);
  await page.waitForFunction(() => {
    const first = document.querySelector('#content > *');
    return first && first !== window.__benchBefore && document.querySelector('#content article h1');
  }, null, { timeout, polling: 'raf' });
  await painted(page);
  return performance.now() - start;
}

async function timeUnlock(page) {
  await page.goto(fileUrl(path.join(site, 'index.html')));
  await page.waitForSelector('#password:not([disabled])');
  await page.fill('#password', password);
  const start = performance.now();
  await page.click('#unlock-form button[type=submit]');
  await page.waitForSelector('#content article h1', { timeout: 120000 });
  await painted(page);
  return performance.now() - start;
}

/** Nearest-rank percentile of `xs` (ms). */
function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

const browser = await launchBrowser();
if (!browser) throw new Error('Chromium not found (see tests/browser/helpers.mjs)');
const steps = { unlock: [], '#/clients': [], '#/payments': [], client: [] };
try {
  for (let run = 0; run < runs; run++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    steps.unlock.push(await timeUnlock(page));
    steps['#/clients'].push(await timeRoute(page, '#/clients'));
    steps['#/payments'].push(await timeRoute(page, '#/payments'));
    steps.client.push(await timeRoute(page, clientRoute(run)));
    await context.close();
    console.error(`run ${run + 1}/${runs}: ${Object.entries(steps).map(([k, v]) => `${k} ${v[run].toFixed(0)} ms`).join(', ')}`);
  }
} finally {
  await browser.close();
}

const ms = (x) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);
console.log(`| step (${runs} runs${clients ? `, ${clients.toLocaleString('en')} clients` : ''}) | p50 | p95 |`);
console.log('|---|---:|---:|');
for (const [step, xs] of Object.entries(steps)) console.log(`| ${step} | ${ms(percentile(xs, 50))} | ${ms(percentile(xs, 95))} |`);
