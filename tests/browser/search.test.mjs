// The encrypted full-text search (issue 10) on the REAL build of
// example-dataroom, from file://, in Chromium and Firefox: the [role=search]
// box in the header after unlock, "/" to focus it, a 2-character name
// fragment, a phone's last four digits, a contract number, a policy phrase,
// no hit, the keyboard; only the shards a query needs are loaded; nothing of
// the query or results in storage, the address or the title; axe-core clean.
//
//   DATAROOM_BIN=target/debug/dataroom node --test tests/browser/search.test.mjs

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileUrl } from './helpers.mjs';
import { makeDrivers } from './drivers.mjs';
import { runDataroom, copyExample, REPO, ROOM, CLIENT_ID, CLIENT_NAME, CLIENT_PHONE, T, allStorage, assertStorageNamesNothing } from './example-room.mjs';

const BIN = process.env.DATAROOM_BIN ? path.resolve(process.env.DATAROOM_BIN) : path.join(REPO, 'target/debug/dataroom');
const PASSWORD = 'search 检索 password 2026 correct horse';
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const clientYaml = fs.readFileSync(path.join(ROOM, 'clients/individuals', `${CLIENT_ID}.yaml`), 'utf8');
// The client's last contract (another client's numbers differ).
const CONTRACT = [...clientYaml.matchAll(/\{id: (C-\d{4}-\d{3})/g)].pop()[1];
const POLICY = 'policies/classification';
const POLICY_PHRASE = '装箱封存';
assert.ok(fs.readFileSync(path.join(ROOM, `${POLICY}.md`), 'utf8').includes(POLICY_PHRASE));
const NO_HIT = '火星基地';

let tmp;
let url;

before(() => {
  assert.ok(fs.existsSync(BIN), `DATAROOM_BIN=${BIN} does not exist: run cargo build`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dataroom-search-'));
  fs.writeFileSync(path.join(tmp, 'pw'), `${PASSWORD}\n`);
  runDataroom(BIN, ['keygen', '--out', path.join(tmp, 'key')]);
  // The example without its audiences and NDA (one password): the per-audience
  // index is tested in Rust (search::tests, audiences::tests).
  const room = copyExample(path.join(tmp, 'room'), { audiences: false });
  const out = runDataroom(BIN, ['build', room, '--out', path.join(tmp, 'out'), '--password-file', path.join(tmp, 'pw'), '--sign-key', path.join(tmp, 'key')]);
  // `build` reports the index's size, in the room's language.
  assert.match(out, /搜索索引：\s+[\d,]+ KB，分为 \d+ 个加密分片/, out);
  url = fileUrl(path.join(tmp, 'out', 'site', 'index.html'));
});

after(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

/* Records every payload file the page loads, from before its first script. */
function instrument() {
  window.__loaded = [];
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) {
      if (n.tagName === 'SCRIPT' && /data\/[0-9a-f]{32}\.js$/.test(n.src)) window.__loaded.push(n.src.slice(-35, -3));
    }
  }).observe(document, { childList: true, subtree: true });
}

const drivers = makeDrivers(instrument);

/* The results of `query` once shown: status, groups, links (href, title, marks). */
async function search(page, D, query) {
  await page.evaluate((q) => {
    const input = document.querySelector('[role=search] input[type=search]');
    input.focus();
    input.value = q;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, query);
  return results(page, D, query);
}

async function results(page, D, query) {
  await D.wait(page, (q) => {
    const input = document.querySelector('[role=search] input[type=search]');
    const results = document.getElementById('search-results');
    return input.value === q && !results.hidden && results.getAttribute('aria-busy') === 'false';
  }, query);
  return page.evaluate(() => ({
    status: document.querySelector('#search-results [role=status]').textContent,
    groups: [...document.querySelectorAll('#search-results h2')].map((h) => h.textContent),
    links: [...document.querySelectorAll('#search-results a')].map((a) => ({
      href: a.getAttribute('href'),
      title: a.querySelector('.search-title').textContent,
      marks: [...a.querySelectorAll('mark')].map((m) => m.textContent),
      inNav: !!a.closest('nav'),
    })),
  }));
}

async function axeViolations(page) {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
  });
}

for (const [name, D] of Object.entries(drivers)) {
  const skip = D.skip();
  describe(`search in ${name} (real build of example-dataroom)`, { skip, timeout: 240000 }, () => {
    let browser;
    before(async () => { browser = await D.launch(); });
    after(async () => { if (browser) await browser.close(); });

    test('on a phone, the results lie inside the screen', async () => {
      const { context, newPage } = await D.context(browser);
      const page = await newPage();
      await D.resize(page, 390, 844);
      await page.goto(url);
      await page.waitForSelector('#password:not([disabled])');
      await D.type(page, '#password', PASSWORD);
      await page.click('#unlock-button');
      await D.wait(page, () => !document.getElementById('app').hidden && document.querySelector('#content article'));
      const found = await search(page, D, CLIENT_NAME.slice(0, 2));
      assert.ok(found.links.length > 0, JSON.stringify(found));
      const box = await page.$eval('#search-results', (r) => { const b = r.getBoundingClientRect(); return { left: b.left, right: b.right }; });
      assert.ok(box.left >= 0 && box.right <= 390, `the results (${box.left}–${box.right}px) lie within the 390px screen`);
      await context.close();
    });

    test('finds clients, contracts and policies by fragment, phone tail and number; keyboard; nothing kept', async () => {
      const { context, offsite, newPage } = await D.context(browser);
      const page = await newPage();
      await page.goto(url);
      // Before unlock there is no search box to see.
      assert.equal(await page.$eval('body', () => !!document.querySelector('[role=search]:not([hidden])')), false);
      await page.waitForSelector('#password:not([disabled])');
      await D.type(page, '#password', PASSWORD);
      await page.click('#unlock-button');
      await D.wait(page, () => !document.getElementById('app').hidden && document.querySelector('#content article'));
      const opened = await page.evaluate(() => window.__loaded.length);

      // The pinned interface: [role=search] holding input[type=search], in the page header.
      const box = await page.evaluate(() => {
        const s = document.querySelector('header [role=search]:not([hidden])');
        return s && { input: !!s.querySelector('input[type=search]'), label: s.querySelector('input').getAttribute('aria-label') };
      });
      assert.deepEqual(box, { input: true, label: T('search_label') });

      // "/" focuses it (from the page, not while typing elsewhere).
      await page.evaluate(() => document.activeElement && document.activeElement.blur());
      await page.keyboard.press('/');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'search-input');
      assert.equal(await page.$eval('#search-input', (i) => i.value), '', 'the "/" is not typed into the box');

      // A two-character name fragment finds the client, highlighted, outside <nav>.
      const fragment = CLIENT_NAME.slice(0, 2);
      let r = await search(page, D, fragment);
      const client = r.links.find((l) => l.href === `#/clients/${CLIENT_ID}`);
      assert.ok(client, `${fragment} finds ${CLIENT_ID}: ${JSON.stringify(r)}`);
      assert.ok(client.marks.includes(fragment), JSON.stringify(client));
      assert.ok(r.links.every((l) => !l.inNav));
      assert.equal(r.groups[0], T('search_group_client'));
      assert.equal(r.status, T('search_count', { count: r.links.length }));
      // Lazy: a search loads a few shards, not the whole index.
      const afterFirst = await page.evaluate(() => window.__loaded.length);
      assert.ok(afterFirst - opened <= 4, `one bigram loads at most 4 files, loaded ${afterFirst - opened}`);

      // The phone's last four digits, typed: the client is found (exact tail first).
      const tail = CLIENT_PHONE.slice(-4);
      await page.$eval('#search-input', (i) => { i.value = ''; });
      await page.focus('#search-input');
      await page.keyboard.type(tail);
      r = await results(page, D, tail);
      assert.ok(r.links.some((l) => l.href === `#/clients/${CLIENT_ID}`), JSON.stringify(r));
      assert.ok(r.links.find((l) => l.href === `#/clients/${CLIENT_ID}`).marks.includes(tail));

      // The full phone and a contract number: that client first.
      r = await search(page, D, CLIENT_PHONE);
      assert.equal(r.links[0].href, `#/clients/${CLIENT_ID}`, JSON.stringify(r));
      r = await search(page, D, CONTRACT);
      assert.equal(r.links[0].href, `#/clients/${CLIENT_ID}`, JSON.stringify(r));
      assert.ok(r.links[0].marks.includes(CONTRACT), JSON.stringify(r.links[0]));

      // A policy phrase finds the policy, under its own heading.
      r = await search(page, D, POLICY_PHRASE);
      const policy = r.links.find((l) => l.href === `#/${POLICY}`);
      assert.ok(policy && policy.marks.includes(POLICY_PHRASE), JSON.stringify(r));
      assert.ok(r.groups.includes(T('search_group_policy')), JSON.stringify(r.groups));

      // No hit: the catalogue's message; one character: asks for two.
      r = await search(page, D, NO_HIT);
      assert.deepEqual([r.status, r.links], [T('search_no_hit', { query: NO_HIT }), []]);
      r = await search(page, D, CLIENT_NAME.slice(0, 1));
      assert.equal(r.status, T('search_short'));

      // Keyboard: arrows walk the results, Enter opens one, Esc closes.
      const common = '上海'; // in many clients' addresses
      r = await search(page, D, common);
      assert.ok(r.links.length >= 2, `${common} should match more than one document`);
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowUp');
      assert.equal(await page.evaluate(() => document.activeElement.getAttribute('href')), r.links[0].href);
      await page.keyboard.press('ArrowDown');
      const second = r.links[1].href;
      assert.equal(await page.evaluate(() => document.activeElement.getAttribute('href')), second);
      if (name === 'chromium') assert.deepEqual(await axeViolations(page), [], 'results open: axe-core');
      await page.keyboard.press('Enter');
      await D.wait(page, (h) => location.hash === h && document.querySelector('#content article'), second);
      assert.equal(await page.$eval('#search-results', (e) => e.hidden), true, 'opening a result closes the list');
      await search(page, D, common);
      await page.keyboard.press('Escape');
      assert.equal(await page.$eval('#search-results', (e) => e.hidden), true, 'Esc closes the results');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'search-input');

      // Nothing of the queries in storage, the address or the title.
      const title = await page.evaluate(() => document.title + location.href);
      for (const q of [fragment, tail, CONTRACT, POLICY_PHRASE, NO_HIT]) assert.ok(!title.includes(q), `${q} in ${title}`);
      const st = await allStorage(page);
      assertStorageNamesNothing(st, 'after searching');
      for (const q of [fragment, tail, CONTRACT, POLICY_PHRASE, NO_HIT]) assert.ok(!JSON.stringify(st).includes(q), q);

      // Logout takes the box away with everything it found.
      await page.click('#logout');
      assert.equal(await page.evaluate(() => !!document.querySelector('[role=search]:not([hidden])') ||
        !!document.querySelector('#search-results a')), false);
      assert.deepEqual(offsite, []);
      await context.close();
    });
  });
}
