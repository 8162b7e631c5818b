// An export larger than one deflate chunk (src/seal/parallel_gzip.rs) is
// deflated a piece at a time on several threads into one gzip stream. The
// buyer's browser must open it as the whole file: downloaded from the sealed
// site in Chromium, clients.json of a 900-client room (three chunks) is byte
// for byte what `dataroom restore` (flate2) writes. firefox.test.mjs and
// webkit.test.mjs check the same in Firefox and WebKit.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { browserSkipReason, launchBrowser, newContext, openPage, unlock, fileUrl } from './helpers.mjs';
import { runDataroom, buildGeneratedRoom } from './example-room.mjs';

const BIN = process.env.DATAROOM_BIN ? path.resolve(process.env.DATAROOM_BIN) : '';
const skip = !BIN ? 'DATAROOM_BIN is not set' : browserSkipReason();
const PASSWORD = 'large export 移交 password 2026 blue dolphin';

let browser;
let tmp;
let generated;

before(async () => {
  if (skip) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dataroom-large-export-'));
  fs.writeFileSync(path.join(tmp, 'pw'), `${PASSWORD}\n`);
  runDataroom(BIN, ['keygen', '--out', path.join(tmp, 'key')]);
  generated = buildGeneratedRoom(BIN, tmp, path.join(tmp, 'pw'), path.join(tmp, 'key'));
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('an export of several deflate chunks (Chromium)', { skip, timeout: 240000 }, () => {
  test('clients.json downloads from the sealed site as restore writes it', async () => {
    const url = fileUrl(path.join(generated.site, 'index.html'));
    const { context } = await newContext(browser);
    const page = await openPage(context, url);
    assert.equal(await unlock(page, PASSWORD), null);
    await page.goto(`${url}#/handover/exports`);
    await page.waitForSelector('#content .handover-exports');
    const href = await page.$eval('#content .handover-exports a[href*="clients.json"]', (a) => a.getAttribute('href'));
    await page.goto(url + href);
    await page.waitForSelector('#content a.file-download', { timeout: 60000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#content a.file-download')]);
    assert.equal(download.suggestedFilename(), 'clients.json');
    const got = fs.readFileSync(await download.path());
    assert.equal(got.length, generated.clientsJson.length, 'the whole export, not its first chunk');
    assert.ok(got.equals(generated.clientsJson), 'byte for byte what restore wrote');
    await context.close();
  });
});
