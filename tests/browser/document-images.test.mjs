// An image in a document (`![…](attachments/…)`) shows in the sealed room:
// the real Rust build of a copy of example-dataroom (without its audiences)
// with an image added to a policy, opened in Chromium. The image is an encrypted attachment; the app
// decrypts it into a blob: URL. Runs when DATAROOM_BIN names the built binary.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { browserSkipReason, launchBrowser, newContext, openPage, unlock, fileUrl, closeWatchedContexts } from './helpers.mjs';
import { copyExample } from './example-room.mjs';

const BIN = process.env.DATAROOM_BIN ? path.resolve(process.env.DATAROOM_BIN) : '';
const skip = !BIN ? 'DATAROOM_BIN is not set' : browserSkipReason();
const PASSWORD = 'browser test password 2026 correct horse';
// A 2×3 PNG, so the decoded size proves the real file arrived.
const PNG_2X3 = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAADCAIAAAA2iEnWAAAAEElEQVR4nGP4z8AARAwoFABE0AX7pM/egAAAAABJRU5ErkJggg==';

let browser;
let tmp;
let url;
const contexts = [];

before(async () => {
  if (skip) return;
  assert.ok(fs.existsSync(BIN), `DATAROOM_BIN=${BIN} does not exist`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dataroom-images-'));
  const room = path.join(tmp, 'room');
  // One password, no NDA gate: the image is looked at on the policy's page.
  copyExample(room, { audiences: false });
  fs.mkdirSync(path.join(room, 'attachments', 'scans'), { recursive: true });
  fs.writeFileSync(path.join(room, 'attachments', 'scans', 'seal.png'), Buffer.from(PNG_2X3, 'base64'));
  fs.appendFileSync(path.join(room, 'policies', 'nda.md'), '\n![公章扫描件](attachments/scans/seal.png)\n');
  fs.writeFileSync(path.join(tmp, 'pw'), `${PASSWORD}\n`);
  const run = (args) => execFileSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  run(['keygen', '--out', path.join(tmp, 'key')]);
  run(['build', room, '--out', path.join(tmp, 'out'), '--password-file', path.join(tmp, 'pw'), '--sign-key', path.join(tmp, 'key')]);
  url = fileUrl(path.join(tmp, 'out', 'site', 'index.html'));
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('images in documents, sealed', { skip, timeout: 180000 }, () => {
  test('an attachment image in a policy is decrypted and shown', async () => {
    const watched = await newContext(browser);
    contexts.push(watched);
    const page = await openPage(watched.context, url);
    assert.equal(await unlock(page, PASSWORD), null);
    await page.goto(url + '#/policies/nda');
    await page.waitForFunction(() => {
      const img = document.querySelector('#content img[data-file="attachments/scans/seal.png"]');
      return img && img.complete && img.naturalWidth > 0;
    }, null, { timeout: 20000 });
    const shown = await page.$eval('#content img[data-file="attachments/scans/seal.png"]', (img) => ({
      src: img.src, width: img.naturalWidth, height: img.naturalHeight, alt: img.alt,
    }));
    assert.match(shown.src, /^blob:/, 'decrypted in the browser, not read from a plain file');
    assert.deepEqual([shown.width, shown.height], [2, 3]);
    assert.equal(shown.alt, '公章扫描件');
    await closeWatchedContexts(contexts, assert);
  });
});
