// The sealed format's public fields in real Chromium (issue 8, items 5 and 7):
// flipping a payload's compression flag, nonce or key id, or the header's room,
// format or iteration count, must make opening fail, never hand out other bytes.
//
//   DATAROOM_BIN=target/debug/dataroom node --test tests/browser/sealed-format.test.mjs

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { makeFixture, sealSite, catalogue, PASSWORD } from './make-fixture.mjs';
import { browserSkipReason, launchBrowser, newContext, openPage, unlock, closeWatchedContexts } from './helpers.mjs';

const skip = browserSkipReason();
const Z = catalogue('zh-CN');
const T = { timeout: 120000 };

let browser;
let tmp;
const contexts = [];

before(async () => {
  if (skip) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dataroom-format-test-'));
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

afterEach(() => closeWatchedContexts(contexts, assert));

async function ctx() {
  const c = await newContext(browser);
  contexts.push(c);
  return c.context;
}

const text = (page, sel) => page.$eval(sel, (e) => e.textContent.trim());

/** Rewrites the single payload of data/<id>.js with `edit(obj)`. */
function editPayload(f, id, edit) {
  const file = path.join(f.siteDir, 'data', `${id}.js`);
  const src = fs.readFileSync(file, 'utf8');
  const obj = JSON.parse(src.slice(src.indexOf('(') + 1, src.lastIndexOf(')')));
  fs.writeFileSync(file, `dataroomPayload(${JSON.stringify(edit(obj))});\n`);
}

/** Rewrites data/header.js with `edit(header)`. */
function editHeader(f, edit) {
  const file = path.join(f.siteDir, 'data', 'header.js');
  const src = fs.readFileSync(file, 'utf8');
  const header = JSON.parse(src.slice(src.indexOf('{'), src.lastIndexOf('}') + 1));
  fs.writeFileSync(file, `window.DATAROOM_HEADER = ${JSON.stringify(edit(header))};\n`);
}

const PDF = 'attachments/contracts/C-1.pdf';
const GZ = 'attachments/backup.gz';

/** A room with a gzip attachment: stored as is (z = 0), since it is compressed already. */
function roomWithGzip(dir) {
  return sealSite({
    outDir: dir,
    passwords: [PASSWORD],
    title: 'Gzip room',
    publicTitle: 'Room',
    pages: { index: { title: 'Home', html: '<article><h1>Home</h1></article>' } },
    files: { [GZ]: gzipSync(Buffer.from('the real backup, decompressed')) },
  });
}

describe('public fields of payloads are authenticated', { skip, ...T }, () => {
  let f;
  before(async () => {
    if (skip) return;
    f = await makeFixture({ dir: path.join(tmp, 'fields') });
  });

  async function openFile(fixture, key) {
    const page = await openPage(await ctx(), `${fixture.url}#/file/${key}`);
    assert.equal(await unlock(page, PASSWORD), null);
    await page.waitForSelector('#content .file-page, #content .error-page');
    return page;
  }

  test('z flipped on a gzip attachment: not handed out decompressed under its name', async () => {
    const g = roomWithGzip(path.join(tmp, 'gzip'));
    let page = await openFile(g, GZ);
    assert.equal(await page.$('#content .error-page'), null, 'the untouched room opens');
    assert.ok(await page.$('a.file-download'));
    const h = roomWithGzip(path.join(tmp, 'gzip-z'));
    editPayload(h, h.fileIds[GZ], (o) => ({ ...o, z: 1 }));
    page = await openFile(h, GZ);
    assert.equal(await text(page, '#content .error-page h1'), Z('tampered'));
    assert.equal(await page.$('a.file-download'), null, 'no download of the decompressed bytes');
  });

  test('the untouched PDF opens (the edits below are what fails)', async () => {
    const page = await openFile(f, PDF);
    assert.equal(await page.$('#content .error-page'), null);
    assert.match(await page.$eval('a.file-download', (a) => a.href), /^blob:/);
  });

  for (const [what, edit] of [
    ['the compression flag z flipped', (o) => ({ ...o, z: o.z === 1 ? 0 : 1 })],
    ['one bit of the nonce flipped', (o) => {
      const n = Buffer.from(o.nonce, 'base64');
      n[0] ^= 1;
      return { ...o, nonce: n.toString('base64') };
    }],
    ['the key id changed', (o) => ({ ...o, kid: 'k1' })],
  ]) {
    test(`${what}: the file does not open, nothing is handed out`, async () => {
      const g = await makeFixture({ dir: path.join(tmp, what.replace(/\W+/g, '-')) });
      editPayload(g, g.fileIds[PDF], edit);
      const page = await openFile(g, PDF);
      const h1 = await text(page, '#content .error-page h1');
      assert.ok([Z('tampered'), Z('no_access')].includes(h1), h1);
      assert.equal(await page.$('a.file-download'), null, 'no download of other bytes');
      assert.equal(await page.$('#content iframe, #content img'), null);
    });
  }
});

describe('the header cannot be edited to weaken or redirect opening', { skip, ...T }, () => {
  test('fewer PBKDF2 iterations than 600,000: refused before the password is asked', async () => {
    const f = await makeFixture({ dir: path.join(tmp, 'iterations') });
    editHeader(f, (h) => ({ ...h, kdf: { ...h.kdf, iterations: 599999 } }));
    const page = await openPage(await ctx(), f.url);
    await page.waitForFunction(() => document.getElementById('lock-error').textContent.trim() !== '');
    assert.match(await text(page, '#lock-error'), new RegExp(`^${Z('tampered')}`));
    assert.equal(await page.$eval('#password', (i) => i.disabled), true);
    assert.equal(await page.$eval('#app', (a) => a.hidden), true);
  });

  test('another room id: no key slot opens, the room stays locked', async () => {
    const f = await makeFixture({ dir: path.join(tmp, 'room') });
    editHeader(f, (h) => ({ ...h, room: 'ffffffffffffffff' }));
    const page = await openPage(await ctx(), f.url);
    assert.equal(await unlock(page, PASSWORD), Z('wrong_password'));
    assert.equal(await page.$eval('#app', (a) => a.hidden), true);
  });

  test('the previous format dataroom-sealed/1 is refused as unsupported', async () => {
    const f = await makeFixture({ dir: path.join(tmp, 'format') });
    editHeader(f, (h) => ({ ...h, format: 'dataroom-sealed/1' }));
    const page = await openPage(await ctx(), f.url);
    await page.waitForFunction(() => document.getElementById('lock-error').textContent.trim() !== '');
    assert.equal(await text(page, '#lock-error'), Z('unsupported_format'));
    assert.equal(await page.$eval('#password', (i) => i.disabled), true);
  });
});
