// The REAL Rust build of example-dataroom, opened from file:// in headless
// Firefox (Debian's firefox-esr), driven by puppeteer-core over WebDriver BiDi.
// The Chromium suite (e2e.test.mjs) covers far more; this file checks that the
// sealed shell unlocks, routes, decrypts attachments and detects tampering in
// Firefox too.
//
//   node --test tests/browser/firefox.test.mjs
//   FIREFOX=/path/to/firefox DATAROOM_BIN=path/to/dataroom node --test tests/browser/firefox.test.mjs
//
// Firefox lookup, same policy as Chromium's in helpers.mjs: $FIREFOX, else
// /usr/bin/firefox-esr, /usr/bin/firefox (Debian: `apt-get install -y
// firefox-esr`). When it is missing the tests FAIL; with CI=true they always
// fail; otherwise they may be skipped with DATAROOM_SKIP_BROWSER=1 (loudly).
// A missing dataroom binary always FAILS (run `cargo build`).
//
// Firefox runs with its default file:// policy: puppeteer's Firefox profile sets
// security.fileuri.strict_origin_policy=false ("local documents have access to
// all other local documents", Firefox's counterpart of Chromium's
// --allow-file-access-from-files); we set it back to true, and a test checks
// that a file:// page really cannot read a sibling file.

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileUrl, LOCAL_URL, unlockFinished, firefoxSkipReason, launchFirefox } from './helpers.mjs';
import { tamperSiteCopy } from './tamper.mjs';
import { runDataroom, copyExample, buildGeneratedRoom, REPO, ROOM, CLIENT_ID, CLIENT_NAME, CLIENT_PHONE, CLIENT_PHONE_SHOWN, CLIENT_PDF, ROOM_TITLE, T, text, storage, allStorage, assertStorageNamesNothing, settledProgress, assertNoRoomContent } from './example-room.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.DATAROOM_BIN ? path.resolve(process.env.DATAROOM_BIN) : path.join(REPO, 'target/debug/dataroom');
// Non-ASCII on purpose: Firefox's KDF input (UTF-8/NFC) must agree with Rust's.
const PASSWORD = 'firefox 移交 password 2026 correct horse';

const skip = firefoxSkipReason(); // throws (fails) unless DATAROOM_SKIP_BROWSER=1
if (skip) test('firefox browser tests (skipped: no Firefox)', { skip }, () => {});

/**
 * Console errors / page errors that are Firefox's own noise and say nothing
 * about the app. Each entry: [regexp, why]. Keep this list short and explained;
 * whatever matches is printed (not asserted) after each test.
 */
const IGNORED_FIREFOX_ERRORS = [];

// ---- build state -------------------------------------------------------------
let browser;
let tmp;
let sealedSite;
let sealedUrl;
let indexId; // DATAROOM_HEADER.index: the payload id of the room's index
let roomId; // DATAROOM_HEADER.room: keys are stored under dataroom:<room>
const opened = []; // { context, w } per test

const run = (args) => runDataroom(BIN, args);

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

/** Copies the sealed site and flips one base64 character in every payload except `keep` (file ids). */
function tamperedCopy(name, keep) {
  const dir = path.join(tmp, name);
  const flipped = tamperSiteCopy(sealedSite, dir, keep);
  assert.ok(flipped.length > 40, `flipped ${flipped.length} payloads`);
  return { url: fileUrl(path.join(dir, 'index.html')), flipped };
}

// ---- page helpers (puppeteer) --------------------------------------------------
/**
 * A fresh browser context (own storage; downloads go to `downloads`) and a page
 * in it, watched from before its first navigation: requests that are not local
 * (LOCAL_URL), console errors, uncaught page errors, CSP violations.
 */
async function openPage(url, { downloads, expectedErrors = [] } = {}) {
  const context = await browser.createBrowserContext(downloads ? { downloadBehavior: { policy: 'allow', downloadPath: downloads } } : {});
  const w = { offsite: [], consoleErrors: [], ignored: [], expected: [], pageErrors: [], pages: [] };
  opened.push({ context, w });
  const onPage = async (page) => {
    w.pages.push(page);
    page.on('popup', (p) => { if (p) onPage(p).catch((e) => w.pageErrors.push(`watching a popup: ${e}`)); });
    // (Firefox's BiDi reports no events for file:// loads, only for requests that
    // reach the network stack, data: and http(s) ones: exactly what must not happen.)
    page.on('request', (r) => { if (!LOCAL_URL.test(r.url())) w.offsite.push(r.url()); });
    // Firefox reports some of its own error messages (e.g. a blocked request)
    // as WebDriver BiDi "javascript" log entries, which puppeteer emits as
    // 'pageerror': both channels go through the same filter.
    const sort = (msg, line, bucket) => {
      if (expectedErrors.some((re) => re.test(msg))) w.expected.push(line);
      else if (IGNORED_FIREFOX_ERRORS.some(([re]) => re.test(msg))) w.ignored.push(line);
      else bucket.push(line);
    };
    page.on('pageerror', (e) => sort(String((e && e.message) || e), String((e && e.stack) || e), w.pageErrors));
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      sort(m.text(), `${m.text()} (${(m.location() && m.location().url) || '?'})`, w.consoleErrors);
    });
    await page.evaluateOnNewDocument(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
      });
    });
  };
  const page = await context.newPage();
  await onPage(page);
  await page.goto(url);
  return page;
}

/** Same-document navigation to a hash route (what a click on a link does). */
async function goRoute(page, route) {
  await page.evaluate((r) => { location.hash = r; }, route);
}



/** Types the password like a person and submits. Resolves to null when the room
 *  opened, or to the lock screen's error text (same contract as helpers.unlock). */
async function unlock(page, password, { timeout = 30000 } = {}) {
  await page.waitForSelector('#password:not([disabled])', { timeout });
  await page.type('#password', password);
  assert.equal(await page.$eval('#password', (p) => p.value), password, 'the password field holds what was typed');
  await page.click('#unlock-form button[type=submit]');
  await page.waitForFunction(unlockFinished, { timeout });
  const err = await text(page, '#lock-error');
  const locked = await page.$eval('#app', (a) => a.hidden);
  return locked ? (err || 'still locked') : null;
}

/** Wait until #content shows a page (article) whose h1 contains `t`. */
async function waitForH1(page, t, timeout = 15000) {
  await page.waitForFunction((s) => {
    const h = document.querySelector('#content article h1');
    return h && h.textContent.includes(s);
  }, { timeout }, t);
}

/** A finished download `name` in `dir` (Firefox writes NAME.part, then renames it). */
async function waitForDownload(dir, name, timeout = 15000) {
  const file = path.join(dir, name);
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    const parts = fs.readdirSync(dir).filter((f) => f.endsWith('.part'));
    if (fs.existsSync(file) && !parts.length) return file;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no finished download ${name} in ${dir} after ${timeout} ms: ${fs.readdirSync(dir).join(', ') || '(empty)'}`);
}

// ---- the suite ---------------------------------------------------------------
const MISSING_BIN = `dataroom binary not found: ${BIN}. Run \`cargo build\` in ${REPO}, or set DATAROOM_BIN=/path/to/dataroom.`;
test('the dataroom binary exists (firefox suite)', () => assert.ok(fs.existsSync(BIN), MISSING_BIN));

describe('firefox: real build of example-dataroom from file://', { skip, timeout: 120000 }, () => {
  before(() => {
    assert.ok(fs.existsSync(BIN), MISSING_BIN);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dataroom-firefox-'));
    fs.writeFileSync(path.join(tmp, 'pw'), `${PASSWORD}\n`);
    const key = path.join(tmp, 'key');
    run(['keygen', '--out', key]);
    // The engine's unlock, routes, attachments and tamper checks on the one-password
    // room (the header names its index); the example's audiences and NDA are
    // audiences.test.mjs's.
    const room = copyExample(path.join(tmp, 'room'), { audiences: false });
    run(['build', room, '--out', path.join(tmp, 'sealed'), '--password-file', path.join(tmp, 'pw'), '--sign-key', key]);
    sealedSite = path.join(tmp, 'sealed', 'site');
    sealedUrl = fileUrl(path.join(sealedSite, 'index.html'));
    const header = fs.readFileSync(path.join(sealedSite, 'data', 'header.js'), 'utf8');
    ({ index: indexId, room: roomId } = JSON.parse(header.slice(header.indexOf('{'), header.lastIndexOf('}') + 1)));
  });

  before(async () => { browser = await launchFirefox(); });

  after(async () => {
    if (browser) await browser.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  // What every test asserts: nothing left the computer, the CSP blocked
  // nothing, no console errors (IGNORED_CONSOLE_ERRORS aside), no page errors.
  afterEach(async () => {
    while (opened.length) {
      const { context, w } = opened.pop();
      const csp = [];
      for (const p of w.pages) {
        if (p.isClosed()) continue;
        csp.push(...(await p.evaluate(() => window.__cspViolations || []).catch(() => [])));
      }
      await context.close();
      if (w.ignored.length) console.error(`# firefox: ignored console errors: ${w.ignored.join(' | ')}`);
      assert.deepEqual(w.offsite, [], 'no request may leave the computer');
      assert.deepEqual(csp, [], 'the CSP must not block anything the app needs');
      assert.deepEqual(w.consoleErrors, [], 'no console errors');
      assert.deepEqual(w.pageErrors, [], 'no uncaught page errors');
    }
  });

  test('self-check: Firefox keeps its default file:// origin policy, and the error/CSP watchers see what they must', async () => {
    const dir = path.join(tmp, 'probe');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'sibling\n');
    // connect-src is open here, so only the file:// origin policy can stop the read
    fs.writeFileSync(path.join(dir, 'probe.html'), '<!doctype html><meta charset="utf-8">'
      + '<meta http-equiv="Content-Security-Policy" content="img-src \'none\'"><title>probe</title>');
    // everything this page reports is expected here (and only here)
    const page = await openPage(fileUrl(path.join(dir, 'probe.html')), {
      expectedErrors: [
        /Cross-Origin Request Blocked: .*secret\.txt\. \(Reason: CORS request not http\)/,
        /Content-Security-Policy: .*\(img-src\) at data:image\/png/, // Firefox also reports a CSP block as an error
        /dataroom-probe: /,
      ],
    });
    const { w } = opened[opened.length - 1];
    const got = await page.evaluate(() => fetch('secret.txt').then((r) => r.text()).then((t) => `read: ${t.trim()}`, (e) => `blocked: ${e.name}`));
    assert.match(got, /^blocked: /, 'security.fileuri.strict_origin_policy must be in force (puppeteer turns it off)');

    await page.evaluate(() => {
      console.error('dataroom-probe: console.error');
      setTimeout(() => { throw new Error('dataroom-probe: uncaught'); }, 0);
      document.body.append(Object.assign(new Image(), { src: 'data:image/png;base64,iVBORw0KGgo=' }));
    });
    await page.waitForFunction(() => window.__cspViolations.length > 0, { timeout: 5000 });
    const csp = await page.evaluate(() => window.__cspViolations.splice(0));
    assert.match(csp.join('\n'), /^img-src blocked data/m, 'CSP violations are recorded');
    const until = Date.now() + 5000;
    const seen = () => [/Cross-Origin Request Blocked/, /Content-Security-Policy/, /dataroom-probe: console\.error/, /dataroom-probe: uncaught/].every((re) => w.expected.some((l) => re.test(l)));
    while (!seen() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.ok(seen(), `blocked read, console.error and uncaught error all reported: ${JSON.stringify(w.expected)}`);
  });

  test('wrong password: error shown, #content empty, no client data in the DOM, nothing stored', async () => {
    const page = await openPage(sealedUrl);
    assert.equal(await unlock(page, 'not the password, firefox'), T('wrong_password'));
    assert.equal(await page.$eval('#app', (a) => a.hidden), true);
    assert.equal(await page.$eval('#content', (c) => c.innerHTML), '');
    await assertNoRoomContent(page, 'after a wrong password');
    assert.deepEqual(await storage(page), { session: {}, local: {} });
  });

  test('right password: home heading, then #/clients/HX-00010 shows the client', async () => {
    const page = await openPage(sealedUrl);
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, ROOM_TITLE);
    assert.equal(await page.$eval('#lock', (l) => l.hidden), true);
    // the keys live only in this page's memory
    assert.deepEqual(await allStorage(page), { session: {}, local: {}, idb: [] });
    await goRoute(page, `#/clients/${CLIENT_ID}`);
    await waitForH1(page, CLIENT_ID);
    const h1 = await text(page, '#content article h1');
    assert.ok(h1.includes(CLIENT_ID) && h1.includes(CLIENT_NAME), `client heading: ${h1}`);
    assert.ok((await text(page, '#content')).includes(CLIENT_PHONE_SHOWN), 'the client\'s phone number is shown');
    assert.ok(await page.$(`#content a[href="#/file/${CLIENT_PDF}"]`), `the client page links ${CLIENT_PDF}`);
  });

  test('attachment route: PDF decrypts to the original bytes (download and blob: preview)', async () => {
    const downloads = path.join(tmp, 'downloads');
    fs.mkdirSync(downloads);
    const page = await openPage(`${sealedUrl}#/file/${CLIENT_PDF}`, { downloads });
    assert.equal(await unlock(page, PASSWORD), null);
    const name = path.basename(CLIENT_PDF);
    await waitForH1(page, name);
    assert.equal(await text(page, '#content .file-type'), 'application/pdf');
    const link = await page.$eval('#content a.file-download', (a) => ({ href: a.href, download: a.getAttribute('download') }));
    assert.match(link.href, /^blob:/, 'the download link is a blob: URL');
    assert.equal(link.download, name);
    const want = fs.readFileSync(path.join(ROOM, CLIENT_PDF));
    const pdfViewer = await page.evaluate(() => navigator.pdfViewerEnabled);
    if (pdfViewer) {
      assert.equal(await page.$eval('#content iframe.file-preview-frame', (f) => f.src), link.href, 'the preview shows the same blob');
      // Firefox's own viewer (pdf.js) renders the decrypted PDF in the iframe:
      // its text layer shows a line of the original (uncompressed) PDF.
      const line = `Client record: ${CLIENT_ID}`;
      assert.ok(want.includes(`(${line})`), `${CLIENT_PDF} says "${line}"`);
      let frame;
      for (const end = Date.now() + 10000; !frame && Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
        frame = page.frames().find((f) => f.url() === link.href);
      }
      assert.ok(frame, `the preview frame ${link.href} exists: ${page.frames().map((f) => f.url()).join(', ')}`);
      await frame.waitForFunction((l) => [...document.querySelectorAll('.textLayer')]
        .some((t) => t.textContent.replace(/\s+/g, ' ').includes(l)), { timeout: 10000 }, line);
    } else {
      assert.ok(await page.$('#content .file-preview .no-preview'), 'no PDF viewer: the preview says so');
    }

    await page.click('#content a.file-download');
    const got = fs.readFileSync(await waitForDownload(downloads, name));
    assert.ok(got.equals(want), `downloaded ${CLIENT_PDF}: ${got.length} bytes sha256 ${sha256(got)}, original ${want.length} bytes sha256 ${sha256(want)}`);
    assert.equal(await page.$eval('#lock', (l) => l.hidden), true, 'no second password prompt');
  });

  test('an export of several deflate chunks: clients.json of a generated room downloads as restore writes it', async () => {
    const generated = buildGeneratedRoom(BIN, tmp, path.join(tmp, 'pw'), path.join(tmp, 'key'));
    const downloads = path.join(tmp, 'downloads-export');
    fs.mkdirSync(downloads);
    const url = fileUrl(path.join(generated.site, 'index.html'));
    const page = await openPage(`${url}#/handover/exports`, { downloads });
    assert.equal(await unlock(page, PASSWORD), null);
    await page.waitForSelector('#content .handover-exports');
    const href = await page.$eval('#content .handover-exports a[href*="clients.json"]', (a) => a.getAttribute('href'));
    await goRoute(page, href);
    await page.waitForSelector('#content a.file-download', { timeout: 60000 });
    await page.click('#content a.file-download');
    const got = fs.readFileSync(await waitForDownload(downloads, 'clients.json', 30000));
    assert.equal(got.length, generated.clientsJson.length, 'the whole export, not its first chunk');
    assert.ok(got.equals(generated.clientsJson), 'byte for byte what restore wrote');
  });

  test('tamper: one flipped base64 character per payload → tamper error, no client data', async () => {
    // (a) every payload flipped, the index too: stops at the lock screen
    const all = tamperedCopy('tamper-all', []);
    assert.ok(all.flipped.includes(indexId));
    let page = await openPage(all.url);
    const err = await unlock(page, PASSWORD);
    assert.ok(err && err.startsWith(T('tampered')), `tamper error on the lock screen: ${err}`);
    assert.ok(err.includes(indexId), `names the index payload ${indexId}: ${err}`);
    assert.equal(await page.$eval('#app', (a) => a.hidden), true);
    assert.equal(await page.$eval('#content', (c) => c.innerHTML), '');
    await assertNoRoomContent(page, 'tampered index');
    assert.deepEqual(await storage(page), { session: {}, local: {} }, 'nothing kept when the index cannot be opened');

    // (b) every page and attachment flipped, the index intact: the routes show only the error
    const pages = tamperedCopy('tamper-pages', [indexId]);
    page = await openPage(pages.url);
    assert.equal(await unlock(page, PASSWORD), null);
    for (const route of [`#/clients/${CLIENT_ID}`, `#/file/${CLIENT_PDF}`]) {
      const before = await page.$('#content > *'); // what the previous route showed
      await goRoute(page, route);
      await page.waitForFunction((old) => (!old || !old.isConnected) && document.querySelector('#content .error-page'), { timeout: 15000 }, before);
      assert.equal(await page.$$eval('#content > *', (n) => n.length), 1, `${route}: only the error`);
      assert.equal(await text(page, '#content .error-page h1'), T('tampered'), route);
      assert.equal(await page.$eval('#content .error-page', (e) => e.getAttribute('data-error')), 'tampered', route);
      assert.ok(pages.flipped.includes(await text(page, '#content .error-page code')), `${route}: names the flipped payload`);
      assert.equal(await page.$('#content a.file-download, #content iframe, #content table'), null, `${route}: no partial content`);
      const app = await page.$eval('#app', (a) => a.outerHTML);
      assert.ok(!app.includes(CLIENT_PHONE) && !app.includes(CLIENT_PHONE_SHOWN), `${route}: no client data`);
      assert.ok(!(await text(page, '#content')).includes(CLIENT_NAME), `${route}: no client name in #content`);
    }
  });

  test('item 4: another file:// page and this tab navigated elsewhere find no key material; a reload asks again', async () => {
    const page = await openPage(sealedUrl);
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, ROOM_TITLE);
    const other = path.join(tmp, 'elsewhere', 'notes.html');
    fs.mkdirSync(path.dirname(other), { recursive: true });
    fs.writeFileSync(other, '<!DOCTYPE html><meta charset="utf-8"><title>notes</title><p>another local page');
    const second = await openPage(fileUrl(other));
    assert.deepEqual(await allStorage(second), { session: {}, local: {}, idb: [] }, 'another file:// page');
    await page.goto(fileUrl(other));
    assert.deepEqual(await allStorage(page), { session: {}, local: {}, idb: [] }, 'the same tab, navigated elsewhere');
    await page.goto(sealedUrl);
    await page.waitForSelector('#password:not([disabled])');
    assert.equal(await page.$eval('#lock', (l) => l.hidden), false, 'back on the room: the password is asked again');
  });

  test('item 3: public title only, no history entries for records, logout leaves nothing that names a client', async () => {
    const page = await openPage(sealedUrl);
    const publicTitle = await page.title();
    const historyLength = await page.evaluate(() => history.length);
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, ROOM_TITLE);
    await page.click('#content a.card[href="#/clients"]');
    await page.waitForSelector(`#content a[href="#/clients/${CLIENT_ID}"]`);
    await page.click(`#content a[href="#/clients/${CLIENT_ID}"]`);
    await waitForH1(page, CLIENT_ID);
    assert.equal(await page.title(), publicTitle, 'a client page keeps the public title');
    await page.click(`#content a[href="#/file/${CLIENT_PDF}"]`);
    await waitForH1(page, path.basename(CLIENT_PDF));
    assert.equal(await page.title(), publicTitle, 'an attachment keeps the public title');
    assert.equal(await page.evaluate(() => history.length), historyLength, 'pages do not add history entries');
    await page.click('#nav a[href="#/handover/checklist"]');
    await page.waitForSelector(`#content input[data-item="c-${CLIENT_ID}"]:not([disabled])`);
    await page.click(`#content input[data-item="c-${CLIENT_ID}"]`);
    await settledProgress(page);

    await page.click('#logout');
    await page.waitForSelector('#lock:not([hidden])');
    assert.equal(await page.$eval('#content', (c) => c.innerHTML), '');
    assert.equal(await page.title(), publicTitle);
    await assertNoRoomContent(page, 'after logout');
    assert.ok(!page.url().includes('#'), `route removed from the address bar: ${page.url()}`);
    assertStorageNamesNothing(await allStorage(page), 'after logout');
    assert.equal(await page.evaluate(() => history.length), historyLength);
    await page.goBack().catch(() => null);
    assert.ok(!page.url().includes(CLIENT_ID) && !page.url().includes('attachments'), `Back after logout: ${page.url()}`);
  });
});
