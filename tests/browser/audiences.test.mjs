// Issue 9 on the real build: the example room as it ships, with its two
// audiences (买方管理层 sees all, 买方客服人员 a masked part) and its NDA,
// built by the real binary, opened from file:// in Chromium and Firefox:
// - the NDA comes before any content, the watermark after;
// - the service staff's navigation has no 合同协议 / 支付记录 / 移交文件, a deep
//   link to a contract route shows "no access" (not an error), its client
//   pages show masked phones;
// - management sees everything.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeDrivers } from './drivers.mjs';
import { fileUrl, NDA_READER as READER } from './helpers.mjs';
import { REPO, ROOM, CLIENT_ID, CLIENT_PHONE, T, PASSWORDS, AUDIENCE_NAMES, NDA_TITLE, runDataroom, buildExample } from './example-room.mjs';

const BIN = process.env.DATAROOM_BIN ? path.resolve(process.env.DATAROOM_BIN) : path.join(REPO, 'target/debug/dataroom');
const STAFF = AUDIENCE_NAMES['service-staff'];
const BOARD = AUDIENCE_NAMES.management;

let tmp;
let url;

before(() => {
  assert.ok(fs.existsSync(BIN), `the dataroom binary ${BIN} exists (set DATAROOM_BIN)`);
  assert.ok(STAFF && BOARD, `the example names its two audiences: ${JSON.stringify(AUDIENCE_NAMES)}`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dataroom-audiences-'));
  runDataroom(BIN, ['keygen', '--out', path.join(tmp, 'key')]);
  buildExample(BIN, ROOM, path.join(tmp, 'out'), path.join(tmp, 'key'));
  url = fileUrl(path.join(tmp, 'out', 'site', 'index.html'));
});

after(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

const drivers = makeDrivers(null);

for (const [name, D] of Object.entries(drivers)) {
  const skip = D.skip();
  describe(`audiences on the real build in ${name}`, { skip, timeout: 240000 }, () => {
    let browser;
    before(async () => { browser = await D.launch(); });
    after(async () => { if (browser) await browser.close(); });

    /** Unlocks with `password`; returns the page at the NDA form. */
    async function atTheNda(password, size = null) {
      const { context, offsite, newPage } = await D.context(browser);
      const page = await newPage();
      if (size) await D.resize(page, size.width, size.height);
      await page.goto(url);
      await page.waitForSelector('#password:not([disabled])');
      await D.type(page, '#password', password);
      await page.click('#unlock-button');
      await D.wait(page, () => document.querySelector('#content .nda-gate #nda-name'));
      return { context, offsite, page };
    }

    async function accept(page) {
      await D.type(page, '#nda-name', READER);
      await page.click('#nda-agree');
      await page.click('#nda-accept');
      await D.wait(page, () => document.querySelector('#content .acceptance-record'));
      await page.click('.acceptance-continue');
      await D.wait(page, () => document.querySelector('#content article h1') && !document.querySelector('#content .acceptance-record'));
    }

    const navText = (page) => page.$eval('#nav', (n) => n.textContent);
    const h1 = (page) => page.$eval('#content article h1', (h) => h.textContent.trim());
    async function go(page, route) {
      await page.evaluate((r) => { location.hash = r; }, route);
      await D.wait(page, (r) => location.hash === r && document.querySelector('#content article h1'), route);
    }

    test('on a phone, the acceptance opens at its top, not where the long NDA was scrolled to', async () => {
      const { context, page } = await atTheNda(PASSWORDS['service-staff'], { width: 390, height: 844 });
      await D.type(page, '#nda-name', READER);
      await page.click('#nda-agree');
      await page.click('#nda-accept');
      await D.wait(page, () => document.querySelector('#content .acceptance-record'));
      const [cardTop, barBottom] = await page.evaluate(() => [
        document.querySelector('#content .acceptance-page').getBoundingClientRect().top,
        document.querySelector('header.topbar').getBoundingClientRect().bottom]);
      const scrollY = await page.evaluate(() => window.scrollY);
      assert.ok(cardTop >= barBottom, `(scrollY ${scrollY}) the acceptance card's top (${cardTop}px) is below the top bar (${barBottom}px), not under it`);
      await context.close();
    });

    test('service staff: NDA first, then the watermark; no contracts, payments or handover; masked phones', async () => {
      const { context, offsite, page } = await atTheNda(PASSWORDS['service-staff']);
      assert.equal(await navText(page), '', 'no navigation before the NDA is accepted');
      assert.equal(await page.$('#watermark'), null, 'no watermark before acceptance');
      const nda = await page.$eval('#content .nda-gate', (g) => g.textContent);
      assert.ok(nda.includes(STAFF), 'the NDA names the audience');
      assert.equal(await page.$eval('#nda-title', (h) => h.textContent), NDA_TITLE, "the NDA is the room's own policies/nda.md");
      assert.ok(!nda.includes(CLIENT_PHONE), 'no client data on the NDA screen');

      await accept(page);
      const mark = await page.$eval('#watermark span', (w) => w.getAttribute('data-mark'));
      assert.ok(mark.includes(READER) && mark.includes(STAFF), `watermark: ${mark}`);

      const nav = await navText(page);
      for (const key of ['contracts', 'payments', 'handover_documents']) {
        assert.ok(!nav.includes(T(key)), `staff nav has no ${T(key)}: ${nav}`);
      }
      assert.ok(nav.includes(T('policies')), `staff nav has the policies: ${nav}`);

      for (const route of ['#/contracts', '#/payments', '#/handover/confirmation']) {
        await go(page, route);
        assert.equal(await h1(page), T('no_access'), `${route} shows no access`);
        assert.equal(await page.$('#content .error-page'), null, `${route} is not an error`);
      }

      await go(page, `#/clients/${CLIENT_ID}`);
      const client = await page.$eval('#content article', (a) => a.textContent);
      const masked = `${CLIENT_PHONE.slice(0, 3)}****${CLIENT_PHONE.slice(-4)}`;
      assert.ok(client.includes(masked), `the phone is masked (${masked})`);
      assert.ok(!client.replace(/\s/g, '').includes(CLIENT_PHONE), 'the full phone is not on the staff page');
      assert.ok(!client.includes(T('contracts')), 'no contract section on the staff client page');

      await context.close();
      assert.deepEqual(offsite, []);
    });

    test('management: NDA, then everything', async () => {
      const { context, page } = await atTheNda(PASSWORDS.management);
      await accept(page);
      const mark = await page.$eval('#watermark span', (w) => w.getAttribute('data-mark'));
      assert.ok(mark.includes(BOARD), `watermark names management: ${mark}`);
      const nav = await navText(page);
      for (const key of ['contracts', 'payments', 'handover_documents']) {
        assert.ok(nav.includes(T(key)), `management nav has ${T(key)}`);
      }
      await go(page, '#/contracts');
      assert.notEqual(await h1(page), T('no_access'));
      await go(page, `#/clients/${CLIENT_ID}`);
      const client = await page.$eval('#content article', (a) => a.textContent.replace(/\s/g, ''));
      assert.ok(client.includes(CLIENT_PHONE), 'management sees the full phone');
      await context.close();
    });
  });
}
