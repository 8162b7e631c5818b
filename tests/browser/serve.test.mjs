// `dataroom serve` in Chromium: the preview of a copy of example-dataroom reads
// without JavaScript (ordinary links), and with JavaScript the open page
// reloads by itself after a saved change, shows the room's problems while it
// has some, and recovers when they are fixed. Runs when DATAROOM_BIN names
// the built binary.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { browserSkipReason, launchBrowser, watch } from './helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLE = path.resolve(HERE, '../../example-dataroom');
const BIN = process.env.DATAROOM_BIN ? path.resolve(process.env.DATAROOM_BIN) : '';
const skip = !BIN ? 'DATAROOM_BIN is not set' : browserSkipReason();

let browser;
let tmp;
let room;
let server;
let origin;

before(async () => {
  if (skip) return;
  assert.ok(fs.existsSync(BIN), `DATAROOM_BIN=${BIN} does not exist`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dataroom-serve-'));
  room = path.join(tmp, 'room');
  fs.cpSync(EXAMPLE, room, { recursive: true });
  server = spawn(BIN, ['serve', room, '--port', '0'], {
    cwd: tmp,
    env: { ...process.env, NO_COLOR: '1', HOME: tmp },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const lines = readline.createInterface({ input: server.stdout });
  origin = await new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      const m = /http:\/\/127\.0\.0\.1:\d+/.exec(line);
      if (m) resolve(m[0]);
    });
    server.on('exit', (code) => reject(new Error(`dataroom serve exited (${code})`)));
  });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const CLIENT = () => path.join(room, 'clients', 'individuals', 'HX-00010.yaml');

describe('dataroom serve', { skip, timeout: 120000 }, () => {
  test('reads without JavaScript: ordinary pages and links', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${origin}/clients.html`);
    await page.click('a[href="clients/HX-00010.html"]');
    assert.equal(page.url(), `${origin}/clients/HX-00010.html`);
    assert.match(await page.textContent('main h1'), /张伟/);
    await context.close();
  });

  test('a saved change reloads the open page; problems show and clear', async () => {
    const context = await browser.newContext();
    const w = await watch(context);
    const page = await context.newPage();
    await page.goto(`${origin}/clients/HX-00010.html`);
    assert.match(await page.textContent('main h1'), /张伟/);
    const original = fs.readFileSync(CLIENT(), 'utf8');

    // The live-reload script is connected (its long-poll is open) before the edit.
    await page.waitForTimeout(300);
    await page.evaluate(() => { window.__notReloaded = true; });
    const saved = Date.now();
    fs.writeFileSync(CLIENT(), original.replace('name: "张伟"', 'name: "张伟国"'));
    await page.waitForFunction(() => !window.__notReloaded && /张伟国/.test(document.querySelector('main h1')?.textContent || ''), null, { timeout: 10000 });
    const took = Date.now() - saved;
    assert.ok(took < 5000, `the page reloaded ${took} ms after the save`);

    // A full-width colon: the page shows the problem, with its file and line.
    fs.writeFileSync(CLIENT(), original.replace('name: "张伟"', 'name："张伟"'));
    await page.waitForSelector('.preview-problems', { timeout: 10000 });
    assert.match(await page.textContent('.preview-problems'), /HX-00010\.yaml:\d+:\d+/);

    // Fixed: back to the record by itself.
    fs.writeFileSync(CLIENT(), original);
    await page.waitForFunction(() => !document.querySelector('.preview-problems') && /张伟/.test(document.querySelector('main h1')?.textContent || ''), null, { timeout: 10000 });

    const csp = await w.cspViolations();
    await context.close();
    assert.deepEqual(csp, [], 'the CSP must not block the preview');
    assert.deepEqual(w.pageErrors, [], 'no uncaught page errors');
    assert.deepEqual(w.requests.filter((u) => !u.startsWith(`${origin}/`)), [], 'every request goes to the preview itself');
  });
});
