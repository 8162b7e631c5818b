// The real Rust build: `dataroom build example-dataroom` with its two
// audiences' passwords, then the sealed site in Chromium as each audience
// opens it (password, NDA, content). Runs only when DATAROOM_BIN names the
// built binary, e.g.
//   DATAROOM_BIN=target/debug/dataroom node --test tests/browser/

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { browserSkipReason, launchBrowser, newContext, openPage, unlock, fileUrl } from './helpers.mjs';
import { ROOM, PASSWORDS, runDataroom, buildExample } from './example-room.mjs';

const BIN = process.env.DATAROOM_BIN ? path.resolve(process.env.DATAROOM_BIN) : '';
const skip = !BIN ? 'DATAROOM_BIN is not set' : browserSkipReason();

let browser;
let tmp;
let url;

before(async () => {
  if (skip) return;
  assert.ok(fs.existsSync(BIN), `DATAROOM_BIN=${BIN} does not exist`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dataroom-real-'));
  runDataroom(BIN, ['keygen', '--out', path.join(tmp, 'key')]);
  buildExample(BIN, ROOM, path.join(tmp, 'out'), path.join(tmp, 'key'));
  url = fileUrl(path.join(tmp, 'out', 'site', 'index.html'));
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('real build of example-dataroom', { skip, timeout: 180000 }, () => {
  for (const [audience, password] of Object.entries(PASSWORDS)) test(`${audience}: unlocks, accepts the NDA, every nav route opens, attachments and a lesson work, nothing leaves the computer`, async () => {
    const { context, watch } = await newContext(browser);
    const page = await openPage(context, url);
    assert.equal(await unlock(page, 'wrong password'), (await page.$eval('html', (h) => h.lang)) === 'en' ? 'Wrong password' : '密码错误');
    assert.equal(await unlock(page, password), null);
    await page.waitForSelector('#content article h1');
    assert.ok(await page.$('#watermark'), 'the accepted NDA leaves a watermark');

    const routes = await page.$$eval('#nav a[href^="#/"]', (as) => as.map((a) => a.getAttribute('href')));
    assert.ok(routes.length > 5, 'the navigation lists the room');
    const broken = [];
    const files = new Set();
    for (const r of routes) {
      await page.goto(url + r);
      await page.waitForSelector('#content article');
      if (await page.$('#content .error-page, #content .not-found')) broken.push(r);
      for (const f of await page.$$eval('#content a[href^="#/file/"]', (as) => as.map((a) => a.getAttribute('href')))) files.add(f);
    }
    assert.deepEqual(broken, [], 'every route decrypts');

    for (const f of [...files].slice(0, 3)) {
      await page.goto(url + f);
      await page.waitForSelector('#content .file-page, #content .error-page');
      assert.equal(await page.$('#content .error-page'), null, `${f} decrypts`);
      assert.match(await page.$eval('a.file-download', (a) => a.href), /^blob:/);
    }

    const lesson = routes.find((r) => r.includes('training/'));
    if (lesson) {
      await page.goto(url + lesson);
      await page.waitForSelector('#content .quiz .quiz-submit');
      await page.click('#content .quiz .quiz-submit');
      assert.match(await page.$eval('.quiz-result', (e) => e.textContent), /%/);
    }

    const csp = await watch.cspViolations();
    await context.close();
    assert.deepEqual(watch.offsite, []);
    assert.deepEqual(csp, []);
    assert.deepEqual(watch.pageErrors, []);
  });
});
