// Issue 10: the index tables are sealed row data shown as a virtual list.
// A generated room of 2,500 clients (two row shards) built by the real binary:
// the first screen comes from the first shard, only the rows in view are in
// the DOM, the last row is reached by scrolling, any column sorts, the filter
// narrows, a client deep link opens, and printing puts every row in the table.
//   DATAROOM_BIN=target/debug/dataroom node --test tests/browser/index-list.test.mjs

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { browserSkipReason, launchBrowser, newContext, openPage, unlock, fileUrl, waitForH1 } from './helpers.mjs';

const BIN = process.env.DATAROOM_BIN ? path.resolve(process.env.DATAROOM_BIN) : '';
const skip = !BIN ? 'DATAROOM_BIN is not set' : browserSkipReason();
const PASSWORD = 'index list test password 2026 correct horse';
const CLIENTS = 2500;
const id = (n) => `HX-${String(n).padStart(5, '0')}`;

let browser;
let tmp;
let url;

before(async () => {
  if (skip) return;
  assert.ok(fs.existsSync(BIN), `DATAROOM_BIN=${BIN} does not exist`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dataroom-list-'));
  const room = path.join(tmp, 'room');
  fs.mkdirSync(path.join(room, 'clients'), { recursive: true });
  fs.writeFileSync(path.join(room, 'dataroom.yaml'),
    'title: 列表测试 客户资料移交\npublic_title: 数据室\nlanguage: zh-CN\nseller: {name: 测试保洁有限公司, contact: 王经理}\n' +
    'buyer: {name: 测试物业有限公司, contact: 李经理}\nhandover_date: 2026-12-15\n');
  for (let n = 1; n <= CLIENTS; n++) {
    fs.writeFileSync(path.join(room, 'clients', `${id(n)}.yaml`),
      `id: ${id(n)}\nname: 客户${n}\nkind: individual\nconsent: {given: true, date: 2024-03-01}\n` +
      `payments:\n  - {date: 2026-02-01, amount: ${n}.50, method: 银行转账}\n`);
  }
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

const firstRowId = (page) => page.$eval('tbody[data-rows] tr[aria-rowindex] td a', (a) => a.textContent);
const allLoaded = (page, count) => page.waitForFunction((n) => {
  const table = document.querySelector('table.virtual');
  return table && table.getAttribute('aria-rowcount') === String(n + 1) &&
    !/正在加载|Loading/.test(document.querySelector('.rows-status').textContent);
}, count, { timeout: 30000 });

describe('index tables as a virtual list', { skip, timeout: 240000 }, () => {
  test('first rows, last row, sort, filter, deep link, print every row', async () => {
    const { context, watch } = await newContext(browser);
    const page = await openPage(context, url);
    assert.equal(await unlock(page, PASSWORD), null);

    await page.goto(url + '#/clients');
    await page.waitForSelector('tbody[data-rows="clients"] tr[aria-rowindex="2"]');
    assert.equal(await firstRowId(page), id(1), 'the first screen shows the first rows');
    await allLoaded(page, CLIENTS);
    const inDom = await page.$$eval('tbody[data-rows] tr[aria-rowindex]', (rows) => rows.length);
    assert.ok(inDom > 5 && inDom < 200, `only the rows in view are in the DOM (${inDom})`);
    assert.equal(await page.$eval('thead tr', (r) => r.getAttribute('aria-rowindex')), '1');

    await page.$eval('.rows-viewport', (v) => { v.scrollTop = v.scrollHeight; });
    await page.waitForSelector(`tbody[data-rows] tr[aria-rowindex="${CLIENTS + 1}"]`);
    assert.equal(await page.$eval(`tr[aria-rowindex="${CLIENTS + 1}"] td a`, (a) => a.textContent), id(CLIENTS));

    // The id column, twice: descending puts the last client first.
    await page.$eval('.rows-viewport', (v) => { v.scrollTop = 0; });
    await page.click('thead th:nth-child(1) button.sort-button');
    await page.click('thead th:nth-child(1) button.sort-button');
    assert.equal(await page.$eval('thead th:nth-child(1)', (th) => th.getAttribute('aria-sort')), 'descending');
    await page.waitForFunction((want) => {
      const a = document.querySelector('tbody[data-rows] tr[aria-rowindex="2"] td a');
      return a && a.textContent === want;
    }, id(CLIENTS));

    await page.fill('input.rows-filter', id(1234));
    await page.waitForFunction(() => document.querySelector('table.virtual').getAttribute('aria-rowcount') === '2');
    assert.equal(await firstRowId(page), id(1234));
    await page.fill('input.rows-filter', '');
    await allLoaded(page, CLIENTS);

    // Printing renders every row (then the list goes back to the rows in view).
    await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
    assert.equal(await page.$$eval('tbody[data-rows] tr[aria-rowindex]', (rows) => rows.length), CLIENTS);
    await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
    assert.ok(await page.$$eval('tbody[data-rows] tr[aria-rowindex]', (rows) => rows.length) < 200);

    // The payments index: amounts sort as numbers, not as text.
    await page.goto(url + '#/payments');
    await page.waitForSelector('tbody[data-rows="payments"] tr[aria-rowindex="2"]');
    await allLoaded(page, CLIENTS);
    await page.click('table.virtual thead th:nth-child(3) button.sort-button');
    await page.click('table.virtual thead th:nth-child(3) button.sort-button');
    await page.waitForFunction(() => {
      const td = document.querySelector('table.virtual tbody tr[aria-rowindex="2"] td:nth-child(3)');
      return td && td.textContent.includes('2,500.50');
    });

    await page.goto(url + `#/clients/${id(7)}`);
    await waitForH1(page, '客户7');

    const csp = await watch.cspViolations();
    await context.close();
    assert.deepEqual(watch.offsite, []);
    assert.deepEqual(csp, []);
    assert.deepEqual(watch.pageErrors, []);
  });
});
