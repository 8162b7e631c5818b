// The REAL Rust build of example-dataroom, opened from file:// in WebKit
// (Safari's engine): Debian's WebKitGTK MiniBrowser, driven through
// WebKitWebDriver (package webkit2gtk-driver) by selenium-webdriver, on a
// virtual display (xvfb-run). Checks that the sealed shell unlocks, routes,
// decrypts attachments and detects tampering in WebKit too; a wrong password
// shows the catalogue's message. How this was made to work on Debian:
// /work/shared/notes/webkit-e2e.md (summarised in README.md, "Which browsers").
//
//   node --test tests/browser/webkit.test.mjs
//   WEBKIT_DRIVER=/path/to/WebKitWebDriver DATAROOM_BIN=path/to/dataroom node --test tests/browser/webkit.test.mjs
//
// Lookup, same policy as Chromium's in helpers.mjs: $WEBKIT_DRIVER, else
// /usr/bin/WebKitWebDriver, and xvfb-run (Debian: `apt-get install -y
// webkit2gtk-driver xvfb xauth`). When either is missing the tests FAIL; with
// CI=true they always fail; otherwise they may be skipped with
// DATAROOM_SKIP_BROWSER=1 (loudly). A missing dataroom binary always FAILS.
//
// WebDriver classic on WebKitGTK reports no console, page errors or network
// requests, so each test opens a copy of the site whose index.html loads a
// watcher script first (WATCH_SCRIPT: errors, unhandled rejections,
// console.error, CSP violations, resource requests); the room's own files are
// unchanged. WebKitGTK is Safari's engine, not Safari: Safari's own file://
// rules and PDF viewer may differ.

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fileUrl, LOCAL_URL, unlockFinished, missingBrowser } from './helpers.mjs';
import { tamperSiteCopy } from './tamper.mjs';
import { runDataroom, copyExample, buildGeneratedRoom, REPO, ROOM, CLIENT_ID, CLIENT_NAME, CLIENT_PHONE, CLIENT_PHONE_SHOWN, CLIENT_PDF, ROOM_TITLE, T, allStorage, assertStorageNamesNothing } from './example-room.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.DATAROOM_BIN ? path.resolve(process.env.DATAROOM_BIN) : path.join(REPO, 'target/debug/dataroom');
// Non-ASCII on purpose: WebKit's KDF input (UTF-8/NFC) must agree with Rust's.
const PASSWORD = 'webkit 移交 password 2026 correct horse';

// ---- WebKitWebDriver lookup (the policy of helpers.mjs for Chromium) ---------
const DRIVER_CANDIDATES = ['/usr/bin/WebKitWebDriver'];
const XVFB_RUN = '/usr/bin/xvfb-run';

function findDriver() {
  if (process.env.WEBKIT_DRIVER) {
    return fs.existsSync(process.env.WEBKIT_DRIVER) ? process.env.WEBKIT_DRIVER : null;
  }
  return DRIVER_CANDIDATES.find((p) => fs.existsSync(p)) || null;
}

/** Why the WebKit tests are skipped (string), or false. Throws when they must not be skipped. */
function webkitSkipReason() {
  const missing = [];
  if (!findDriver()) missing.push(process.env.WEBKIT_DRIVER ? `WEBKIT_DRIVER=${process.env.WEBKIT_DRIVER} does not exist` : `none of ${DRIVER_CANDIDATES.join(', ')} exists`);
  if (!fs.existsSync(XVFB_RUN)) missing.push(`${XVFB_RUN} does not exist`);
  if (!missing.length) return false;
  return missingBrowser('WebKit', `WebKit not found (${missing.join('; ')}). Install it with: apt-get install -y webkit2gtk-driver xvfb xauth fonts-noto-cjk (or set WEBKIT_DRIVER=/path/to/WebKitWebDriver).`);
}

const skip = webkitSkipReason(); // throws (fails) unless DATAROOM_SKIP_BROWSER=1
if (skip) test('webkit browser tests (skipped: no WebKitWebDriver)', { skip }, () => {});

async function loadSelenium() {
  try {
    return await import('selenium-webdriver');
  } catch (e) {
    throw new Error(`selenium-webdriver is not installed: run \`npm ci\` in ${HERE} (${e.message})`);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1 for the driver. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts WebKitWebDriver on its own virtual display (xvfb-run -a), in its own
 * process group so that stopping it also stops Xvfb and the browsers. HOME is
 * `home`: WebKitGTK saves downloads there.
 */
async function startDriver(home) {
  const port = await freePort();
  const log = [];
  const child = spawn(XVFB_RUN, ['-a', '-s', '-screen 0 1280x1024x24', findDriver(), `--port=${port}`], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOME: home, XDG_DOWNLOAD_DIR: path.join(home, 'Downloads') },
  });
  child.stdout.on('data', (d) => log.push(String(d)));
  child.stderr.on('data', (d) => log.push(String(d)));
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  for (const end = Date.now() + 30000; Date.now() < end;) {
    const up = await fetch(`${url}/status`).then((r) => r.ok, () => false);
    if (up) return { url, stop: () => stopGroup(child, exited), log };
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  stopGroup(child, exited);
  throw new Error(`WebKitWebDriver did not start on ${url}: ${log.join('').slice(-2000)}`);
}

async function stopGroup(child, exited) {
  if (child.exitCode !== null) return;
  try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
  await Promise.race([exited, sleep(5000)]);
}

// ---- the watcher every opened page loads first --------------------------------
const WATCH_SCRIPT = `(function () {
  'use strict';
  var w = window.__watch = { errors: [], csp: [] };
  window.addEventListener('error', function (e) { w.errors.push('error: ' + (e.error && e.error.stack || e.message)); });
  window.addEventListener('unhandledrejection', function (e) { w.errors.push('unhandledrejection: ' + (e.reason && (e.reason.stack || e.reason.message) || e.reason)); });
  var consoleError = console.error;
  console.error = function () { w.errors.push('console.error: ' + Array.prototype.map.call(arguments, String).join(' ')); return consoleError.apply(console, arguments); };
  document.addEventListener('securitypolicyviolation', function (e) { w.csp.push(e.violatedDirective + ' blocked ' + e.blockedURI + ' (' + e.sourceFile + ':' + e.lineNumber + ')'); });
})();
`;

/** Puts the watcher (and `extra`, a script) into a copy of a site: its
 *  index.html loads static/webkit-watch.js before anything else. */
function addWatcher(dir, extra = '') {
  fs.writeFileSync(path.join(dir, 'static', 'webkit-watch.js'), WATCH_SCRIPT + extra);
  const index = path.join(dir, 'index.html');
  const html = fs.readFileSync(index, 'utf8');
  const at = html.indexOf('<meta charset="utf-8">');
  assert.ok(at > 0, 'index.html has <meta charset="utf-8">');
  const end = at + '<meta charset="utf-8">'.length;
  fs.writeFileSync(index, `${html.slice(0, end)}\n<script src="static/webkit-watch.js"></script>${html.slice(end)}`);
}

// ---- build state -------------------------------------------------------------
let tmp;
let sealedSite;
let indexId; // DATAROOM_HEADER.index: the payload id of the room's index
let driver; // { url, stop, log }
let selenium;
const sessions = []; // WebDrivers opened by the current test

const run = (args) => runDataroom(BIN, args);

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

/** A watched copy of the sealed site, optionally with every payload but
 *  `tamperAllBut` flipped, or with `first` run before the room's scripts. */
function siteCopy(name, { tamperAllBut, first } = {}) {
  const dir = path.join(tmp, name);
  let flipped = [];
  if (tamperAllBut) {
    flipped = tamperSiteCopy(sealedSite, dir, tamperAllBut);
    assert.ok(flipped.length > 40, `flipped ${flipped.length} payloads`);
  } else {
    fs.cpSync(sealedSite, dir, { recursive: true });
  }
  addWatcher(dir, first);
  return { url: fileUrl(path.join(dir, 'index.html')), flipped };
}

// ---- page helpers (selenium) ---------------------------------------------------
/**
 * What every page is checked for when it closes: nothing left the computer
 * (every resource it loaded is local; a request the CSP stopped is not in the
 * resource timings but is a CSP violation), the CSP blocked nothing, no errors
 * of any kind. Then its browser is closed.
 */
async function closePage(page) {
  const seen = await evaluate(page, () => ({
    watch: window.__watch || null,
    resources: performance.getEntriesByType('resource').map((r) => r.name),
    url: location.href,
  })).catch((e) => ({ lost: String(e) }));
  await page.quit().catch(() => {});
  assert.equal(seen.lost, undefined, 'the page can still be read');
  assert.ok(seen.watch, `the watcher ran in ${seen.url}`);
  assert.deepEqual(seen.resources.filter((u) => !LOCAL_URL.test(u)), [], 'no request may leave the computer');
  assert.deepEqual(seen.watch.csp, [], 'the CSP must not block anything the app needs');
  assert.deepEqual(seen.watch.errors, [], 'no errors, rejections or console errors');
}

/**
 * A new MiniBrowser (own storage) showing `url`; the test's previous one is
 * checked and closed first (WebKitWebDriver runs one session at a time).
 * Session creation hangs without a display: bounded.
 */
async function openPage(url) {
  while (sessions.length) await closePage(sessions.pop());
  const { Builder } = selenium;
  const build = new Builder()
    .usingServer(driver.url)
    .withCapabilities({ browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { args: ['--automation'] } })
    .build();
  let timer;
  const page = await Promise.race([
    build,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no WebKit session after 60 s: ${driver.log.join('').slice(-2000)}`)), 60000); }),
  ]).finally(() => clearTimeout(timer));
  sessions.push(page);
  await page.get(url);
  return page;
}

/** Runs `fn` (a function of no arguments returning a value) in the page; resolves to its value. */
const evaluate = (page, fn, ...args) => page.executeScript(`return (${fn}).apply(null, arguments)`, ...args);

/** Waits until `fn` returns something truthy in the page; resolves to it. */
async function waitFor(page, fn, what, timeout = 15000, ...args) {
  let last;
  for (const end = Date.now() + timeout; Date.now() < end; await sleep(100)) {
    last = await evaluate(page, fn, ...args);
    if (last) return last;
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/** The page as example-room.mjs's probes (allStorage, …) expect it: `evaluate(fn, ...args)`. */
const probe = (page) => ({ evaluate: (fn, ...args) => evaluate(page, fn, ...args) });
const text = (page, sel) => evaluate(page, (s) => { const e = document.querySelector(s); return e ? e.textContent.trim() : null; }, sel);
const goRoute = (page, route) => evaluate(page, (r) => { location.hash = r; }, route);
const waitForH1 = (page, t) => waitFor(page, (s) => {
  const h = document.querySelector('#content article h1');
  return h && h.textContent.includes(s);
}, `an <h1> containing "${t}"`, 15000, t);

/** Types the password like a person and submits. Resolves to null when the room
 *  opened, or to the lock screen's error text (same contract as helpers.unlock). */
async function unlock(page, password, { timeout = 30000 } = {}) {
  const { By } = selenium;
  await waitFor(page, () => { const p = document.getElementById('password'); return p && !p.disabled; }, 'the password field', timeout);
  const field = await page.findElement(By.css('#password'));
  await field.sendKeys(password);
  assert.equal(await field.getAttribute('value'), password, 'the password field holds what was typed');
  await page.findElement(By.css('#unlock-form button[type=submit]')).click();
  await waitFor(page, unlockFinished, 'the room to open or an error', timeout);
  const err = await text(page, '#lock-error');
  const locked = await evaluate(page, () => document.getElementById('app').hidden);
  return locked ? (err || 'still locked') : null;
}

/** Asserts that nothing of the room (a client's name and phone, the room title) is in the page. */
async function assertNoRoomContent(page, what) {
  const html = await evaluate(page, () => document.documentElement.outerHTML + document.title);
  for (const secret of [CLIENT_NAME, CLIENT_PHONE, CLIENT_PHONE_SHOWN, ROOM_TITLE]) {
    assert.ok(!html.includes(secret), `${what}: "${secret}" must not be in the DOM`);
  }
}

/** A finished download `name` in `dir` or a folder below it (WebKitGTK picks the folder). */
async function waitForDownload(dir, name, timeout = 15000) {
  for (const end = Date.now() + timeout; Date.now() < end; await sleep(100)) {
    const found = fs.readdirSync(dir, { recursive: true }).map(String).find((f) => path.basename(f) === name);
    if (found) {
      const file = path.join(dir, found);
      const size = fs.statSync(file).size;
      await sleep(300);
      if (fs.statSync(file).size === size && size > 0) return file;
    }
  }
  throw new Error(`no finished download ${name} under ${dir} after ${timeout} ms: ${fs.readdirSync(dir, { recursive: true }).join(', ') || '(empty)'}`);
}

// ---- the suite ---------------------------------------------------------------
const MISSING_BIN = `dataroom binary not found: ${BIN}. Run \`cargo build\` in ${REPO}, or set DATAROOM_BIN=/path/to/dataroom.`;
test('the dataroom binary exists (webkit suite)', () => assert.ok(fs.existsSync(BIN), MISSING_BIN));

describe('webkit: real build of example-dataroom from file://', { skip, timeout: 180000 }, () => {
  before(async () => {
    assert.ok(fs.existsSync(BIN), MISSING_BIN);
    selenium = await loadSelenium();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dataroom-webkit-'));
    fs.writeFileSync(path.join(tmp, 'pw'), `${PASSWORD}\n`);
    const key = path.join(tmp, 'key');
    run(['keygen', '--out', key]);
    // The engine's unlock, routes, attachments and tamper checks on the one-password
    // room (the header names its index); the example's audiences and NDA are
    // audiences.test.mjs's.
    const room = copyExample(path.join(tmp, 'room'), { audiences: false });
    run(['build', room, '--out', path.join(tmp, 'sealed'), '--password-file', path.join(tmp, 'pw'), '--sign-key', key]);
    sealedSite = path.join(tmp, 'sealed', 'site');
    const header = fs.readFileSync(path.join(sealedSite, 'data', 'header.js'), 'utf8');
    ({ index: indexId } = JSON.parse(header.slice(header.indexOf('{'), header.lastIndexOf('}') + 1)));
    fs.mkdirSync(path.join(tmp, 'home'));
    driver = await startDriver(path.join(tmp, 'home'));
  });

  after(async () => {
    if (driver) await driver.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  afterEach(async () => {
    while (sessions.length) await closePage(sessions.pop());
  });

  test('self-check: this is WebKit, from file:// with what the room needs, and the watcher sees errors and CSP blocks', async () => {
    const { url } = siteCopy('probe');
    const page = await openPage(url);
    const env = await evaluate(page, () => ({
      ua: navigator.userAgent,
      secure: window.isSecureContext,
      subtle: !!(window.crypto && crypto.subtle),
      gunzip: typeof DecompressionStream,
      protocol: location.protocol,
    }));
    assert.match(env.ua, /AppleWebKit\/\d+/, env.ua);
    assert.doesNotMatch(env.ua, /Chrome|Chromium|Firefox/, `not Chromium or Firefox: ${env.ua}`);
    assert.equal(env.protocol, 'file:');
    assert.equal(env.secure, true, 'file:// is a secure context in WebKit (crypto.subtle needs one)');
    assert.equal(env.subtle, true, 'crypto.subtle');
    assert.equal(env.gunzip, 'function', 'DecompressionStream');
    // The watcher itself: an uncaught error, a console.error and a CSP block are recorded.
    await evaluate(page, () => {
      console.error('dataroom-probe: console.error');
      setTimeout(() => { throw new Error('dataroom-probe: uncaught'); }, 0);
      fetch('https://example.invalid/probe').catch(() => {});
    });
    const w = await waitFor(page, () => {
      const x = window.__watch;
      return x.csp.length && x.errors.length >= 2 && JSON.parse(JSON.stringify(x));
    }, 'the watcher to record the probe');
    assert.match(w.csp.join('\n'), /^connect-src blocked https:\/\/example\.invalid/m, 'CSP violations are recorded');
    assert.ok(w.errors.some((e) => e.includes('dataroom-probe: console.error')), w.errors.join('\n'));
    assert.ok(w.errors.some((e) => /dataroom-probe: uncaught|Script error/.test(e)), w.errors.join('\n'));
    // (WebKit reports neither an img-src block nor the text of an error in a
    // file:// script: "Script error.", see the notes at the top.)
    await evaluate(page, () => { window.__watch.errors = []; window.__watch.csp = []; });
  });

  test('wrong password: the catalogue message, #content empty, no client data in the DOM, nothing stored', async () => {
    const page = await openPage(siteCopy('wrong').url);
    assert.equal(await unlock(page, 'not the password, webkit'), T('wrong_password'));
    assert.equal(await evaluate(page, () => document.getElementById('app').hidden), true);
    assert.equal(await evaluate(page, () => document.getElementById('content').innerHTML), '');
    await assertNoRoomContent(page, 'after a wrong password');
    assert.deepEqual(await allStorage(probe(page)), { session: {}, local: {}, idb: [] });
  });

  test('a WebKit without DecompressionStream (Safari before 16.4): the lock screen says which browsers to use', async () => {
    const page = await openPage(siteCopy('old-safari', { first: 'delete window.DecompressionStream;' }).url);
    const shown = await waitFor(page, () => {
      const e = document.getElementById('lock-error');
      return e && e.textContent.trim();
    }, 'the lock screen\'s message');
    assert.equal(shown, T('unsupported_browser'));
    assert.match(shown, /Safari（16\.4 及以上）/, 'names the Safari that works');
    assert.equal(await evaluate(page, () => document.getElementById('app').hidden), true);
  });

  test('right password: home heading, then the clients index and a client page', async () => {
    const { By } = selenium;
    const page = await openPage(siteCopy('right').url);
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, ROOM_TITLE);
    assert.equal(await evaluate(page, () => document.getElementById('lock').hidden), true);
    // the keys live only in this page's memory
    assert.deepEqual(await allStorage(probe(page)), { session: {}, local: {}, idb: [] });
    await page.findElement(By.css('#content a.card[href="#/clients"]')).click();
    await waitFor(page, (id) => document.querySelector(`#content a[href="#/clients/${id}"]`), 'the clients index', 15000, CLIENT_ID);
    await page.findElement(By.css(`#content a[href="#/clients/${CLIENT_ID}"]`)).click();
    await waitForH1(page, CLIENT_ID);
    const h1 = await text(page, '#content article h1');
    assert.ok(h1.includes(CLIENT_ID) && h1.includes(CLIENT_NAME), `client heading: ${h1}`);
    assert.ok((await text(page, '#content')).includes(CLIENT_PHONE_SHOWN), 'the client\'s phone number is shown');
    assert.ok(await evaluate(page, (f) => !!document.querySelector(`#content a[href="#/file/${f}"]`), CLIENT_PDF), `the client page links ${CLIENT_PDF}`);
    // a deep link typed into the address bar of an open room
    await goRoute(page, '#/policies');
    await goRoute(page, `#/clients/${CLIENT_ID}`);
    await waitForH1(page, CLIENT_ID);
    assertStorageNamesNothing(await allStorage(probe(page)), 'while reading a client');
  });

  // Issue 10's list views in WebKit: the index's rows come from sealed shards
  // into a virtual list that filters; the print button puts every row in the
  // page before the dialog; the handover checklist keeps a tick by item id
  // across pages; the notices are letters drawn from the page's row form.
  test('list views: virtual rows, filter, print every row, checklist ticks, notices', async () => {
    const { By } = selenium;
    const page = await openPage(siteCopy('lists').url);
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, ROOM_TITLE);
    await goRoute(page, '#/clients');
    const total = await waitFor(page, () => {
      const table = document.querySelector('table.virtual');
      const status = document.querySelector('.rows-status');
      return table && status && /\d/.test(status.textContent) && Number(table.getAttribute('aria-rowcount')) - 1;
    }, 'the clients list with all its rows');
    assert.ok(total >= 2, `rows: ${total}`);
    await page.findElement(By.css('input.rows-filter')).sendKeys(CLIENT_ID);
    await waitFor(page, () => document.querySelector('table.virtual').getAttribute('aria-rowcount') === '2', 'the filter to narrow to one row');
    assert.equal(await text(page, 'tbody[data-rows] tr[aria-rowindex="2"] td a'), CLIENT_ID);
    await evaluate(page, () => { const i = document.querySelector('input.rows-filter'); i.value = ''; i.dispatchEvent(new Event('input')); });
    await evaluate(page, () => { window.print = () => { window.__printedRows = document.querySelectorAll('tbody[data-rows] tr[aria-rowindex]').length; }; });
    await waitFor(page, (n) => document.querySelector('table.virtual').getAttribute('aria-rowcount') === String(n + 1), 'the filter cleared', 15000, total);
    await page.findElement(By.css('button.rows-print')).click();
    assert.equal(await waitFor(page, () => window.__printedRows, 'the print dialog'), total);

    await goRoute(page, '#/handover/checklist');
    const box = `tbody[data-rows="checklist_clients"] input[data-item="c-${CLIENT_ID}"]`;
    await waitFor(page, (sel) => document.querySelector(sel), 'the checklist rows', 15000, box);
    await page.findElement(By.css(box)).click();
    await goRoute(page, '#/handover/notices');
    const letter = await waitFor(page, () => {
      const s = document.querySelector('[data-rows="notices"] section.notice[aria-posinset="1"]');
      return s && s.textContent;
    }, 'the first notice');
    assert.ok(letter.length > 50, letter);
    await goRoute(page, '#/handover/checklist');
    await waitFor(page, (sel) => document.querySelector(sel), 'the checklist rows again', 15000, box);
    assert.equal(await evaluate(page, (sel) => document.querySelector(sel).checked, box), true, 'the tick is kept by item id');
  });

  test('search: "/" focuses the header box, a typed name fragment finds the client, Enter opens it', async () => {
    const { By, Key } = selenium;
    const page = await openPage(siteCopy('search').url);
    assert.equal(await unlock(page, PASSWORD), null);
    await waitForH1(page, ROOM_TITLE);
    await page.findElement(By.css('body')).sendKeys('/');
    assert.equal(await evaluate(page, () => document.activeElement.matches('header [role=search] input[type=search]')), true);
    const fragment = CLIENT_NAME.slice(0, 2);
    await page.switchTo().activeElement().then((input) => input.sendKeys(fragment));
    const hit = await waitFor(page, (id) => {
      const a = document.querySelector(`#search-results a[href="#/clients/${id}"]`);
      return a && !a.closest('nav') && [...a.querySelectorAll('mark')].map((m) => m.textContent);
    }, 'the client among the results', 15000, CLIENT_ID);
    assert.ok(hit.includes(fragment), JSON.stringify(hit));
    await page.switchTo().activeElement().then((input) => input.sendKeys(Key.ARROW_DOWN));
    const first = await evaluate(page, () => document.activeElement.getAttribute('href'));
    assert.match(first, /^#\//);
    await page.switchTo().activeElement().then((link) => link.sendKeys(Key.ENTER));
    await waitFor(page, (h) => location.hash === h && document.querySelector('#content article'), 'the result to open', 15000, first);
    assertStorageNamesNothing(await allStorage(probe(page)), 'after searching');
  });

  test('attachment: the PDF decrypts to the original bytes (blob: link, download)', async () => {
    const { By } = selenium;
    const page = await openPage(`${siteCopy('attachment').url}#/file/${CLIENT_PDF}`);
    assert.equal(await unlock(page, PASSWORD), null);
    const name = path.basename(CLIENT_PDF);
    await waitForH1(page, name);
    assert.equal(await text(page, '#content .file-type'), 'application/pdf');
    const link = await evaluate(page, () => {
      const a = document.querySelector('#content a.file-download');
      return { href: a.href, download: a.getAttribute('download') };
    });
    assert.match(link.href, /^blob:/, 'the download link is a blob: URL');
    assert.equal(link.download, name);
    const want = fs.readFileSync(path.join(ROOM, CLIENT_PDF));
    // (The page cannot read the blob back to compare: the room's CSP has
    // connect-src 'none'. The download below carries the same bytes.)
    // The preview: WebKit's own PDF viewer (pdfViewerEnabled) shows the same blob, or the page says there is none.
    const preview = await evaluate(page, () => ({
      pdfViewer: navigator.pdfViewerEnabled,
      frame: (document.querySelector('#content iframe.file-preview-frame') || {}).src || null,
      none: !!document.querySelector('#content .file-preview .no-preview'),
    }));
    if (preview.pdfViewer) assert.equal(preview.frame, link.href, 'the preview shows the same blob');
    else assert.ok(preview.none, `no PDF viewer: the preview says so (${JSON.stringify(preview)})`);
    // A click saves the file under the browser's download folder (in HOME).
    await page.findElement(By.css('#content a.file-download')).click();
    const got = fs.readFileSync(await waitForDownload(path.join(tmp, 'home'), name));
    assert.ok(got.equals(want), `downloaded ${CLIENT_PDF}: ${got.length} bytes sha256 ${sha256(got)}, original ${want.length} bytes sha256 ${sha256(want)}`);
    assert.equal(await evaluate(page, () => document.getElementById('lock').hidden), true, 'no second password prompt');
  });

  test('an export of several deflate chunks: clients.json of a generated room downloads as restore writes it', async () => {
    const { By } = selenium;
    const generated = buildGeneratedRoom(BIN, tmp, path.join(tmp, 'pw'), path.join(tmp, 'key'));
    const dir = path.join(tmp, 'generated-watched');
    fs.cpSync(generated.site, dir, { recursive: true });
    addWatcher(dir);
    const page = await openPage(`${fileUrl(path.join(dir, 'index.html'))}#/handover/exports`);
    assert.equal(await unlock(page, PASSWORD), null);
    await waitFor(page, () => document.querySelector('#content .handover-exports a[href*="clients.json"]'), 'the exports page');
    const href = await evaluate(page, () => document.querySelector('#content .handover-exports a[href*="clients.json"]').getAttribute('href'));
    await goRoute(page, href);
    await waitFor(page, () => document.querySelector('#content a.file-download'), 'the export to decrypt', 60000);
    await page.findElement(By.css('#content a.file-download')).click();
    const got = fs.readFileSync(await waitForDownload(path.join(tmp, 'home'), 'clients.json', 30000));
    assert.equal(got.length, generated.clientsJson.length, 'the whole export, not its first chunk');
    assert.ok(got.equals(generated.clientsJson), 'byte for byte what restore wrote');
  });

  test('tamper: one flipped base64 character per payload → tamper error, no client data', async () => {
    // (a) every payload flipped, the index too: stops at the lock screen
    const all = siteCopy('tamper-all', { tamperAllBut: [] });
    assert.ok(all.flipped.includes(indexId));
    let page = await openPage(all.url);
    const err = await unlock(page, PASSWORD);
    assert.ok(err && err.startsWith(T('tampered')), `tamper error on the lock screen: ${err}`);
    assert.ok(err.includes(indexId), `names the index payload ${indexId}: ${err}`);
    assert.equal(await evaluate(page, () => document.getElementById('app').hidden), true);
    assert.equal(await evaluate(page, () => document.getElementById('content').innerHTML), '');
    await assertNoRoomContent(page, 'tampered index');
    assert.deepEqual(await allStorage(probe(page)), { session: {}, local: {}, idb: [] }, 'nothing kept when the index cannot be opened');

    // (b) every page and attachment flipped, the index intact: the routes show only the error
    const pages = siteCopy('tamper-pages', { tamperAllBut: [indexId] });
    page = await openPage(pages.url);
    assert.equal(await unlock(page, PASSWORD), null);
    for (const route of [`#/clients/${CLIENT_ID}`, `#/file/${CLIENT_PDF}`]) {
      await evaluate(page, () => { window.__before = document.querySelector('#content > *'); });
      await goRoute(page, route);
      await waitFor(page, () => (!window.__before || !window.__before.isConnected) && document.querySelector('#content .error-page'), `${route}: the error page`);
      assert.equal(await evaluate(page, () => document.querySelectorAll('#content > *').length), 1, `${route}: only the error`);
      assert.equal(await text(page, '#content .error-page h1'), T('tampered'), route);
      assert.equal(await evaluate(page, () => document.querySelector('#content .error-page').getAttribute('data-error')), 'tampered', route);
      assert.ok(pages.flipped.includes(await text(page, '#content .error-page code')), `${route}: names the flipped payload`);
      assert.equal(await evaluate(page, () => document.querySelector('#content a.file-download, #content iframe, #content table')), null, `${route}: no partial content`);
      const app = await evaluate(page, () => document.getElementById('app').outerHTML);
      assert.ok(!app.includes(CLIENT_PHONE) && !app.includes(CLIENT_PHONE_SHOWN), `${route}: no client data`);
      assert.ok(!(await text(page, '#content')).includes(CLIENT_NAME), `${route}: no client name in #content`);
    }
  });
});
