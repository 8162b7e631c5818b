// Issue 9 in the browser, in Chromium and Firefox, on a fixture sealed by the
// real binary with a gate (`dataroom seal-fixture`: gate, audience views):
// - the NDA comes first: until 同意 only the gate payload is loaded and
//   decrypted (script loads and AES-GCM decryptions are counted in the page);
// - the acceptance (name, audience, time, SHA-256 of SHA256SUMS) prints on one
//   A4 page with its signature lines; it is kept, encrypted, for the tab only;
// - the watermark (name, audience, date) is on every page and in print;
// - a deep link into a denied section shows "no access", not "not found";
// - a slot with its own index and gate (slot.index, slot.gate) opens those.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { makeFixture, catalogue, MARKER } from './make-fixture.mjs';
import { makeDrivers } from './drivers.mjs';

const Z = catalogue('zh-CN');
const READER = '王小明';
const STAFF = '买方客服人员';
const MANAGEMENT = '买方管理层';
const NDA = { title: '保密协议', html: `<p>NDA-BODY 双方同意对资料室内容保密。</p>` };
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let fixture;
let tmp;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dataroom-gate-'));
  fixture = await makeFixture({
    dir: path.join(tmp, 'room'),
    gate: { audience: STAFF, nda: NDA, watermark: true },
    audience: STAFF,
    denied: ['notices'],
    // The second password's audience: its own index (nothing denied) and gate (no NDA, no watermark).
    slots: [null, { gate: { audience: MANAGEMENT, watermark: false }, audience: MANAGEMENT, denied: [] }],
    manifest: true,
  });
});

after(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

/* Counts, inside the page, every payload file it loads (<script src="data/…">)
   and every AES-GCM decryption, from before the first script runs. */
function instrument() {
  window.__loaded = [];
  window.__decrypts = 0;
  const decrypt = crypto.subtle.decrypt.bind(crypto.subtle);
  crypto.subtle.decrypt = function (...args) { window.__decrypts++; return decrypt(...args); };
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) {
      if (n.tagName === 'SCRIPT' && /data\/[0-9a-f]{32}\.js$/.test(n.src)) window.__loaded.push(n.src.slice(-35, -3));
    }
  }).observe(document, { childList: true, subtree: true });
}

const drivers = makeDrivers(instrument);

/** Prints the page to an A4 PDF; returns the text of each page (poppler;
 *  `-raw` keeps the watermark's rotated text in one piece). */
async function printPages(page, name, mode = '-layout') {
  const pdf = path.join(tmp, `${name}.pdf`);
  fs.writeFileSync(pdf, await page.pdf({ format: 'A4', printBackground: true }));
  const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [pdf], { encoding: 'utf8' }))[1]);
  const texts = [];
  for (let i = 1; i <= pages; i++) texts.push(execFileSync('pdftotext', ['-f', String(i), '-l', String(i), mode, pdf, '-'], { encoding: 'utf8' }));
  return texts;
}

const flat = (s) => s.replace(/\s+/g, '');

async function axeViolations(page) {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
  });
}

for (const [name, D] of Object.entries(drivers)) {
  const skip = D.skip();
  describe(`the NDA gate, the watermark and denied sections in ${name}`, { skip, timeout: 240000 }, () => {
    let browser;
    before(async () => { browser = await D.launch(); });
    after(async () => { if (browser) await browser.close(); });

    async function unlockWith(page, password) {
      await page.waitForSelector('#password:not([disabled])');
      await D.type(page, '#password', password);
      await page.click('#unlock-button');
      await D.wait(page, () => !document.getElementById('app').hidden && document.querySelector('#content article'));
    }

    test('NDA before anything else; acceptance printable, kept encrypted for the tab; watermark; no access', async () => {
      const { context, offsite, newPage } = await D.context(browser);
      const page = await newPage();
      // A deep link into a section this audience does not see, opened before unlocking.
      await page.goto(`${fixture.url}#/notices/letters`);
      await unlockWith(page, fixture.password);

      // The NDA, and nothing of the room: only the gate was loaded and decrypted.
      await D.wait(page, () => document.querySelector('#content .nda-gate #nda-name'));
      const gateView = await page.evaluate(() => ({
        text: document.querySelector('#content').textContent,
        nav: document.getElementById('nav').innerHTML,
        title: document.getElementById('room-title').textContent,
        loaded: window.__loaded.slice(),
        decrypts: window.__decrypts,
        slotKeys: window.DATAROOM_HEADER.slots[0].keys.length,
      }));
      assert.ok(gateView.text.includes('NDA-BODY') && gateView.text.includes(NDA.title), gateView.text);
      assert.ok(gateView.text.includes(Z('nda_agree')) && gateView.text.includes(STAFF));
      assert.equal(gateView.nav, '', 'no navigation before acceptance');
      assert.equal(gateView.title, '', 'no room title before acceptance');
      assert.deepEqual(gateView.loaded, [fixture.gateId], 'only the gate payload file is loaded before 同意');
      // The first slot's keys unwrapped (it is this password's: one key per set
      // of readers it belongs to) and the gate: nothing else.
      assert.ok(gateView.slotKeys >= 1);
      assert.equal(gateView.decrypts, gateView.slotKeys + 1, 'nothing but the key slot and the gate is decrypted before 同意');
      assert.equal(await page.$eval('#nda-accept', (b) => b.textContent), Z('nda_accept'));

      // 同意 without a name or the tick is refused, in the catalogue's words.
      await page.click('#nda-accept');
      assert.equal(await page.$eval('#nda-error', (e) => e.textContent), Z('nda_name_required'));
      await D.type(page, '#nda-name', READER);
      await page.click('#nda-accept');
      assert.equal(await page.$eval('#nda-error', (e) => e.textContent), Z('nda_agree_required'));
      assert.deepEqual(await page.evaluate(() => window.__loaded.slice()), [fixture.gateId]);
      if (name === 'chromium') assert.deepEqual(await axeViolations(page), [], 'NDA view: axe-core');
      await page.click('#nda-agree');
      await page.click('#nda-accept');

      // The acceptance: name, audience, time, manifest hash; one A4 page with signature lines.
      await D.wait(page, () => document.querySelector('#content .acceptance-record .acceptance-manifest'));
      const record = await page.$eval('#content .acceptance-record', (r) => r.textContent);
      for (const words of [READER, STAFF, NDA.title, fixture.manifestSha256, Z('acceptance_sign_reader'), Z('acceptance_sign_seller')]) {
        assert.ok(record.includes(words), `${words} in the acceptance: ${record}`);
      }
      assert.ok(fixture.manifestSha256.length === 64);
      if (name === 'chromium') assert.deepEqual(await axeViolations(page), [], 'acceptance view: axe-core');
      const sheet = await printPages(page, `${name}-acceptance`);
      assert.equal(sheet.length, 1, `the acceptance prints on one A4 page:\n${sheet.join('\n\f\n')}`);
      // (Firefox's PDFs map some CJK glyphs to no text, so poppler cannot read them back.)
      if (name === 'chromium') for (const words of [READER, STAFF, Z('acceptance_title'), Z('acceptance_sign_reader'), Z('acceptance_sign_seller')]) {
        assert.ok(flat(sheet[0]).includes(flat(words)), `${words} on the printed acceptance:\n${sheet[0]}`);
      }

      // The watermark: reader, audience, date; never in the way; hidden from screen readers; printed.
      const today = new Date();
      const ymd = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`;
      const mark = await page.$eval('#watermark', (w) => ({
        text: w.querySelector('span').getAttribute('data-mark'),
        shown: getComputedStyle(w.querySelector('span'), '::before').content, hidden: w.getAttribute('aria-hidden'), pointer: getComputedStyle(w).pointerEvents, position: getComputedStyle(w).position,
      }));
      assert.ok(mark.text.includes(READER) && mark.text.includes(STAFF) && mark.text.includes(ymd), mark.text);
      // Chromium computes the generated text, Firefox keeps attr(data-mark).
      assert.ok([JSON.stringify(mark.text), 'attr(data-mark)'].includes(mark.shown), `the mark is shown (CSS generated content): ${mark.shown}`);
      assert.equal(mark.hidden, 'true');
      assert.equal(mark.pointer, 'none');
      assert.equal(mark.position, 'fixed');

      // Into the room: the deep link shows "no access", not "not found".
      await page.click('.acceptance-continue');
      await D.wait(page, () => document.querySelector('#content article.no-access h1'));
      assert.equal(await page.$eval('#content article h1', (h) => h.textContent), Z('no_access'));
      assert.ok(!(await page.$eval('#content article', (a) => a.textContent)).includes(Z('not_found')));
      assert.ok((await page.$eval('#nav', (n) => n.textContent)).length > 0, 'the navigation comes from the index');
      assert.ok((await page.$eval('#acceptance-button', (b) => b.textContent)).includes(READER));

      // A page of the room, printed: the watermark is on it.
      await page.evaluate(() => { location.hash = '#/clients/HX-00010'; });
      await D.wait(page, () => document.querySelector('#content .client .secret'));
      if (D.print) {
        await D.print(page, true);
        assert.notEqual(await page.$eval('#watermark', (w) => getComputedStyle(w).display), 'none', 'watermark in print media');
        await D.print(page, false);
      }
      const printed = await printPages(page, `${name}-client`, '-raw');
      // The date is the part of the mark every browser's PDF keeps as text.
      const marked = name === 'chromium' ? READER : ymd;
      assert.ok(printed.every((p) => flat(p).includes(marked)), `${marked} (watermark) on every printed page:\n${printed.join('\n\f\n')}`);

      // Storage: the acceptance is in this tab's sessionStorage, encrypted; nothing names the reader.
      const stored = await page.evaluate(() => {
        const all = (s) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => [s.key(i), s.getItem(s.key(i))]));
        return { session: all(sessionStorage), local: all(localStorage) };
      });
      const storedText = JSON.stringify(stored);
      for (const secret of [READER, STAFF, MANAGEMENT, NDA.title, 'NDA-BODY', MARKER, fixture.manifestSha256, fixture.room]) {
        assert.ok(!storedText.includes(secret), `storage names ${secret}: ${storedText}`);
      }
      assert.equal(Object.keys(stored.session).length, 1, 'one sessionStorage entry: the acceptance');
      assert.match(Object.keys(stored.session)[0], /^dataroom-[0-9a-f]{32}$/);

      // Reload + password: no form again, and the room still shows who accepted.
      await page.reload();
      await unlockWith(page, fixture.password);
      await D.wait(page, () => document.querySelector('#content .client, #content .nda-gate'));
      assert.equal(await page.$('#content .nda-gate'), null, 'the acceptance holds for this tab');
      assert.ok((await page.$eval('#acceptance-button', (b) => b.textContent)).includes(READER));
      assert.ok((await page.$eval('#watermark span', (w) => w.getAttribute('data-mark'))).includes(READER));

      // Another tab has no acceptance: the form again.
      const other = await newPage();
      await other.goto(fixture.url);
      await unlockWith(other, fixture.password);
      await D.wait(other, () => document.querySelector('#content .nda-gate'));
      assert.deepEqual(await other.evaluate(() => window.__loaded.slice()), [fixture.gateId]);

      // Logout forgets the reader on the page.
      await page.click('#logout');
      assert.equal(await page.$('#watermark'), null);
      assert.equal(await page.$('#acceptance-button'), null);
      assert.deepEqual(offsite, []);
      await context.close();
    });

    test('a slot with its own index and gate: no NDA, no watermark, nothing denied', async () => {
      const { context, offsite, newPage } = await D.context(browser);
      const page = await newPage();
      await page.goto(`${fixture.url}#/notices/letters`);
      await unlockWith(page, fixture.password2);
      await D.wait(page, () => document.querySelector('#content article h1'));
      assert.equal(await page.$('#content .nda-gate'), null);
      assert.equal(await page.$('#watermark'), null);
      assert.equal(await page.$('#content article.no-access'), null, 'this audience sees the notices');
      const loaded = await page.evaluate(() => window.__loaded.slice());
      const own = fixture.slots[1];
      assert.ok(own.index && own.gate && own.index !== fixture.indexId && own.gate !== fixture.gateId);
      assert.deepEqual(loaded.slice(0, 2), [own.gate, own.index], 'its own gate, then its own index');
      assert.ok(!loaded.includes(fixture.gateId) && !loaded.includes(fixture.indexId));
      assert.deepEqual(offsite, []);
      await context.close();
    });
  });
}
