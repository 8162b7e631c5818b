// Browser benchmark of a sealed room (issue 10): how long a buyer waits in
// headless Chromium, from file://, for unlock, every index (clients,
// contracts, payments, services, the handover checklist and notices) and one
// client page. Results and how they were taken: BENCHMARKS.md
// ("In the browser").
//
//   benches/browser.sh 10000                 # generate, build and measure a 10k room
//   node benches/browser.mjs --site OUT/site --password-file PW [--runs 7] [--clients 10000] [--room ROOM]
//
// Each run opens a fresh browser context (nothing cached, no keys kept) and
// times, from the Node side of the DevTools connection:
//   unlock     click on Unlock → the home page's <h1> shown
//   #/clients  location.hash set → the clients index's <article> shown with
//              its first row drawn (the first screen of the virtual list)
//   #/contracts, #/payments, #/services, #/handover/checklist,
//   #/handover/notices: the same for the other indexes and printed forms
//   client     the same for #/clients/GEN-…, a different client each run
//   search: …  with --room (the generated room's folder, for real values):
//              the query put into the header's search box (an input event, as
//              a keystroke) → its results shown; five searches: a 2-character
//              name fragment, a phone's last 4 digits, a contract number, a
//              policy phrase, and one that finds nothing (each run's first
//              search loads its shards cold, as a buyer's would)
// each step ending after two animation frames (layout and paint done). It
// prints p50 and p95 (nearest rank) per step as a Markdown table, and the
// machine's load average before and after.
//
// Needs Chromium (Debian's /usr/bin/chromium, or $CHROMIUM) and the browser
// tests' npm packages (`npm ci` in tests/browser).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchBrowser, fileUrl } from '../tests/browser/helpers.mjs';

const { values: args } = parseArgs({
  options: {
    site: { type: 'string' },
    'password-file': { type: 'string' },
    runs: { type: 'string', default: '7' },
    clients: { type: 'string' },
    room: { type: 'string' },
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

/** The five searches, with values read from the room's own files. */
function searches(room) {
  if (!room) return [];
  const pick = (dir) => fs.readdirSync(path.join(room, dir)).filter((f) => /\.(ya?ml|md)$/.test(f)).sort();
  const clientsDir = fs.existsSync(path.join(room, 'clients/GEN-000001.yaml')) ? 'clients' : null;
  if (!clientsDir) throw new Error(`${room}/clients/GEN-000001.yaml not found: --room must be a generated room`);
  const yaml = fs.readFileSync(path.join(room, 'clients/GEN-000001.yaml'), 'utf8');
  const name = /^name:\s*"?([^"\n]+)"?/m.exec(yaml)[1];
  const phone = /phone:\s*"?(\d+)/.exec(yaml)[1];
  const contract = /id:\s*"?(C-[\w-]+)/.exec(yaml)[1];
  const policy = fs.readFileSync(path.join(room, 'policies', pick('policies')[0]), 'utf8').split(/^---$/m).pop();
  const phrase = /[\u4e00-\u9fff]{4}/.exec(policy.replace(/^#.*$/gm, ''))[0];
  return [
    ['search: name fragment', name.slice(0, 2)],
    ['search: phone tail', phone.slice(-4)],
    ['search: contract number', contract],
    ['search: policy phrase', phrase],
    ['search: no hit', '火星基地'],
  ];
}

/** Puts `query` into the search box (one input event) and waits for its results. Returns ms. */
async function timeSearch(page, query, timeout = 60000) {
  const start = performance.now();
  await page.evaluate((q) => {
    const input = document.querySelector('[role=search] input[type=search]');
    input.value = q;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, query);
  await page.waitForFunction(() => {
    const results = document.getElementById('search-results');
    return !results.hidden && results.getAttribute('aria-busy') === 'false';
  }, null, { timeout, polling: 'raf' });
  await painted(page);
  return performance.now() - start;
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
    if (!(first && first !== window.__benchBefore && document.querySelector('#content article h1'))) return false;
    // An index (or the checklist) shows its first screen when its first row is drawn.
    const lists = document.querySelectorAll('#content [data-rows]');
    return !lists.length || document.querySelector('#content [data-rows] [aria-rowindex="2"], #content [data-rows] [aria-posinset="1"]');
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

// This 2-core machine's timings follow its load: the table says what it was.
const loadBefore = os.loadavg()[0];
const browser = await launchBrowser();
if (!browser) throw new Error('Chromium not found (see tests/browser/helpers.mjs)');
const queries = searches(args.room);
const INDEXES = ['#/clients', '#/contracts', '#/payments', '#/services', '#/handover/checklist', '#/handover/notices'];
const steps = { unlock: [] };
for (const route of INDEXES) steps[route] = [];
steps.client = [];
for (const [step] of queries) steps[step] = [];
try {
  for (let run = 0; run < runs; run++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    steps.unlock.push(await timeUnlock(page));
    for (const route of INDEXES) steps[route].push(await timeRoute(page, route));
    steps.client.push(await timeRoute(page, clientRoute(run)));
    for (const [step, query] of queries) steps[step].push(await timeSearch(page, query));
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
console.log(`\nload average (1 min, ${os.cpus().length} CPUs): ${loadBefore.toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after`);
