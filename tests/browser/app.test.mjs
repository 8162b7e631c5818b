// The sealed shell + the theme scripts against a fixture sealed by the real binary
// (make-fixture.mjs, DATAROOM_BIN), opened from file:// in headless Chromium
// WITHOUT --allow-file-access-from-files and with the shell's CSP enforced.
//
//   node --test tests/browser/

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeFixture, catalogue, MARKER, PASSWORD, PASSWORD2, PUBLIC_TITLE, ROOM_TITLE } from './make-fixture.mjs';

// The strings a built shell shows (the theme's catalogues).
const Z = catalogue('zh-CN');
const EN = catalogue('en');
import { browserSkipReason, launchBrowser, newContext, openPage, unlock, waitForH1, closeWatchedContexts } from './helpers.mjs';

const skip = browserSkipReason();
// make a skip visible in the runner's summary (a skipped suite alone is not counted)
if (skip) test('browser tests (skipped: no Chromium)', { skip }, () => {});
const T = { timeout: 120000 };

let browser;
let tmp;
let fx;
const contexts = [];

before(async () => {
  if (skip) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dataroom-app-test-'));
  browser = await launchBrowser();
  fx = await makeFixture({ dir: path.join(tmp, 'main') });
});

after(async () => {
  if (browser) await browser.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

afterEach(() => closeWatchedContexts(contexts, assert));

async function ctx(options) {
  const c = await newContext(browser, options);
  contexts.push(c);
  return c.context;
}

const html = (page) => page.evaluate(() => document.documentElement.outerHTML + document.title);
const storage = (page) => page.evaluate(() => ({
  session: Object.fromEntries(Object.keys(sessionStorage).map((k) => [k, sessionStorage.getItem(k)])),
  local: Object.fromEntries(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)])),
}));
const text = (page, sel) => page.$eval(sel, (e) => e.textContent.trim());

/** Storage once the room's encrypted progress entry (dataroom-<32 hex>) is written: it is the only entry. */
async function waitForStoredProgress(page) {
  await page.waitForFunction(() => Object.keys(localStorage).some((k) => /^dataroom-[0-9a-f]{32}$/.test(k)));
  const st = await storage(page);
  assert.deepEqual(Object.keys(st.local).length, 1, `one entry: ${Object.keys(st.local)}`);
  assert.match(Object.keys(st.local)[0], /^dataroom-[0-9a-f]{32}$/);
  return st;
}

function payloadPath(f, id) { return path.join(f.siteDir, 'data', `${id}.js`); }
/** The pack file that holds a page's payload. */
function packPath(f, route) { return payloadPath(f, f.packOf[route]); }
/** Parsed payloads of a data file (a pack, or one payload). */
function readPayloads(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim())
    .map((line) => JSON.parse(line.slice(line.indexOf('(') + 1, line.lastIndexOf(')'))));
}
/** Rewrites payload `id` of a data file with `edit(obj)`. */
function editPayload(file, id, edit) {
  const objs = readPayloads(file);
  assert.ok(objs.some((o) => o.id === id), `${file} holds ${id}`);
  const lines = objs.map((o) => `dataroomPayload(${JSON.stringify(o.id === id ? edit(o) : o)});`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
}
function flipCt(obj) {
  const i = Math.floor(obj.ct.length / 2);
  return { ...obj, ct: obj.ct.slice(0, i) + (obj.ct[i] === 'A' ? 'B' : 'A') + obj.ct.slice(i + 1) };
}

describe('sealed shell in Chromium from file://', { skip, ...T }, () => {
  test('lock screen shows only the public title and keeps the CSP', async () => {
    const page = await openPage(await ctx(), fx.url);
    assert.equal(await page.title(), PUBLIC_TITLE['zh-CN']);
    assert.equal(await text(page, '.lock-title'), PUBLIC_TITLE['zh-CN']);
    assert.equal(await page.$eval('#app', (a) => a.hidden), true);
    assert.equal(await page.$eval('#lock', (a) => a.hidden), false);
    const csp = await page.$eval('meta[http-equiv="Content-Security-Policy"]', (m) => m.content);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /connect-src 'none'/);
    assert.equal(await text(page, '.lock-note'), Z('offline_note'));
    const doc = await html(page);
    assert.ok(!doc.includes(MARKER) && !doc.includes(ROOM_TITLE['zh-CN']), 'no room content in the shell');
    // the app really ran under the CSP: the password field is enabled, no fatal error
    assert.equal(await text(page, '#lock-error'), '');
    assert.equal(await page.$eval('#password', (i) => i.disabled), false);
  });

  test('wrong password: error shown, nothing decrypted, nothing stored', async () => {
    const page = await openPage(await ctx(), fx.url);
    assert.equal(await unlock(page, 'not the password'), '密码错误');
    assert.equal(await page.$eval('#content', (c) => c.innerHTML), '');
    assert.equal(await page.$eval('#nav', (c) => c.innerHTML), '');
    assert.ok(!(await html(page)).includes(MARKER), 'no room text in the DOM');
    const st = await storage(page);
    assert.deepEqual(st, { session: {}, local: {} });
    assert.equal(await unlock(page, ''), '请输入密码');
  });

  test('right password: home, navigation, public title only, no history entries, nothing stored, reload asks again', async () => {
    const page = await openPage(await ctx(), fx.url);
    await page.evaluate(() => {
      const b = document.querySelector('#unlock-form button[type=submit]');
      window.__buttonTexts = [];
      new MutationObserver(() => window.__buttonTexts.push(b.textContent))
        .observe(b, { childList: true, characterData: true, subtree: true });
    });
    assert.equal(await unlock(page, PASSWORD), null);
    assert.ok((await page.evaluate(() => window.__buttonTexts)).includes('正在解锁…'), 'shows the unlocking state');
    await waitForH1(page, ROOM_TITLE['zh-CN']);
    // The tab title (kept by the browser's history) is only ever the public title.
    assert.equal(await page.title(), PUBLIC_TITLE['zh-CN']);
    assert.equal(await text(page, '#room-title'), `${ROOM_TITLE['zh-CN']} ${MARKER}`);
    assert.equal(await page.$eval('#lock', (l) => l.hidden), true);
    assert.equal(await page.$eval('#nav a[href="#/index"]', (a) => a.getAttribute('aria-current')), 'page');

    // Keys only in this page's memory: nothing in storage at all.
    assert.deepEqual(await storage(page), { session: {}, local: {} });
    const historyLength = await page.evaluate(() => history.length);

    await page.click('#nav a[href="#/clients/HX-00010"]');
    await waitForH1(page, 'HX-00010');
    assert.equal(await page.title(), PUBLIC_TITLE['zh-CN']);
    assert.match(page.url(), /#\/clients\/HX-00010$/);
    assert.equal(await page.$eval('#nav a[href="#/clients/HX-00010"]', (a) => a.getAttribute('aria-current')), 'page');
    assert.equal(await page.$eval('#nav a[href="#/index"]', (a) => a.getAttribute('aria-current')), null);

    // a link inside a page replaces the page: no new history entry names a record
    await page.click('#content a#attachment-link');
    await waitForH1(page, 'logo.png');
    assert.equal(await page.title(), PUBLIC_TITLE['zh-CN']);
    assert.equal(await page.evaluate(() => history.length), historyLength);

    // a reload asks for the password again (the keys were only in memory)
    await page.reload();
    assert.equal(await page.$eval('#lock', (l) => l.hidden), false);
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, 'logo.png');
  });

  test('deep link in a new tab asks for the password once, then shows that page', async () => {
    const context = await ctx();
    const first = await openPage(context, fx.url);
    assert.equal(await unlock(first, PASSWORD), null);
    // a new tab must ask again
    const page = await openPage(context, `${fx.url}#/clients/HX-00011`);
    assert.equal(await page.$eval('#lock', (l) => l.hidden), false);
    assert.ok(!(await html(page)).includes('client-11-body'));
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, 'HX-00011');
    assert.ok((await text(page, '#content')).includes('client-11-body'));
  });

  test('routes with non-ASCII names: nav link and deep link', async () => {
    const page = await openPage(await ctx(), fx.url);
    assert.equal(await unlock(page, PASSWORD), null);
    await page.click('#nav a[href="#/policies/反洗钱制度"]');
    await waitForH1(page, '反洗钱制度');
    assert.equal(await page.$eval('#nav a[href="#/policies/反洗钱制度"]', (a) => a.getAttribute('aria-current')), 'page');
    const deep = await openPage(await ctx(), `${fx.url}#/policies/${encodeURIComponent('反洗钱制度')}`);
    assert.equal(await unlock(deep, PASSWORD), null);
    await waitForH1(deep, '反洗钱制度');
    assert.equal(await deep.title(), PUBLIC_TITLE['zh-CN']);
  });

  test('<img data-file> in a page shows the decrypted attachment', async () => {
    const page = await openPage(await ctx(), `${fx.url}#/clients/HX-00010`);
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, 'HX-00010');
    // two images of the same attachment load it concurrently
    await page.waitForFunction(() => ['inline-logo', 'inline-logo-2'].every((id) => {
      const i = document.getElementById(id);
      return i && i.src.startsWith('blob:') && i.complete && i.naturalWidth === 120;
    }));
  });

  test('a second slot (another password) opens the room too', async () => {
    const page = await openPage(await ctx(), `${fx.url}#/clients/HX-00010`);
    assert.equal(await unlock(page, PASSWORD2), null);
    await waitForH1(page, 'HX-00010');
  });

  test('logout clears memory, DOM, title and route; Back brings nothing back; no remember option', async () => {
    const context = await ctx();
    assert.equal(await (await openPage(context, fx.url)).$('#remember'), null, 'no "remember on this device"');
    const page = await openPage(context, `${fx.url}#/clients/HX-00010`);
    const historyLength = await page.evaluate(() => history.length);
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, 'HX-00010');
    await page.click('#nav a[href="#/clients/HX-00011"]');
    await waitForH1(page, 'HX-00011');
    await page.click('#nav a[href="#/index"]');
    await waitForH1(page, ROOM_TITLE['zh-CN']);
    assert.equal(await page.evaluate(() => history.length), historyLength, 'no history entry per page');

    await page.click('#logout');
    await page.waitForSelector('#lock:not([hidden])');
    assert.equal(await page.$eval('#app', (a) => a.hidden), true);
    assert.equal(await page.$eval('#content', (c) => c.innerHTML), '');
    assert.equal(await page.$eval('#nav', (c) => c.innerHTML), '');
    assert.equal(await page.title(), PUBLIC_TITLE['zh-CN']);
    assert.ok(!(await html(page)).includes(MARKER), 'no room text left in the DOM');
    assert.ok(!page.url().includes('#'), 'route removed from the address bar');
    assert.deepEqual(await storage(page), { session: {}, local: {} });
    // Back: no entry of this room names a record
    await page.goBack().catch(() => null);
    assert.ok(!page.url().includes('HX-000'), `Back after logout: ${page.url()}`);
    // and a reload asks for the password again
    await page.goto(fx.url);
    assert.equal(await page.$eval('#lock', (l) => l.hidden), false);
    assert.equal(await unlock(page, PASSWORD), null);
  });

  test('attachment: image preview, download gives the original bytes, open, blob revoked on leave', async () => {
    const context = await ctx();
    const page = await openPage(context, `${fx.url}#/file/attachments/photos/logo.png`);
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, 'logo.png');
    assert.equal(await page.title(), PUBLIC_TITLE['zh-CN']);
    await page.waitForFunction(() => {
      const img = document.querySelector('#content img.file-preview-image');
      return img && img.complete && img.naturalWidth > 0;
    });
    const img = await page.$eval('#content img.file-preview-image', (i) => ({ src: i.src, w: i.naturalWidth, h: i.naturalHeight }));
    assert.match(img.src, /^blob:/);
    assert.deepEqual([img.w, img.h], [120, 60]);
    assert.ok((await text(page, '.file-size')).includes(`(${fx.png.length.toLocaleString('en-US')} 字节)`));

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a.file-download')]);
    assert.equal(download.suggestedFilename(), 'logo.png');
    assert.deepEqual(fs.readFileSync(await download.path()), fx.png);

    const [popup] = await Promise.all([context.waitForEvent('page'), page.click('button.file-open')]);
    await popup.waitForLoadState();
    assert.match(popup.url(), /^blob:/);
    assert.equal(await popup.evaluate(() => document.images[0] && document.images[0].naturalWidth), 120);
    await popup.close();

    await page.click('#nav a[href="#/index"]');
    await waitForH1(page, ROOM_TITLE['zh-CN']);
    const stillLoads = await page.evaluate((u) => new Promise((res) => {
      const i = new Image();
      i.onload = () => res(true);
      i.onerror = () => res(false);
      i.src = u;
    }), img.src);
    assert.equal(stillLoads, false, 'blob URL revoked when leaving the attachment');
  });

  test('attachment: PDF preview in an iframe (blob:)', async () => {
    const page = await openPage(await ctx(), `${fx.url}#/file/attachments/contracts/C-1.pdf`);
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, 'C-1.pdf');
    const viewer = await page.evaluate(() => navigator.pdfViewerEnabled);
    if (viewer) {
      assert.match(await page.$eval('iframe.file-preview-frame', (f) => f.src), /^blob:/);
    } else {
      assert.ok(await page.$('.no-preview'));
    }
    assert.equal(await text(page, '.file-type'), 'application/pdf');
  });

  test('unknown route shows not found; #anchors inside a page do not leave it', async () => {
    const page = await openPage(await ctx(), `${fx.url}#/clients/NO-SUCH`);
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, Z('not_found'));
    assert.match(await text(page, '#content'), /clients\/NO-SUCH/);
    await page.goto(`${fx.url}#/file/attachments/none.pdf`);
    await waitForH1(page, Z('not_found'));
    await page.click('#content a[href="#/"]');
    await waitForH1(page, ROOM_TITLE['zh-CN']);
    await page.click('#anchor-link');
    await page.waitForTimeout(100);
    assert.ok(await page.$('#content a#anchor-link'), 'still on the home page');
    assert.ok(!page.url().endsWith('#lessons'));
    // #/route#id: another page, scrolled to an element
    await page.click('#route-anchor');
    await waitForH1(page, 'HX-00011');
    await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'payments-section');
    assert.equal(await page.$$eval('#wrapped', (t) => t[0].parentElement.className), 'table-wrap', 'existing .table-wrap is not wrapped again');
  });

  test('sortable table sorts numbers (data-sort), text, and sets aria-sort', async () => {
    const page = await openPage(await ctx(), `${fx.url}#/clients/HX-00010`);
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, 'HX-00010');
    const col = (i) => page.$$eval(`#payments tbody tr td:nth-child(${i})`, (tds) => tds.map((td) => td.textContent.trim()));
    const headers = await page.$$('#payments thead th');
    assert.equal(headers.length, 3);
    assert.ok(await page.$('#payments'), 'table present');
    assert.ok(await page.$('.table-scroll > #payments'), 'table wrapped for horizontal scrolling');

    await page.click('#payments thead th:nth-child(3) button.sort-button');
    assert.deepEqual(await col(2), ['delta', 'alpha', 'Beta', 'Gamma']);
    assert.equal(await page.$eval('#payments thead th:nth-child(3)', (th) => th.getAttribute('aria-sort')), 'ascending');
    await page.click('#payments thead th:nth-child(3) button.sort-button');
    assert.deepEqual(await col(2), ['Gamma', 'Beta', 'alpha', 'delta']);
    assert.equal(await page.$eval('#payments thead th:nth-child(3)', (th) => th.getAttribute('aria-sort')), 'descending');

    await page.click('#payments thead th:nth-child(2) button.sort-button');
    assert.deepEqual(await col(2), ['alpha', 'Beta', 'delta', 'Gamma']);
    assert.equal(await page.$eval('#payments thead th:nth-child(3)', (th) => th.getAttribute('aria-sort')), null);
    await page.click('#payments thead th:nth-child(1) button.sort-button');
    assert.deepEqual(await col(1), ['2023-12-31', '2024-01-15', '2024-02-10', '2024-03-01']);
    assert.match(await text(page, '#payments tfoot'), /16,279\.50/);
  });

  test('checklist: clickable, progress shown, ticks kept encrypted across a reload', async () => {
    const page = await openPage(await ctx(), `${fx.url}#/training/lesson-1`);
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, '第一课');
    const progress = () => text(page, '.checklist-progress[data-checklist="onboarding"]');
    assert.equal(await progress(), '已完成 1/3');
    assert.equal(await page.$eval('input[data-item="id-card"]', (i) => i.disabled), false);
    await page.check('input[data-item="id-card"]');
    await page.uncheck('input[data-item="signed"]');
    await page.check('input[data-item="address"]');
    assert.equal(await progress(), '已完成 2/3');
    const st = await waitForStoredProgress(page);
    assert.deepEqual(st.session, {});
    for (const [k, v] of Object.entries(st.local)) {
      for (const secret of ['onboarding', 'id-card', 'address', fx.room, '第一课']) {
        assert.ok(!k.includes(secret) && !v.includes(secret), `stored progress names nothing: ${k}`);
      }
    }
    await page.reload();
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, '第一课');
    assert.equal(await progress(), '已完成 2/3');
    assert.equal(await page.isChecked('input[data-item="id-card"]'), true);
    assert.equal(await page.isChecked('input[data-item="signed"]'), false);
    assert.ok(await page.$('li.done input[data-item="address"]'));
    // the home page shows the same progress from the stored ticks
    await page.click('#nav a[href="#/index"]');
    await waitForH1(page, ROOM_TITLE['zh-CN']);
    assert.equal(await text(page, '#content .checklist-progress[data-checklist="onboarding"]'), '已完成 2/3');
  });

  test('checklist of tables (handover): rows tick, print button, ticks download as CSV', async () => {
    const page = await openPage(await ctx(), `${fx.url}#/handover/checklist`);
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, '移交核对清单');
    const progress = () => text(page, '.checklist-progress[data-checklist="handover/checklist"]');
    assert.equal(await progress(), '已完成 0/3');
    await page.check('input[data-item="c-HX-00011"]');
    assert.equal(await progress(), '已完成 1/3');
    assert.ok(await page.$('tr.done input[data-item="c-HX-00011"]'), 'the row is marked done');
    assert.equal(await page.$$eval('li.group.done', (l) => l.length), 0, 'not the whole group');

    await page.evaluate(() => { window.__printed = 0; window.print = () => { window.__printed++; }; });
    await page.click('button.print-button');
    assert.equal(await page.evaluate(() => window.__printed), 1);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button.download-ticks')]);
    assert.match(download.suggestedFilename(), /^handover-checklist-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = fs.readFileSync(await download.path(), 'utf8');
    const lines = csv.replace(/^\ufeff/, '').trim().split('\r\n');
    assert.equal(lines[0], '项目编号,项目,已核对,时间', 'headers in the room\'s language');
    assert.match(lines[1], /^c-HX-00010,HX-00010,否,\d{4}-/);
    assert.match(lines[2], /^c-HX-00011,HX-00011,是,/);
    assert.match(lines[3], /^a-attachments\/photos\/logo\.png,attachments\/photos\/logo\.png,否,/);
    assert.ok(csv.startsWith('\ufeff'), 'UTF-8 BOM for spreadsheet programs');
  });

  test('quiz: score, explanations, completion record, print, lesson progress', async () => {
    const page = await openPage(await ctx(), `${fx.url}#/training/lesson-1`);
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, '第一课');
    const q1 = '.quiz fieldset.quiz-question:nth-of-type(1)';
    const q2 = '.quiz fieldset.quiz-question:nth-of-type(2)';
    assert.equal(await page.$eval('.quiz .quiz-explanation', (e) => e.hidden), true);
    await page.check(`${q1} input[value="0"]`);
    await page.check(`${q2} input[value="0"]`);
    await page.check(`${q2} input[value="2"]`);
    await page.click('.quiz button.quiz-submit');
    assert.equal(await text(page, '.quiz .quiz-result'), `${Z('quiz_score', { score: 50, pass: 80 })} — 未通过`);
    assert.equal(await page.$eval(q1, (f) => f.className), 'quiz-question wrong');
    assert.equal(await page.$eval(q2, (f) => f.className), 'quiz-question correct');
    assert.equal(await page.$eval('.quiz .quiz-explanation', (e) => e.hidden), false);

    await page.check(`${q1} input[value="1"]`);
    await page.click('.quiz button.quiz-submit');
    assert.equal(await text(page, '.quiz .quiz-result'), `${Z('quiz_score', { score: 100, pass: 80 })} — 通过`);
    assert.equal(await page.$eval('.quiz-record-form', (e) => e.hidden), false);

    await page.evaluate(() => { window.__printed = 0; window.print = () => { window.__printed++; }; });
    await page.click('.quiz button.quiz-print');
    assert.equal(await text(page, '.quiz-name-error'), Z('name_required'));
    assert.equal(await page.evaluate(() => window.__printed), 0);
    await page.fill('.quiz input.quiz-name', '王小明');
    await page.click('.quiz button.quiz-print');
    assert.equal(await page.evaluate(() => window.__printed), 1);
    const rec = await text(page, '#content .completion-record');
    for (const s of [Z('record_title'), '第一课：客户身份识别', '王小明', '100%', '通过', 'a1b2c3d4e5f60718', new Date().getFullYear() + '-']) {
      assert.ok(rec.includes(s), `record contains ${s}: ${rec}`);
    }
    assert.equal(await page.$eval('#content .completion-record .record-name', (e) => e.textContent), '王小明');
    assert.equal(await page.evaluate(() => document.body.classList.contains('printing-record')), true);
    await page.emulateMedia({ media: 'print' });
    const vis = await page.evaluate(() => ({
      app: getComputedStyle(document.getElementById('app')).display,
      record: getComputedStyle(document.getElementById('print-record')).display,
      text: document.getElementById('print-record').textContent,
    }));
    assert.deepEqual([vis.app, vis.record], ['none', 'block']);
    assert.ok(vis.text.includes('王小明'));
    await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
    await page.emulateMedia({ media: 'screen' });
    assert.equal(await page.evaluate(() => document.body.classList.contains('printing-record')), false);
    assert.equal(await page.$('#print-record'), null);

    // the result is stored encrypted: neither the lesson nor its hash can be read
    const st = await waitForStoredProgress(page);
    const all = JSON.stringify(st);
    for (const secret of ['lesson-1', 'a1b2c3d4e5f60718', '王小明', '"score"']) assert.ok(!all.includes(secret), `${secret} in storage`);

    await page.click('#nav a[href="#/index"]');
    await waitForH1(page, ROOM_TITLE['zh-CN']);
    assert.equal(await text(page, '.lesson-progress[data-quiz-id="lesson-1"]'), Z('progress_passed', { score: 100 }));
    // and it is still there after a reload and the password
    await page.reload();
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, ROOM_TITLE['zh-CN']);
    assert.equal(await text(page, '.lesson-progress[data-quiz-id="lesson-1"]'), Z('progress_passed', { score: 100 }));
  });

  test('print CSS: A4 pages, no navigation, one notice per page', async () => {
    const page = await openPage(await ctx(), `${fx.url}#/notices/letters`);
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, '通知函');
    await page.emulateMedia({ media: 'print' });
    const hidden = await page.evaluate(() => ['.sidebar', '.topbar', '#logout'].map((s) => getComputedStyle(document.querySelector(s)).display));
    assert.deepEqual(hidden, ['none', 'none', 'none']);
    const pdf = (await page.pdf({ preferCSSPageSize: true, printBackground: false })).toString('latin1');
    const pages = pdf.match(/\/Type\s*\/Page(?!s)/g) || [];
    assert.equal(pages.length, 3, 'index page + one page per notice');
    assert.match(pdf, /\/MediaBox\s*\[0 0 59[45](\.\d+)? 84[12](\.\d+)?\]/, 'A4 page size (595 x 842 pt)');
  });

  test('phone layout: collapsible navigation, no sideways page scroll', async () => {
    const context = await ctx({ viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true });
    const page = await openPage(context, `${fx.url}#/clients/HX-00010`);
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, 'HX-00010');
    assert.equal(await page.$eval('.sidebar', (s) => getComputedStyle(s).display), 'none');
    assert.equal(await page.isVisible('#nav-toggle'), true);
    await page.click('#nav-toggle');
    assert.equal(await page.$eval('#nav-toggle', (b) => b.getAttribute('aria-expanded')), 'true');
    assert.equal(await page.isVisible('#nav a[href="#/clients/HX-00011"]'), true);
    await page.click('#nav a[href="#/clients/HX-00011"]');
    await waitForH1(page, 'HX-00011');
    assert.equal(await page.$eval('.sidebar', (s) => getComputedStyle(s).display), 'none', 'menu closes after navigating');
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(widths[0] <= widths[1], `page fits the phone width: ${widths}`);
  });

  test('navigation filter narrows the sidebar', async () => {
    const page = await openPage(await ctx(), fx.url);
    assert.equal(await unlock(page, PASSWORD), null);
    await page.fill('#nav-filter', '李四');
    assert.equal(await page.isVisible('#nav a[href="#/clients/HX-00011"]'), true);
    assert.equal(await page.isVisible('#nav a[href="#/clients/HX-00010"]'), false);
    assert.equal(await page.isVisible('#nav a[href="#/notices/letters"]'), false);
    await page.fill('#nav-filter', '');
    assert.equal(await page.isVisible('#nav a[href="#/notices/letters"]'), true);
  });
});

describe('tampering and missing files', { skip, ...T }, () => {
  let tf;
  before(async () => {
    if (skip) return;
    tf = await makeFixture({ dir: path.join(tmp, 'tamper') });
    editPayload(packPath(tf, 'clients/HX-00010'), tf.pageIds['clients/HX-00010'], flipCt);
    // The lesson's payload is now client 11's (valid, but sealed under another id)
    const client11 = readPayloads(packPath(tf, 'clients/HX-00011')).find((o) => o.id === tf.pageIds['clients/HX-00011']);
    editPayload(packPath(tf, 'training/lesson-1'), tf.pageIds['training/lesson-1'], (o) => ({ ...client11, id: o.id }));
    const logo = tf.fileIds['attachments/photos/logo.png'];
    editPayload(payloadPath(tf, logo), logo, flipCt);
    fs.writeFileSync(payloadPath(tf, tf.fileIds['attachments/contracts/C-1.pdf']), '/* not a payload */\n');
  });

  async function show(hash) {
    const page = await openPage(await ctx(), `${tf.url}${hash}`);
    assert.equal(await unlock(page, PASSWORD), null);
    await page.waitForSelector('#content .error-page');
    return page;
  }

  test('one flipped base64 character in a page: tamper error with the payload id, no content', async () => {
    const page = await show('#/clients/HX-00010');
    assert.equal(await text(page, '#content .error-page h1'), '此文件已被篡改或损坏');
    assert.equal(await text(page, '#content .error-page code'), tf.pageIds['clients/HX-00010']);
    assert.ok(!(await html(page)).includes('client-10-body'));
    assert.equal(await page.$$eval('#content > *', (n) => n.length), 1);
    // the rest of the room still works
    await page.click('#nav a[href="#/clients/HX-00011"]');
    await waitForH1(page, 'HX-00011');
  });

  test('a payload file swapped for another one is tampering', async () => {
    const page = await show('#/training/lesson-1');
    assert.equal(await text(page, '#content .error-page h1'), '此文件已被篡改或损坏');
    assert.equal(await text(page, '#content .error-page code'), tf.pageIds['training/lesson-1']);
    assert.ok(!(await html(page)).includes('client-11-body'), 'the swapped-in content is not shown');
  });

  test('a missing payload file is reported as missing', async () => {
    // Pages share packs: remove the pack of a fixture of its own.
    const f = await makeFixture({ dir: path.join(tmp, 'missing') });
    fs.rmSync(packPath(f, 'notices/letters'));
    const page = await openPage(await ctx(), `${f.url}#/notices/letters`);
    assert.equal(await unlock(page, PASSWORD), null);
    await page.waitForSelector('#content .error-page');
    assert.equal(await text(page, '#content .error-page h1'), Z('missing_file'));
    assert.equal(await text(page, '#content .error-page code'), f.packOf['notices/letters']);
  });

  test('tampered attachment and a file that is not a payload', async () => {
    let page = await show('#/file/attachments/photos/logo.png');
    assert.equal(await text(page, '#content .error-page h1'), '此文件已被篡改或损坏');
    assert.equal(await page.$('#content img'), null);
    page = await show('#/file/attachments/contracts/C-1.pdf');
    assert.equal(await text(page, '#content .error-page h1'), '此文件已被篡改或损坏');
  });

  test('a tampered index stops at the lock screen with a clear error', async () => {
    const f = await makeFixture({ dir: path.join(tmp, 'tamper-index') });
    editPayload(payloadPath(f, f.indexId), f.indexId, flipCt);
    const page = await openPage(await ctx(), f.url);
    const err = await unlock(page, PASSWORD);
    assert.equal(err, `此文件已被篡改或损坏 (文件编号: ${f.indexId})`);
    assert.equal(await page.$eval('#app', (a) => a.hidden), true);
    assert.ok(!(await html(page)).includes(MARKER));
    assert.deepEqual((await storage(page)).session, {}, 'keys not kept when the index cannot be opened');
  });

  test('a missing header.js is explained on the lock screen', async () => {
    const f = await makeFixture({ dir: path.join(tmp, 'no-header') });
    fs.rmSync(path.join(f.siteDir, 'data', 'header.js'));
    const page = await openPage(await ctx(), f.url);
    assert.match(await text(page, '#lock-error'), /data\/header\.js/);
    assert.equal(await page.$eval('#password', (i) => i.disabled), true);
  });
});

describe('English UI', { skip, ...T }, () => {
  test('lock screen, errors and enhancers speak English', async () => {
    const f = await makeFixture({ dir: path.join(tmp, 'en'), lang: 'en' });
    const page = await openPage(await ctx(), `${f.url}#/training/lesson-1`);
    assert.equal(await page.$eval('html', (h) => h.lang), 'en');
    assert.equal(await text(page, 'label[for=password]'), 'Password');
    assert.equal(await page.$('#remember'), null);
    assert.equal(await text(page, '#unlock-form button[type=submit]'), 'Unlock');
    assert.equal(await unlock(page, 'nope'), 'Wrong password');
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, 'Lesson 1');
    assert.equal(await text(page, '#logout'), 'Log out');
    assert.equal(await text(page, '.checklist-progress'), EN('checklist_progress', { done: 1, total: 3 }));
    assert.equal(await text(page, '.quiz button.quiz-submit'), EN('quiz_submit'));
    assert.equal(await text(page, '.quiz button.quiz-print'), 'Print completion record');
  });
});
