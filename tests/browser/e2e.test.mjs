// End-to-end against the REAL Rust build of example-dataroom (a copy without
// its audiences and NDA: one password), opened from file:// in headless
// Chromium (no --allow-file-access-from-files, CSP on).
//
//   node --test tests/browser/                      # binary: target/debug/dataroom
//   DATAROOM_BIN=path/to/dataroom node --test tests/browser/e2e.test.mjs
//
// The binary must exist (run `cargo build`): a missing binary FAILS, it is
// never skipped. Needs poppler-utils (pdfinfo, pdftotext, pdftoppm) for the
// notices PDF. Screenshots and the notices PDF go to target/e2e-artifacts/
// (override: E2E_ARTIFACTS=dir) for a human to look at.

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { browserSkipReason, launchBrowser, newContext, openPage, unlock, waitForH1, fileUrl, closeWatchedContexts } from './helpers.mjs';
import { tamperSiteCopy } from './tamper.mjs';
import { REPO, ROOM, copyExample, CLIENT_ID, CLIENT_NAME, CLIENT_PHONE, CLIENT_PHONE_SHOWN, CLIENT_PDF, ROOM_TITLE, CLIENT_IDS, LESSONS, T, text, storage, allStorage, assertStorageNamesNothing, settledProgress, assertNoRoomContent } from './example-room.mjs';

const BIN = process.env.DATAROOM_BIN ? path.resolve(process.env.DATAROOM_BIN) : path.join(REPO, 'target/debug/dataroom');
const ARTIFACTS = process.env.E2E_ARTIFACTS ? path.resolve(process.env.E2E_ARTIFACTS) : path.join(REPO, 'target/e2e-artifacts');
// Non-ASCII on purpose: the Rust KDF and the browser's must agree on UTF-8/NFC.
const PASSWORD = 'e2e 移交 password 2026 correct horse';

const skip = browserSkipReason(); // throws (fails) unless DATAROOM_SKIP_BROWSER=1
if (skip) test('e2e browser tests (skipped: no Chromium)', { skip }, () => {});

// ---- build state -------------------------------------------------------------
let browser;
let tmp;
let sealedSite; // <tmp>/sealed/site
let sealedUrl;
let trainingUrl;
let roomId; // DATAROOM_HEADER.room: keys are stored under dataroom:<room>
let keyIdFromKeygen;
let verifyOut;
const contexts = [];

function run(args) {
  try {
    return execFileSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  } catch (e) {
    throw new Error(`\`dataroom ${args.join(' ')}\` failed (exit ${e.status}):\n${e.stdout || ''}\n${e.stderr || ''}`);
  }
}

function need(tool, args) {
  try {
    return execFileSync(tool, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    if (e.code === 'ENOENT') throw new Error(`${tool} is not installed: apt-get install -y poppler-utils`);
    throw new Error(`${tool} ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

function newestMtime(dir) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');
const artifact = (name) => path.join(ARTIFACTS, name);

// ---- page helpers ------------------------------------------------------------
async function ctx(options) {
  const c = await newContext(browser, options);
  contexts.push(c);
  return c.context;
}



/** Counts how often the lock screen becomes visible from now on (window.__lockShown). */
async function watchLock(page) {
  await page.evaluate(() => {
    window.__lockShown = 0;
    const lock = document.getElementById('lock');
    new MutationObserver(() => { if (!lock.hidden) window.__lockShown++; })
      .observe(lock, { attributes: true, attributeFilter: ['hidden'] });
  });
}

/** Answers every question of the quiz in `scope`: correctly (data-answer) or all wrong. */
async function answerQuiz(page, scope, correct) {
  const questions = page.locator(`${scope} fieldset.quiz-question`);
  const n = await questions.count();
  assert.ok(n > 0, `${scope} has questions`);
  for (let i = 0; i < n; i++) {
    const q = questions.nth(i);
    const answer = (await q.getAttribute('data-answer')).split(',').map((s) => s.trim());
    const values = await q.locator('input').evaluateAll((ins) => ins.map((x) => x.value));
    const pick = correct ? answer : [values.find((v) => !answer.includes(v))];
    for (const v of pick) await q.locator(`input[value="${v}"]`).check();
  }
  return n;
}

async function quizInfo(page, scope) {
  return page.$eval(scope, (q) => ({
    id: q.getAttribute('data-quiz-id'),
    pass: q.getAttribute('data-pass-mark'),
    hash: q.getAttribute('data-content-hash'),
    title: q.getAttribute('data-lesson-title'),
  }));
}

async function stubPrint(page) {
  await page.evaluate(() => { window.__printed = 0; window.print = () => { window.__printed++; }; });
}

/**
 * Passes the quiz in `scope` with 100%, prints the record for `name`; returns
 * the quiz info. `exact`: also check the wording against the theme's strings.
 */
async function passQuizAndPrint(page, scope, name, { exact = false } = {}) {
  const info = await quizInfo(page, scope);
  assert.match(info.hash, /^[0-9a-f]{64}$/, 'data-content-hash is a SHA-256');
  assert.ok(info.title, 'data-lesson-title');
  await answerQuiz(page, scope, true);
  await page.click(`${scope} button.quiz-submit`);
  const result = await text(page, `${scope} .quiz-result`);
  assert.match(result, /100%/);
  assert.match(result, / — 通过$/, 'passed');
  if (exact) assert.equal(result, `${T('quiz_score', { score: 100, pass: info.pass })} — ${T('quiz_passed')}`);
  assert.equal(await page.$eval(scope, (q) => q.getAttribute('data-passed')), 'true');
  await page.fill(`${scope} input.quiz-name`, name);
  await stubPrint(page);
  await page.click(`${scope} button.quiz-print`);
  assert.equal(await page.evaluate(() => window.__printed), 1, 'print dialog opened once');
  const rec = `${scope} .completion-record`;
  assert.equal(await page.isVisible(rec), true, '.completion-record is visible');
  const recText = await text(page, rec);
  for (const s of [info.title, name, '100%', '通过', info.hash]) assert.ok(recText.includes(s), `record contains ${s}: ${recText}`);
  assert.equal(await text(page, `${rec} .record-name`), name);
  assert.equal(await text(page, `${rec} .record-score`), '100%');
  assert.equal(await text(page, `${rec} .record-hash`), info.hash);
  assert.equal(await text(page, `${rec} .record-lesson`), info.title);
  if (exact) assert.equal(await text(page, `${rec} h2`), T('record_title'));
  // what the print dialog would have shown
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.isVisible('#print-record .completion-record'), true);
  await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
  await page.emulateMedia({ media: 'screen' });
  return info;
}

/** Copies the sealed site and flips one base64 character in every payload except `keep` (file ids). */
function tamperedCopy(name, keep) {
  const dir = path.join(tmp, name);
  const flipped = tamperSiteCopy(sealedSite, dir, keep);
  assert.ok(flipped.length > 40, `flipped ${flipped.length} payloads`);
  return { url: fileUrl(path.join(dir, 'index.html')), flipped };
}

// ---- the suite ---------------------------------------------------------------
const MISSING_BIN = `dataroom binary not found: ${BIN}. Run \`cargo build\` in ${REPO}, or set DATAROOM_BIN=/path/to/dataroom.`;
// Counted as a failure in the summary (a failing before() only cancels the tests).
test('the dataroom binary exists', () => assert.ok(fs.existsSync(BIN), MISSING_BIN));

describe('e2e: real build of example-dataroom', { skip, timeout: 120000 }, () => {
  before(() => {
    assert.ok(fs.existsSync(BIN), MISSING_BIN);
    const newest = Math.max(newestMtime(path.join(REPO, 'src')), newestMtime(path.join(REPO, 'themes')));
    if (newest > fs.statSync(BIN).mtimeMs) console.error(`# note: ${BIN} is older than src/ or themes/: run \`cargo build\` to test the current code`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dataroom-e2e-'));
    fs.writeFileSync(path.join(tmp, 'pw'), `${PASSWORD}\n`);
    const key = path.join(tmp, 'key');
    keyIdFromKeygen = /key id:\s+([0-9A-F]{16})/.exec(run(['keygen', '--out', key]))[1];
    // The sealed room with one password (its storage, deep links, tamper errors
    // and handover documents); the example's audiences and NDA, the buyer's
    // unlock → NDA → content, are audiences.test.mjs's and real-build.test.mjs's.
    const room = copyExample(path.join(tmp, 'room'), { audiences: false });
    run(['build', room, '--out', path.join(tmp, 'sealed'), '--password-file', path.join(tmp, 'pw'), '--sign-key', key]);
    run(['build', room, '--only', 'training', '--out', path.join(tmp, 'training'), '--sign-key', key]);
    // verify speaks the sealed room's language (zh-CN) unless told: this test reads its English lines.
    verifyOut = run(['verify', '--lang', 'en', path.join(tmp, 'sealed')]);
    sealedSite = path.join(tmp, 'sealed', 'site');
    sealedUrl = fileUrl(path.join(sealedSite, 'index.html'));
    trainingUrl = fileUrl(path.join(tmp, 'training', 'site', 'index.html'));
    const header = fs.readFileSync(path.join(sealedSite, 'data', 'header.js'), 'utf8');
    roomId = JSON.parse(header.slice(header.indexOf('{'), header.lastIndexOf('}') + 1)).room;
    fs.rmSync(ARTIFACTS, { recursive: true, force: true });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  });

  before(async () => { browser = await launchBrowser(); });

  after(async () => {
    if (browser) await browser.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  afterEach(() => closeWatchedContexts(contexts, assert));

  // ---------------------------------------------------------------- seal --
  describe('seal', () => {
    test('wrong password: error shown, #content empty, no client data in the DOM, nothing stored', async () => {
      const page = await openPage(await ctx(), sealedUrl);
      assert.equal(await unlock(page, 'not the password'), '密码错误');
      assert.equal(await page.$eval('#content', (c) => c.innerHTML), '');
      assert.equal(await page.$eval('#app', (a) => a.hidden), true);
      await assertNoRoomContent(page, 'after a wrong password');
      assert.deepEqual(await storage(page), { session: {}, local: {} });
    });

    test('right password: home, click to a client, its PDF attachment decrypts to the original bytes without a second prompt', async () => {
      const page = await openPage(await ctx(), sealedUrl);
      assert.equal(await unlock(page, PASSWORD), null);
      await waitForH1(page, ROOM_TITLE);
      await watchLock(page);
      await page.screenshot({ path: artifact('01-home-after-unlock.png') });
      // the keys live only in this page's memory
      assert.deepEqual(await allStorage(page), { session: {}, local: {}, idb: [] });

      await page.click('#content a.card[href="#/clients"]');
      await page.waitForSelector(`#content a[href="#/clients/${CLIENT_ID}"]`);
      await page.click(`#content a[href="#/clients/${CLIENT_ID}"]`);
      await waitForH1(page, CLIENT_ID);
      assert.ok((await text(page, '#content h1')).includes(CLIENT_NAME));
      await page.screenshot({ path: artifact('02-client-page.png'), fullPage: true });

      await page.click(`#content a[href="#/file/${CLIENT_PDF}"]`);
      await waitForH1(page, path.basename(CLIENT_PDF));
      assert.equal(await text(page, '#content .file-type'), 'application/pdf');
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#content a.file-download')]);
      assert.equal(download.suggestedFilename(), path.basename(CLIENT_PDF));
      const got = fs.readFileSync(await download.path());
      const want = fs.readFileSync(path.join(ROOM, CLIENT_PDF));
      assert.ok(got.equals(want), `decrypted ${CLIENT_PDF}: ${got.length} bytes sha256 ${sha256(got)}, original ${want.length} bytes sha256 ${sha256(want)}`);
      if (await page.evaluate(() => navigator.pdfViewerEnabled)) {
        assert.match(await page.$eval('#content iframe.file-preview-frame', (f) => f.src), /^blob:/);
      }
      assert.equal(await page.evaluate(() => window.__lockShown), 0, 'no second password prompt');
      assert.equal(await page.$eval('#lock', (l) => l.hidden), true);
    });

    test('deep link: a new tab and a reload ask for the password, once, then show the deep-linked page', async () => {
      const context = await ctx();
      const first = await openPage(context, sealedUrl);
      assert.equal(await unlock(first, PASSWORD), null);
      await waitForH1(first, ROOM_TITLE);

      const page = await openPage(context, `${sealedUrl}#/clients/${CLIENT_ID}`);
      await page.waitForSelector('#password:not([disabled])');
      assert.equal(await page.$eval('#lock', (l) => l.hidden), false, 'new tab shows the lock screen');
      await assertNoRoomContent(page, 'new tab before unlock');
      assert.equal(await unlock(page, PASSWORD), null);
      await waitForH1(page, CLIENT_ID);
      assert.ok((await text(page, '#content h1')).includes(CLIENT_NAME));
      assert.match(page.url(), new RegExp(`#/clients/${CLIENT_ID}$`));
      await page.reload();
      await page.waitForSelector('#password:not([disabled])');
      assert.equal(await page.$eval('#lock', (l) => l.hidden), false, 'a reload asks again: the keys were only in memory');
      assert.equal(await unlock(page, PASSWORD), null);
      await waitForH1(page, CLIENT_ID);
    });

    test('item 4: after unlocking, another file:// page and this tab navigated elsewhere find no key material', async () => {
      const context = await ctx();
      const page = await openPage(context, sealedUrl);
      assert.equal(await unlock(page, PASSWORD), null);
      await waitForH1(page, ROOM_TITLE);
      const other = path.join(tmp, 'elsewhere', 'notes.html');
      fs.mkdirSync(path.dirname(other), { recursive: true });
      fs.writeFileSync(other, '<!DOCTYPE html><title>notes</title><p>another local page');
      const second = await openPage(context, fileUrl(other));
      assert.deepEqual(await allStorage(second), { session: {}, local: {}, idb: [] }, 'another file:// page');
      await page.goto(fileUrl(other));
      assert.deepEqual(await allStorage(page), { session: {}, local: {}, idb: [] }, 'the same tab, navigated elsewhere');
    });

    test('item 3: public title only, no history entries for records, logout leaves nothing that names a client', async () => {
      const page = await openPage(await ctx(), sealedUrl);
      const publicTitle = await page.title();
      const historyLength = await page.evaluate(() => history.length);
      assert.equal(await unlock(page, PASSWORD), null);
      await waitForH1(page, ROOM_TITLE);
      assert.equal(await page.title(), publicTitle);
      await page.click('#content a.card[href="#/clients"]');
      await page.waitForSelector(`#content a[href="#/clients/${CLIENT_ID}"]`);
      await page.click(`#content a[href="#/clients/${CLIENT_ID}"]`);
      await waitForH1(page, CLIENT_ID);
      assert.equal(await page.title(), publicTitle, 'a client page keeps the public title');
      await page.click(`#content a[href="#/file/${CLIENT_PDF}"]`);
      await waitForH1(page, path.basename(CLIENT_PDF));
      assert.equal(await page.title(), publicTitle, 'an attachment keeps the public title');
      assert.equal(await page.evaluate(() => history.length), historyLength, 'pages do not add history entries');
      // progress is kept (encrypted): tick a row of the handover checklist
      await page.click('#nav a[href="#/handover/checklist"]');
      await page.check(`#content input[data-item="c-${CLIENT_ID}"]`);
      await settledProgress(page);

      await page.click('#logout');
      await page.waitForSelector('#lock:not([hidden])');
      assert.equal(await page.$eval('#app', (a) => a.hidden), true);
      assert.equal(await page.$eval('#content', (c) => c.innerHTML), '');
      assert.equal(await page.$eval('#nav', (c) => c.innerHTML), '');
      assert.equal(await page.title(), publicTitle);
      await assertNoRoomContent(page, 'after logout');
      assert.ok(!page.url().includes('#'), 'route removed from the address bar');
      assertStorageNamesNothing(await allStorage(page), 'after logout');
      assert.equal(await page.evaluate(() => history.length), historyLength);
      await page.goBack().catch(() => null);
      assert.ok(!page.url().includes(CLIENT_ID) && !page.url().includes('attachments'), `Back after logout: ${page.url()}`);
      await page.goto(sealedUrl);
      await page.waitForSelector('#password:not([disabled])');
      assert.equal(await page.$eval('#lock', (l) => l.hidden), false, 'opening again asks for the password');
    });

    test('tamper: one flipped base64 character per payload → tamper error, no partial content', async () => {
      // (a) every payload flipped, the index too: stops at the lock screen
      const header = fs.readFileSync(path.join(sealedSite, 'data', 'header.js'), 'utf8');
      const indexId = JSON.parse(header.slice(header.indexOf('{'), header.lastIndexOf('}') + 1)).index;
      const all = tamperedCopy('tamper-all', []);
      assert.ok(all.flipped.includes(indexId));
      let page = await openPage(await ctx(), all.url);
      assert.equal(await unlock(page, PASSWORD), `此文件已被篡改或损坏 (文件编号: ${indexId})`);
      assert.equal(await page.$eval('#app', (a) => a.hidden), true);
      assert.equal(await page.$eval('#content', (c) => c.innerHTML), '');
      await assertNoRoomContent(page, 'tampered index');
      assert.deepEqual(await storage(page), { session: {}, local: {} }, 'nothing kept when the index cannot be opened');

      // (b) every page and attachment flipped, the index intact: each route shows only the error
      const pages = tamperedCopy('tamper-pages', [indexId]);
      page = await openPage(await ctx(), pages.url);
      assert.equal(await unlock(page, PASSWORD), null);
      for (const route of ['#/index', `#/clients/${CLIENT_ID}`, `#/file/${CLIENT_PDF}`, '#/handover/notices']) {
        await page.goto(pages.url + route);
        await page.waitForSelector('#content .error-page');
        assert.equal(await text(page, '#content .error-page h1'), '此文件已被篡改或损坏', route);
        assert.equal(await page.$eval('#content .error-page', (e) => e.getAttribute('data-error')), 'tampered', route);
        assert.ok(pages.flipped.includes(await text(page, '#content .error-page code')), `${route}: names the flipped payload`);
        assert.equal(await page.$$eval('#content > *', (n) => n.length), 1, `${route}: only the error`);
        assert.equal(await page.$('#content a.file-download, #content iframe, #content table'), null, `${route}: no partial content`);
        // (document.title is the route's title from the authentic index, e.g. "HX-00010 <name>")
        const shown = await page.$eval('#app', (a) => a.outerHTML);
        assert.ok(!shown.includes(CLIENT_PHONE) && !shown.includes(CLIENT_PHONE_SHOWN), `${route}: no client data from the tampered payload`);
        if (route !== '#/index') assert.ok(!(await text(page, '#content')).includes(CLIENT_NAME), `${route}: no client name in #content`);
      }
    });
  });

  // ------------------------------------------------------------ handover --
  describe('handover', () => {
    test('confirmation: manifest hash = sha256(site/SHA256SUMS), key id = `dataroom verify`', async () => {
      assert.match(verifyOut, /^OK: /m, `dataroom verify: ${verifyOut}`);
      const keyId = /key id:\s+([0-9A-F]{16})/.exec(verifyOut)[1];
      assert.equal(keyId, keyIdFromKeygen, 'verify reports the key that signed');
      const fingerprint = /fingerprint\s+([0-9a-f ]{79})/.exec(verifyOut)[1];
      const want = sha256(fs.readFileSync(path.join(sealedSite, 'SHA256SUMS')));

      const page = await openPage(await ctx(), `${sealedUrl}#/handover/confirmation`);
      assert.equal(await unlock(page, PASSWORD), null);
      await page.waitForSelector('#content code[data-manifest-hash]');
      await page.waitForFunction(() => /^[0-9a-f]{64}$/.test(document.querySelector('code[data-manifest-hash]').textContent.trim()), null, { timeout: 10000 });
      assert.equal(await text(page, 'code[data-manifest-hash]'), want);
      const codes = await page.$$eval('#content code', (cs) => cs.map((c) => c.textContent.trim()));
      assert.ok(codes.includes(keyId), `key id ${keyId} shown: ${codes.join(' | ')}`);
      assert.ok(codes.includes(fingerprint), `fingerprint shown: ${codes.join(' | ')}`);
      await page.screenshot({ path: artifact('03-handover-confirmation.png'), fullPage: true });
    });

    test('checklist: tick 3 items, reload and unlock again, ticks and progress 3 persist', async () => {
      const page = await openPage(await ctx(), `${sealedUrl}#/handover/checklist`);
      assert.equal(await unlock(page, PASSWORD), null);
      const progress = '#content .checklist-progress[data-checklist="handover/checklist"]';
      await page.waitForSelector(`${progress}[data-total]`);
      const total = Number(await page.$eval(progress, (p) => p.getAttribute('data-total')));
      assert.ok(total >= CLIENT_IDS.length, `one item per client at least: ${total}`);
      assert.equal(await text(page, progress), `已完成 0/${total}`);
      const items = ['c-HX-00010', 'c-HX-00020', `c-${CLIENT_IDS[CLIENT_IDS.length - 1]}`];
      for (const it of items) await page.check(`#content input[data-item="${it}"]`);
      assert.equal(await text(page, progress), `已完成 3/${total}`);
      await settledProgress(page);
      assertStorageNamesNothing(await allStorage(page), 'ticks');
      await page.reload();
      assert.equal(await unlock(page, PASSWORD), null);
      await page.waitForSelector(`${progress}[data-total]`);
      for (const it of items) assert.equal(await page.isChecked(`#content input[data-item="${it}"]`), true, `${it} still ticked`);
      assert.equal(await page.$$eval('#content .checklist input[type=checkbox]:checked', (c) => c.length), 3);
      assert.equal(await text(page, progress), `已完成 3/${total}`);
      assert.equal(await page.$eval(progress, (p) => p.getAttribute('data-done')), '3');
    });

    test('notices: A4 PDF with one notice per client per page; nav hidden in print', async () => {
      const page = await openPage(await ctx(), `${sealedUrl}#/handover/notices`);
      assert.equal(await unlock(page, PASSWORD), null);
      await page.waitForSelector('#content section.notice');
      const shown = await page.$$eval('#content section.notice', (s) => s.map((n) => n.querySelector('.notice-ref [data-cell="0"]').textContent));
      assert.deepEqual([...shown].sort(), CLIENT_IDS, 'a notice for every client');

      assert.equal(await page.isVisible('#nav'), true, '#nav visible on screen');
      await page.emulateMedia({ media: 'print' });
      assert.equal(await page.isVisible('#nav'), false, '#nav hidden in print');

      const pdf = artifact('notices.pdf');
      await page.pdf({ path: pdf, format: 'A4' }); // print media
      const info = need('pdfinfo', [pdf]);
      const pages = Number(/^Pages:\s+(\d+)/m.exec(info)[1]);
      assert.ok(pages >= CLIENT_IDS.length, `${pages} PDF pages for ${CLIENT_IDS.length} clients`);
      assert.match(info, /^Page size:.*\(A4\)$/m);
      // one notice per page: every client's number on exactly one page, never two on a page
      const texts = need('pdftotext', ['-enc', 'UTF-8', pdf, '-']).split('\f');
      const perPage = texts.map((t) => [...new Set(t.match(/HX-\d{5}/g) || [])]);
      assert.deepEqual(perPage.filter((ids) => ids.length > 1), [], 'no page holds two notices');
      assert.deepEqual(perPage.flat().sort(), CLIENT_IDS, 'each client on exactly one page');
      need('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '2', pdf, artifact('04-notices-page')]);
      assert.ok(fs.readdirSync(ARTIFACTS).some((f) => /^04-notices-page-0*1\.png$/.test(f)), 'first page rendered');
    });
  });

  // ------------------------------------------------------------ training --
  describe('training', () => {
    const quiz = '#content section.quiz';
    const progressOf = (page, id) => page.$eval(`.lesson-progress[data-quiz-id="${id}"]`, (p) => ({ text: p.textContent.trim(), cls: p.className }));

    test('public training site: lesson passed 100% with a completion record, another lesson failed, index shows progress', async () => {
      const page = await openPage(await ctx(), trainingUrl);
      assert.equal(await page.$('#password'), null, 'no password on the training site');
      const box = await page.$eval('#content', (el) => { const r = el.getBoundingClientRect(); return { w: r.width, h: r.height, top: r.top }; });
      assert.ok(box.w > 300 && box.h > 100 && box.top < 150, `the content is laid out beside the navigation, in view (${JSON.stringify(box)})`);
      assert.ok(await page.isVisible('#content table'), 'the lesson table is visible');
      const links = await page.$$eval('#content a[href^="training/"]', (as) => as.map((a) => a.getAttribute('href')));
      assert.deepEqual(links, LESSONS.map((l) => `training/${l}.html`), 'the index links every lesson');
      for (const l of LESSONS) assert.match((await progressOf(page, `training/${l}`)).cls, /\bnot-started\b/);

      await Promise.all([page.waitForNavigation(), page.click(`#content a[href="training/${LESSONS[0]}.html"]`)]);
      await page.waitForSelector(`${quiz}[data-quiz-ready] button.quiz-submit`);
      const first = await passQuizAndPrint(page, quiz, '李明 Trainee');
      assert.equal(first.id, `training/${LESSONS[0]}`);
      await page.screenshot({ path: artifact('05-training-lesson-passed.png'), fullPage: true });

      await Promise.all([page.waitForNavigation(), page.click(`#nav a[href="../training/${LESSONS[1]}.html"]`)]);
      await page.waitForSelector(`${quiz}[data-quiz-ready] button.quiz-submit`);
      const second = await quizInfo(page, quiz);
      await answerQuiz(page, quiz, false);
      await page.click(`${quiz} button.quiz-submit`);
      const score = Number(await page.$eval(quiz, (q) => q.getAttribute('data-score')));
      assert.ok(score < Number(second.pass), `score ${score} below pass mark ${second.pass}`);
      const result = await text(page, `${quiz} .quiz-result`);
      assert.ok(result.includes(`${score}%`) && result.includes(`${second.pass}%`), result);
      assert.match(result, / — 未通过$/, 'not passed');
      assert.equal(await page.$eval(quiz, (q) => q.getAttribute('data-passed')), 'false');

      await Promise.all([page.waitForNavigation(), page.click('#nav a[href="../index.html"]')]);
      await page.waitForSelector('.lesson-progress');
      const p1 = await progressOf(page, first.id);
      assert.match(p1.cls, /\bpassed\b/);
      assert.match(p1.text, /100%/);
      const p2 = await progressOf(page, second.id);
      assert.match(p2.cls, /\bfailed\b/);
      assert.match(p2.text, new RegExp(`\\b${score}%`));
      assert.match((await progressOf(page, `training/${LESSONS[2]}`)).cls, /\bnot-started\b/);
    });

    test('the same lesson inside the sealed room works after unlock, with the same content hash', async () => {
      // the public training build's copy of the lesson, for comparison
      const pub = fs.readFileSync(path.join(tmp, 'training', 'site', 'training', `${LESSONS[0]}.html`), 'utf8');
      const pubHash = /data-content-hash="([0-9a-f]{64})"/.exec(pub)[1];

      const page = await openPage(await ctx(), `${sealedUrl}#/training/${LESSONS[0]}`);
      assert.equal(await unlock(page, PASSWORD), null);
      await page.waitForSelector(`${quiz}[data-quiz-ready] button.quiz-submit`);
      const info = await passQuizAndPrint(page, quiz, '王小明', { exact: true });
      assert.equal(info.id, `training/${LESSONS[0]}`);
      assert.equal(info.hash, pubHash, 'sealed and public builds of the same lesson have the same content hash');
      await page.screenshot({ path: artifact('06-sealed-lesson-passed.png'), fullPage: true });

      await page.click('#nav a[href="#/training"]');
      await page.waitForSelector(`#content .lesson-progress[data-quiz-id="${info.id}"]`);
      assert.equal(await text(page, `#content .lesson-progress[data-quiz-id="${info.id}"]`), T('progress_passed', { score: 100 }));
    });

    // Public pages (templates/page.html) carry the catalogue's strings like the
    // shell: the scripts have no strings of their own.
    test('public training site uses the theme\'s UI strings (i18n/zh-CN.yaml), like the sealed room', async () => {
      const page = await openPage(await ctx(), fileUrl(path.join(tmp, 'training', 'site', 'training', `${LESSONS[0]}.html`)));
      await page.waitForSelector(`${quiz}[data-quiz-ready] button.quiz-submit`);
      const info = await quizInfo(page, quiz);
      await answerQuiz(page, quiz, true);
      await page.click(`${quiz} button.quiz-submit`);
      await page.fill(`${quiz} input.quiz-name`, '李明');
      await stubPrint(page);
      await page.click(`${quiz} button.quiz-print`);
      const got = {
        result: await text(page, `${quiz} .quiz-result`),
        record_title: await text(page, `${quiz} .completion-record h2`),
        record_labels: await page.$$eval(`${quiz} .completion-record dt`, (d) => d.map((x) => x.textContent.trim())),
      };
      await page.goto(trainingUrl);
      got.progress = (await progressOf(page, info.id)).text;
      assert.deepEqual(got, {
        result: `${T('quiz_score', { score: 100, pass: info.pass })} — ${T('quiz_passed')}`,
        record_title: T('record_title'),
        record_labels: ['record_lesson', 'record_name', 'record_score', 'record_result', 'record_date', 'record_hash'].map((k) => T(k)),
        progress: T('progress_passed', { score: 100 }),
      });
    });

    // BUG: the training index (themes/default/templates/training.html, data from
    // training() in src/render/views.rs) renders <span class="lesson-progress">
    // without data-content-hash, so the app can never show "lesson updated".
    test('training index flags a quiz passed on an older version of the lesson as outdated', async () => {
      const page = await openPage(await ctx(), trainingUrl);
      const id = `training/${LESSONS[0]}`;
      await page.evaluate((quizId) => {
        const site = document.documentElement.getAttribute('data-site');
        localStorage.setItem(`dataroom:${site}:quiz:${quizId}`, JSON.stringify({
          score: 100, passed: true, date: '2025-01-01T00:00:00.000Z', hash: '0'.repeat(64), attempts: 1, last: 100,
        }));
      }, id);
      await page.reload();
      await page.waitForSelector('.lesson-progress');
      const attrs = await page.$eval(`.lesson-progress[data-quiz-id="${id}"]`, (p) => ({ hash: p.getAttribute('data-content-hash'), cls: p.className }));
      assert.match(String(attrs.hash), /^[0-9a-f]{64}$/, 'the index knows each lesson\'s content hash');
      assert.match(attrs.cls, /\boutdated\b/, 'a result for other lesson content is shown as outdated');
    });
  });

  // ---------------------------------------------------- edited checklists --
  describe('the seller edits the room and rebuilds', () => {
    let editRoom;
    let editKey;
    let editOut;
    const checklist = () => path.join(editRoom, 'checklists', 'pre-handover.md');
    const rebuild = () => run(['build', editRoom, '--out', editOut, '--password-file', path.join(tmp, 'pw'), '--sign-key', editKey]);
    const editUrl = () => `${fileUrl(path.join(editOut, 'site', 'index.html'))}#/checklists/pre-handover`;
    /** The ticked state of each item of the pre-handover checklist, by its text. */
    const ticks = (page) => page.$$eval('#content .checklist[data-checklist] input[type=checkbox]', (boxes) => Object.fromEntries(
      boxes.map((b) => [b.closest('li').textContent.replace(/\s+/g, ' ').trim(), b.checked])));

    before(() => {
      editRoom = path.join(tmp, 'edit', 'example-dataroom');
      copyExample(editRoom, { audiences: false });
      editKey = path.join(tmp, 'edit-key');
      run(['keygen', '--out', editKey]);
      editOut = path.join(tmp, 'edit', 'out');
    });

    test('issue 13: ticks stay on their items when an item is inserted above; ticks of removed items are dropped, with a note', async () => {
      rebuild();
      const context = await ctx();
      let page = await openPage(context, editUrl());
      assert.equal(await unlock(page, PASSWORD), null);
      await page.waitForSelector('#content .checklist[data-checklist-ready] input[type=checkbox]');
      const A = '处理数据质量问题清单：无效电话、证件号校验失败、重复电话和邮箱';
      const B = '清理已超过保留期限的记录（retain_until 已过期）';
      const box = (label) => page.locator('#content .checklist li', { hasText: label }).locator('input[type=checkbox]').first();
      await box(A).check();
      await box(B).check();
      const before = await ticks(page);
      assert.equal(before[A], true);
      assert.equal(before[B], true);
      await settledProgress(page);
      await page.close();

      // the seller inserts an item at the top of the list and rebuilds
      const NEW = '新增：核对 U 盘编号与移交确认书一致';
      const src = fs.readFileSync(checklist(), 'utf8');
      const first = src.indexOf('- [');
      fs.writeFileSync(checklist(), `${src.slice(0, first)}- [ ] ${NEW}\n${src.slice(first)}`);
      rebuild();
      page = await openPage(context, editUrl());
      assert.equal(await unlock(page, PASSWORD), null);
      await page.waitForSelector('#content .checklist[data-checklist-ready] input[type=checkbox]');
      const after = await ticks(page);
      assert.equal(after[NEW], false, 'the new item is not ticked');
      assert.deepEqual(Object.fromEntries(Object.entries(after).filter(([k]) => k !== NEW)), before, 'every other item keeps its tick');
      assert.equal(await page.$('#content .checklist-note'), null, 'nothing was dropped');
      await page.close();

      // the seller removes item A: its tick is dropped and the page says so
      fs.writeFileSync(checklist(), fs.readFileSync(checklist(), 'utf8').replace(`- [ ] ${A}\n`, ''));
      rebuild();
      page = await openPage(context, editUrl());
      assert.equal(await unlock(page, PASSWORD), null);
      await page.waitForSelector('#content .checklist-note');
      assert.equal(await text(page, '#content .checklist-note'), T('checklist_dropped', { count: 1 }));
      const last = await ticks(page);
      assert.equal(last[B], true, 'B keeps its tick');
      assert.equal(A in last, false);
      await settledProgress(page);
      await page.close();
      // dropped for good: no note the next time
      page = await openPage(context, editUrl());
      assert.equal(await unlock(page, PASSWORD), null);
      await page.waitForSelector('#content .checklist[data-checklist-ready]');
      assert.equal(await page.$('#content .checklist-note'), null);
    });

    test('issue 8 item 11: the ticks CSV guards a formula in a document title', async () => {
      const TITLE = '=HYPERLINK("http://example.com/x","点我")';
      fs.writeFileSync(path.join(editRoom, 'checklists', 'formula.md'), `---\ntitle: '${TITLE}'\n---\n\n- [ ] 一项\n`);
      rebuild();
      const page = await openPage(await ctx(), `${fileUrl(path.join(editOut, 'site', 'index.html'))}#/handover/checklist`);
      assert.equal(await unlock(page, PASSWORD), null);
      await page.waitForSelector('#content button.download-ticks[data-ready]');
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#content button.download-ticks')]);
      const csv = fs.readFileSync(await download.path(), 'utf8');
      const row = csv.split('\r\n').find((l) => l.includes('HYPERLINK'));
      assert.ok(row, `a row for the document: ${csv.slice(0, 400)}`);
      assert.ok(row.includes(`"'=HYPERLINK(""http://example.com/x"",""点我"")"`), `the cell starts with ' so it is text, not a formula: ${row}`);
      assert.ok(!/(^|,)"?[=+\-@]/.test(row), `no cell starts with a formula character: ${row}`);
    });
  });
});
