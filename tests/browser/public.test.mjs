// The theme's scripts on ordinary (unencrypted) public pages, e.g. the training site:
// no shell, no header; the enhancers run by themselves on DOMContentLoaded.

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { STATIC_DIR, loadCatalogue, catalogue, jsonForScript } from './make-fixture.mjs';

const EN = catalogue('en');
const ZH = catalogue('zh-CN');

// What page.html loads on a public page: the enhancers, not the crypto; and
// the catalogue's strings, as the build puts them in.
const PUBLIC_SCRIPTS = ['dataroom-core.js', 'dataroom-store.js', 'dataroom-views.js', 'dataroom-app.js'];
const scriptTags = PUBLIC_SCRIPTS.map((f) => `<script src="static/${f}"></script>`).join('\n');
const i18n = (lang) => `<script type="application/json" id="dataroom-i18n">${jsonForScript(loadCatalogue(lang))}</script>`;
import { browserSkipReason, launchBrowser, newContext, openPage, fileUrl, closeWatchedContexts } from './helpers.mjs';

const skip = browserSkipReason();
// make a skip visible in the runner's summary (a skipped suite alone is not counted)
if (skip) test('browser tests (skipped: no Chromium)', { skip }, () => {});
let browser;
let tmp;
const contexts = [];

const LESSON = `<!DOCTYPE html>
<html lang="en" data-site="training-demo">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self' file:; style-src 'self' file:; img-src 'self' file: data:">
<title>Lesson 2</title>
<link rel="stylesheet" href="static/style.css">
${i18n('en')}
${scriptTags}
</head>
<body>
<main id="content"><article class="page">
<h1>Lesson 2: records</h1>
<table class="data sortable" id="t"><thead><tr><th>Name</th><th class="num">Count</th></tr></thead>
<tbody><tr><td>b</td><td class="num">10</td></tr><tr><td>a</td><td class="num">9</td></tr><tr><td>c</td><td class="num">100</td></tr></tbody></table>
<p class="checklist-progress" data-checklist="records"></p>
<ul class="checklist" data-checklist="records">
<li><input disabled="" type="checkbox" data-item="one"/> One</li>
<li><input disabled="" type="checkbox" data-item="two"/> Two</li>
</ul>
<div class="quiz" data-quiz-id="lesson-2" data-pass-mark="50" data-content-hash="ffee00" data-lesson-title="Lesson 2: records">
<fieldset class="quiz-question" data-answer="2" data-multiple="false"><legend>Pick c</legend>
<label><input type="radio" value="0"> a</label><label><input type="radio" value="1"> b</label><label><input type="radio" value="2"> c</label>
<div class="quiz-explanation" hidden>c is c.</div></fieldset>
</div>
</article></main>
</body>
</html>`;

const INDEX = `<!DOCTYPE html>
<html lang="zh-CN" data-site="training-demo">
<head><meta charset="utf-8"><title>培训</title><link rel="stylesheet" href="static/style.css"></head>
<body><main><article class="page"><h1>培训</h1>
<ul><li><a href="lesson.html">Lesson 2</a> <span class="lesson-progress" data-quiz-id="lesson-2"></span></li>
<li>Lesson 3 <span class="lesson-progress" data-quiz-id="lesson-3"></span></li></ul>
<p>Records <span class="checklist-progress" data-checklist="records"></span> Other <span class="checklist-progress" data-checklist="other">as rendered</span></p>
</article></main>
${i18n('zh-CN')}
${scriptTags}
</body></html>`;

before(async () => {
  if (skip) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dataroom-public-test-'));
  fs.mkdirSync(path.join(tmp, 'static'));
  for (const f of ['style.css', ...PUBLIC_SCRIPTS]) fs.copyFileSync(path.join(STATIC_DIR, f), path.join(tmp, 'static', f));
  fs.writeFileSync(path.join(tmp, 'lesson.html'), LESSON);
  fs.writeFileSync(path.join(tmp, 'index.html'), INDEX);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

afterEach(() => closeWatchedContexts(contexts, assert));

describe('public pages (no shell)', { skip, timeout: 60000 }, () => {
  test('enhancers run on DOMContentLoaded: sort, checklist, quiz, progress', async () => {
    const c = await newContext(browser);
    contexts.push(c);
    const page = await openPage(c.context, fileUrl(path.join(tmp, 'lesson.html')));
    await page.click('#t th:nth-child(2) .sort-button');
    assert.deepEqual(await page.$$eval('#t tbody td:first-child', (t) => t.map((x) => x.textContent)), ['a', 'b', 'c']);

    assert.equal(await page.textContent('.checklist-progress'), EN('checklist_progress', { done: 0, total: 2 }));
    await page.check('input[data-item="two"]');
    assert.equal(await page.textContent('.checklist-progress'), EN('checklist_progress', { done: 1, total: 2 }));
    // ticks are keyed by a hash of each item's text, not by position or data-item
    const ticks = JSON.parse(await page.evaluate(() => localStorage.getItem('dataroom:training-demo:check:records')));
    assert.equal(Object.keys(ticks).length, 2);
    for (const k of Object.keys(ticks)) assert.match(k, /^[0-9a-f]{16}$/);
    assert.deepEqual(Object.values(ticks).sort(), [false, true]);

    await page.check('.quiz input[value="2"]');
    await page.click('.quiz-submit');
    assert.equal(await page.textContent('.quiz-result'), `${EN('quiz_score', { score: 100, pass: 50 })} \u2014 ${EN('quiz_passed')}`);
    // a second enhance pass must not add a second set of buttons
    await page.evaluate(() => window.dataroomEnhance(document));
    assert.equal(await page.$$eval('.quiz-submit', (b) => b.length), 1);
    assert.equal(await page.$$eval('.sort-button', (b) => b.length), 2);

    await page.evaluate(() => { window.print = () => { window.__printed = true; }; });
    await page.fill('.quiz-name', 'Ada');
    await page.click('.quiz-print');
    assert.equal(await page.evaluate(() => window.__printed), true);
    assert.match(await page.textContent('.completion-record'), /Lesson 2: records.*Ada.*100%.*Passed.*ffee00/s);

    await page.reload();
    assert.equal(await page.isChecked('input[data-item="two"]'), true);
    assert.equal(await page.textContent('.checklist-progress'), EN('checklist_progress', { done: 1, total: 2 }));

    await page.goto(fileUrl(path.join(tmp, 'index.html')));
    assert.equal(await page.textContent('.lesson-progress[data-quiz-id="lesson-2"]'), ZH('progress_passed', { score: 100 }));
    assert.equal(await page.textContent('.lesson-progress[data-quiz-id="lesson-3"]'), ZH('progress_none'));
    // checklist progress on a page without the checklist comes from the stored ticks
    assert.equal(await page.textContent('.checklist-progress[data-checklist="records"]'), ZH('checklist_progress', { done: 1, total: 2 }));
    assert.equal(await page.textContent('.checklist-progress[data-checklist="other"]'), 'as rendered');
  });
});
