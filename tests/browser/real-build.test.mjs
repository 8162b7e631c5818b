// The real Rust build: `dataroom build example-dataroom`, then the sealed site
// in Chromium. Runs only when DATAROOM_BIN names the built binary, e.g.
//   DATAROOM_BIN=target/debug/dataroom node --test tests/browser/

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { browserSkipReason, launchBrowser, newContext, openPage, unlock, fileUrl } from './helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOM = path.resolve(HERE, '../../example-dataroom');
const BIN = process.env.DATAROOM_BIN ? path.resolve(process.env.DATAROOM_BIN) : '';
const skip = !BIN ? 'DATAROOM_BIN is not set' : browserSkipReason();
const PASSWORD = 'browser test password 2026 correct horse';

let browser;
let tmp;
let url;

before(async () => {
  if (skip) return;
  assert.ok(fs.existsSync(BIN), `DATAROOM_BIN=${BIN} does not exist`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dataroom-real-'));
  fs.writeFileSync(path.join(tmp, 'pw'), `${PASSWORD}\n`);
  const run = (args) => execFileSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  run(['keygen', '--out', path.join(tmp, 'key')]);
  run(['build', ROOM, '--out', path.join(tmp, 'out'), '--password-file', path.join(tmp, 'pw'), '--sign-key', path.join(tmp, 'key')]);
  url = fileUrl(path.join(tmp, 'out', 'site', 'index.html'));
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('real build of example-dataroom', { skip, timeout: 180000 }, () => {
  test('unlocks, every nav route opens, attachments and a lesson work, nothing leaves the computer', async () => {
    const { context, watch } = await newContext(browser);
    const page = await openPage(context, url);
    assert.equal(await unlock(page, 'wrong password'), (await page.$eval('html', (h) => h.lang)) === 'en' ? 'Wrong password' : '密码错误');
    assert.equal(await unlock(page, PASSWORD), null);
    await page.waitForSelector('#content article h1');

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
