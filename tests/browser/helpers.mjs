// Shared helpers for the browser tests (fixture tests now, real Rust builds
// later: DATAROOM_BIN=path/to/dataroom).
//
//   const browser = await launchBrowser();   // null only when skipping
//   const { context, watch } = await newContext(browser) // network + CSP watchers
//   const page = await openPage(context, url)
//   await unlock(page, password)
//
// Chromium lookup: $CHROMIUM, else /usr/bin/chromium (Debian:
// `apt-get install -y chromium fonts-noto-cjk`). When it is missing the
// tests FAIL; with CI=true they always fail; otherwise they may be skipped
// with DATAROOM_SKIP_BROWSER=1 (loudly).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

// Deliberately NOT --allow-file-access-from-files: the product must work without it.
export const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function findChromium() {
  if (process.env.CHROMIUM) {
    return fs.existsSync(process.env.CHROMIUM) ? process.env.CHROMIUM : null;
  }
  return CHROMIUM_CANDIDATES.find((p) => fs.existsSync(p)) || null;
}

/** Why browser tests are skipped (string), or false. Throws when they must not be skipped. */
export function browserSkipReason() {
  if (findChromium()) return false;
  const where = process.env.CHROMIUM ? `CHROMIUM=${process.env.CHROMIUM} does not exist` : `none of ${CHROMIUM_CANDIDATES.join(', ')} exists`;
  return missingBrowser('Chromium', `Chromium not found (${where}). Install it with: apt-get install -y chromium fonts-noto-cjk (or set CHROMIUM=/path/to/chromium).`);
}

/**
 * The policy for a browser that is not installed (`msg` says which and how to
 * install it): with CI=true the tests FAIL (throws); with
 * DATAROOM_SKIP_BROWSER=1 they are skipped loudly (returns the reason);
 * otherwise they FAIL.
 */
export function missingBrowser(name, msg) {
  if (process.env.CI === 'true') throw new Error(`${msg} CI=true: browser tests must run, failing.`);
  if (process.env.DATAROOM_SKIP_BROWSER === '1') {
    const bar = '!'.repeat(78);
    console.error(`\n${bar}\n!!! SKIPPING ${name.toUpperCase()} TESTS: ${msg}\n!!! (DATAROOM_SKIP_BROWSER=1)\n${bar}\n`);
    return `${name} not found and DATAROOM_SKIP_BROWSER=1`;
  }
  throw new Error(`${msg} Set DATAROOM_SKIP_BROWSER=1 to skip the browser tests on this machine.`);
}

/** Launch headless Chromium, or return null when the tests are being skipped. */
export async function launchBrowser(options = {}) {
  if (browserSkipReason()) return null;
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    throw new Error(`playwright-core is not installed: run \`npm ci\` in ${path.dirname(fileURLToPath(import.meta.url))} (${e.message})`);
  }
  return chromium.launch({
    executablePath: findChromium(),
    headless: true,
    args: LAUNCH_ARGS,
    ...options,
  });
}

export const fileUrl = (p) => pathToFileURL(p).href;

/**
 * Schemes that never leave the computer: the site itself (file:), decrypted
 * attachments (blob:, data:) and the browser's own resources (chrome:,
 * chrome-extension:, e.g. Chromium's built-in PDF viewer; about:).
 */
export const LOCAL_URL = /^(file|blob|data|about|chrome|chrome-extension|chrome-untrusted|devtools):/i;

/**
 * Watch a page or a whole browser context (then popups are covered too):
 * every request URL that is not local (LOCAL_URL) goes to `offsite`; CSP
 * violations (securitypolicyviolation events) and page errors are recorded.
 * Call before navigating.
 */
export async function watch(target) {
  const w = { offsite: [], requests: [], pageErrors: [], pages: [] };
  const isContext = typeof target.pages === 'function';
  target.on('request', (r) => {
    const u = r.url();
    w.requests.push(u);
    if (!LOCAL_URL.test(u)) w.offsite.push(u);
  });
  const onPage = (p) => {
    w.pages.push(p);
    p.on('pageerror', (e) => w.pageErrors.push(String((e && e.stack) || e)));
    p.on('websocket', (ws) => w.offsite.push(ws.url()));
  };
  if (isContext) {
    target.on('page', onPage);
    target.pages().forEach(onPage);
  } else onPage(target);
  await target.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  /** CSP violations seen so far in all watched pages that are still open. */
  w.cspViolations = async () => {
    const out = [];
    for (const p of w.pages) {
      if (p.isClosed()) continue;
      out.push(...(await p.evaluate(() => window.__cspViolations || []).catch(() => [])));
    }
    return out;
  };
  return w;
}

/** A fresh context (own storage, downloads accepted) with a watcher. Returns { context, watch }. */
export async function newContext(browser, options = {}) {
  const context = await browser.newContext({ acceptDownloads: true, ...options });
  return { context, watch: await watch(context) };
}

/** New page in `context` navigated to url. */
export async function openPage(context, url) {
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

/**
 * In the page: unlocking has finished, either way. The room (its first page,
 * the NDA gate or an error page) shows in #content, or the lock screen shows
 * its error. Self-contained, so every driver runs it (playwright's and
 * puppeteer's waitForFunction, selenium's executeScript).
 */
export function unlockFinished() {
  const app = document.getElementById('app');
  const err = document.getElementById('lock-error');
  const content = document.getElementById('content');
  const busy = document.getElementById('unlock-form').getAttribute('aria-busy') === 'true';
  if (!busy && err && err.textContent.trim()) return true;
  return !!(app && !app.hidden && content && content.querySelector('article, .error-page'));
}

/** In the page: the room's own content shows (not the NDA, not the acceptance). */
export function roomShown() {
  const content = document.getElementById('content');
  return !!(content && content.querySelector('article, .error-page') && !content.querySelector('.nda-gate, .acceptance-page'));
}

/** The reader's name `unlock` types into the NDA. */
export const NDA_READER = '王小明';

/**
 * Unlock the sealed shell. When the room shows its NDA, `name` is typed in,
 * agreement ticked and 同意 pressed, then the acceptance is left for the room
 * (with `{ nda: false }` it stops at the NDA). Resolves to null when the room
 * opened (the first page, the NDA or an error page is shown in #content), or
 * to the lock screen's error text.
 */
export async function unlock(page, password, { name = NDA_READER, nda = true, timeout = 30000 } = {}) {
  await page.waitForSelector('#password:not([disabled])', { timeout });
  await page.fill('#password', password);
  await page.click('#unlock-form button[type=submit]');
  await page.waitForFunction(unlockFinished, null, { timeout });
  const err = await page.$eval('#lock-error', (e) => e.textContent.trim());
  const locked = await page.$eval('#app', (a) => a.hidden);
  if (locked) return err || 'still locked';
  if (nda && (await page.$('#content .nda-gate #nda-name'))) {
    await acceptNda(page, { name, timeout });
    await leaveAcceptance(page, { timeout });
  }
  return null;
}

/** At the NDA: types `name`, ticks agreement, presses 同意; waits for the acceptance record. */
export async function acceptNda(page, { name = NDA_READER, timeout = 30000 } = {}) {
  await page.fill('#nda-name', name);
  await page.check('#nda-agree');
  await page.click('#nda-accept');
  await page.waitForSelector('#content .acceptance-record', { timeout });
}

/** At the acceptance record: goes on into the room and waits for its first page. */
export async function leaveAcceptance(page, { timeout = 30000 } = {}) {
  await page.click('#content .acceptance-continue', { timeout });
  await page.waitForFunction(roomShown, null, { timeout });
}

/** Wait until #content shows a page (article) whose h1 contains `text`. */
export async function waitForH1(page, text, timeout = 15000) {
  await page.waitForFunction((t) => {
    const h = document.querySelector('#content article h1');
    return h && h.textContent.includes(t);
  }, text, { timeout });
}

/** Closes the test's contexts and asserts what every browser test asserts:
 *  no request left the computer, the CSP blocked nothing, no page errors. */
export async function closeWatchedContexts(contexts, assert) {
  while (contexts.length) {
    const { context, watch } = contexts.pop();
    const csp = await watch.cspViolations();
    await context.close();
    assert.deepEqual(watch.offsite, [], 'no request may leave the computer (file://, and local blob:/chrome: viewer resources only)');
    assert.deepEqual(csp, [], 'the CSP must not block anything the app needs');
    assert.deepEqual(watch.pageErrors, [], 'no uncaught page errors');
  }
}

// ---- Firefox (puppeteer-core over WebDriver BiDi): the lookup policy of Chromium's above
export const FIREFOX_CANDIDATES = ['/usr/bin/firefox-esr', '/usr/bin/firefox'];

export function findFirefox() {
  if (process.env.FIREFOX) {
    return fs.existsSync(process.env.FIREFOX) ? process.env.FIREFOX : null;
  }
  return FIREFOX_CANDIDATES.find((p) => fs.existsSync(p)) || null;
}

/** Why the Firefox tests are skipped (string), or false. Throws when they must not be skipped. */
export function firefoxSkipReason() {
  if (findFirefox()) return false;
  const where = process.env.FIREFOX ? `FIREFOX=${process.env.FIREFOX} does not exist` : `none of ${FIREFOX_CANDIDATES.join(', ')} exists`;
  return missingBrowser('Firefox', `Firefox not found (${where}). Install it with: apt-get install -y firefox-esr (or set FIREFOX=/path/to/firefox).`);
}

/** Firefox prefs that undo puppeteer's relaxations which matter to this product. */
export const FIREFOX_PREFS = {
  'security.fileuri.strict_origin_policy': true, // Firefox's default; puppeteer sets false
};

export async function launchFirefox() {
  let puppeteer;
  try {
    ({ default: puppeteer } = await import('puppeteer-core'));
  } catch (e) {
    throw new Error(`puppeteer-core is not installed: run \`npm ci\` in ${path.dirname(fileURLToPath(import.meta.url))} (${e.message})`);
  }
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: findFirefox(),
    headless: true,
    extraPrefsFirefox: FIREFOX_PREFS,
    protocolTimeout: 60000,
  });
}

