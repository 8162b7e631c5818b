// The handover documents as the buyer's lawyer gets them, and every page kind
// as a screen-reader user gets it, in the real sealed build in Chromium:
// - print: Chromium's own print to PDF (page.pdf, A4), read back with poppler's
//   pdfinfo / pdftotext: the 移交确认书 is one page with its signatures, the
//   告知书 one page per client, each ending with its sender, seal space and date;
// - accessibility: axe-core (WCAG 2.1 A/AA rules) injected into every page kind
//   of the unlocked example room and the lock screen: no violations.
// Runs when DATAROOM_BIN names the built binary, like real-build.test.mjs.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { browserSkipReason, launchBrowser, openPage, unlock, acceptNda, leaveAcceptance, fileUrl } from './helpers.mjs';
import { REPO, ROOM, CLIENT_ID, LESSONS, PASSWORDS, buildExample } from './example-room.mjs';

const BIN = process.env.DATAROOM_BIN ? path.resolve(process.env.DATAROOM_BIN) : '';
const skip = !BIN ? 'DATAROOM_BIN is not set' : browserSkipReason();
const PASSWORD = 'print and accessibility test 2026 teal lighthouse';
const SMALL_ROOM = path.join(REPO, 'tests/fixtures/small-room');
const AXE_SOURCE = skip ? '' : fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let browser;
let tmp;

/** Builds `room` into tmp/<name> and returns the sealed site's index.html URL:
 *  the example with its audiences' passwords, any other room with PASSWORD. */
function build(room, name) {
  const out = path.join(tmp, name);
  if (room === ROOM) {
    buildExample(BIN, room, out, path.join(tmp, 'key'));
  } else {
    const run = (args) => execFileSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    run(['build', room, '--out', out, '--password-file', path.join(tmp, 'pw'), '--sign-key', path.join(tmp, 'key')]);
  }
  return fileUrl(path.join(out, 'site', 'index.html'));
}

/** The password that opens everything `room` has (the example: management's). */
const passwordOf = (url) => (url.includes('/example-') ? PASSWORDS.management : PASSWORD);

async function unlocked(url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await openPage(context, url);
  assert.equal(await unlock(page, passwordOf(url)), null);
  return { context, page };
}

async function show(page, url, route) {
  await page.goto(`${url}#/${route}`);
  await page.waitForFunction((r) => {
    const a = document.querySelector('#content article');
    return a && location.hash === `#/${r}` && !document.querySelector('#content .loading');
  }, route);
}

/** Prints the current page to an A4 PDF; returns the text of each page. */
async function printPages(page, name) {
  const pdf = path.join(tmp, `${name}.pdf`);
  await page.pdf({ path: pdf, format: 'A4', printBackground: true });
  const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [pdf], { encoding: 'utf8' }))[1]);
  const texts = [];
  for (let i = 1; i <= pages; i++) {
    texts.push(execFileSync('pdftotext', ['-f', String(i), '-l', String(i), '-layout', pdf, '-'], { encoding: 'utf8' }));
  }
  return texts;
}

before(async () => {
  if (skip) return;
  assert.ok(fs.existsSync(BIN), `DATAROOM_BIN=${BIN} does not exist`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dataroom-print-'));
  fs.writeFileSync(path.join(tmp, 'pw'), `${PASSWORD}\n`);
  execFileSync(BIN, ['keygen', '--out', path.join(tmp, 'key')], { stdio: 'ignore' });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('printing the handover documents to A4 in Chromium', { skip, timeout: 240000 }, () => {
  test('the confirmation is one page with its signatures; two clients get two notices, each signed and dated', async () => {
    const url = build(SMALL_ROOM, 'small');
    const { context, page } = await unlocked(url);

    await show(page, url, 'handover/confirmation');
    await page.waitForFunction(() => /^[0-9a-f]{64}$/.test(document.querySelector('[data-manifest-hash]').textContent));
    const confirmation = await printPages(page, 'confirmation');
    assert.equal(confirmation.length, 1, 'the confirmation fits one A4 page');
    const flat = (s) => s.replace(/\s+/g, '');
    for (const words of ['移交确认书', '转让方（卖方）（签字盖章）', '受让方（买方）（签字盖章）', '监督人员（签字）', '受让方可运行dataroomverify']) {
      assert.ok(flat(confirmation[0]).includes(words), `${words} on the confirmation's page:\n${confirmation[0]}`);
    }

    await show(page, url, 'handover/notices');
    // The letters are row data: wait until the list has drawn both (the
    // browser's own print prints the rows loaded so far).
    await page.waitForFunction(() => document.querySelectorAll('#content section.notice').length === 2);
    const notices = await printPages(page, 'notices');
    assert.equal(notices.length, 2, 'one page per client');
    for (const [i, name] of ['张伟', '测试科技有限公司'].entries()) {
      const text = flat(notices[i]);
      for (const words of [`${name}（收）`, '个人信息转移告知书', '特此告知', '转让方：测试保洁有限公司', '盖章处', '2026年12月15日']) {
        assert.ok(text.includes(words), `${words} on notice ${i + 1}:\n${notices[i]}`);
      }
      // The sender and date come after the text they sign.
      assert.ok(text.indexOf('特此告知') < text.indexOf('盖章处'), `the seal follows the text on notice ${i + 1}`);
    }
    await context.close();
  });

  test('the confirmation of the whole example room (39 clients, 292 services) is still one page', async () => {
    const url = build(ROOM, 'example-print');
    const { context, page } = await unlocked(url);
    await show(page, url, 'handover/confirmation');
    const pages = await printPages(page, 'example-confirmation');
    assert.equal(pages.length, 1, pages.join('\n\f\n'));
    assert.match(pages[0].replace(/\s+/g, ''), /监督人员（签字）/);
    await context.close();
  });
});

/** axe-core's WCAG 2.1 A and AA violations on the page as it is now. */
async function axeViolations(page) {
  // Evaluated through the DevTools protocol, so the page's CSP does not apply.
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.length} × ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
}

describe('accessibility of every page kind (axe-core, WCAG 2.1 AA)', { skip, timeout: 300000 }, () => {
  test('the lock screen and every page kind of the unlocked example room have no violations', async () => {
    const url = build(ROOM, 'example-a11y');
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await openPage(context, url);
    await page.waitForSelector('#password');
    const found = {};
    const lock = await axeViolations(page);
    if (lock.length) found['lock screen'] = lock;

    // The example's NDA and the acceptance record are page kinds too.
    assert.equal(await unlock(page, PASSWORDS.management, { nda: false }), null);
    await page.waitForSelector('#content .nda-gate #nda-name');
    const nda = await axeViolations(page);
    if (nda.length) found.nda = nda;
    await acceptNda(page);
    const acceptance = await axeViolations(page);
    if (acceptance.length) found.acceptance = acceptance;
    await leaveAcceptance(page);
    const doc = (dir) => `${dir}/${fs.readdirSync(path.join(ROOM, dir)).filter((f) => f.endsWith('.md')).sort()[0].replace(/\.md$/, '')}`;
    const routes = [
      'index', 'clients', `clients/${CLIENT_ID}`, 'contracts', 'payments', 'services', 'dataroom-index',
      doc('policies'), doc('checklists'), 'training', `training/${LESSONS[0]}`,
      'handover/checklist', 'handover/confirmation', 'handover/notices', 'handover/quality',
      'handover/retention', 'handover/destruction', 'handover/impact', 'handover/exports',
    ];
    for (const route of routes) {
      await show(page, url, route);
      const v = await axeViolations(page);
      if (v.length) found[route] = v;
    }
    await context.close();
    assert.deepEqual(found, {}, JSON.stringify(found, null, 2));
  });
});
