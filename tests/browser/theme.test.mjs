// Static checks of the theme files (no browser): the UI strings (only from the
// i18n catalogues), the template's CSP and CSP-safety, the app's scripts (their
// order, what they must never use).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadStrings, renderShell, SHELL_TEMPLATE, STATIC_DIR } from './make-fixture.mjs';

export const EXPECTED_CSP = "default-src 'none'; script-src 'self' file:; style-src 'self' file:; img-src 'self' file: blob: data:; media-src blob:; frame-src blob:; object-src blob:; connect-src 'none'; form-action 'none'; base-uri 'none'";

const shell = fs.readFileSync(SHELL_TEMPLATE, 'utf8');
/** The app's scripts in the order the shell loads them (dataroom-core.js explains each). */
export const SCRIPTS = ['dataroom-core.js', 'dataroom-crypto.js', 'dataroom-store.js', 'dataroom-views.js', 'dataroom-list.js',
  'dataroom-router.js', 'dataroom-gate.js', 'dataroom-search.js', 'dataroom-app.js'];
const sources = Object.fromEntries(SCRIPTS.map((f) => [f, fs.readFileSync(path.join(STATIC_DIR, f), 'utf8')]));
const page = fs.readFileSync(path.join(path.dirname(SHELL_TEMPLATE), 'page.html'), 'utf8');
/** The keys the scripts look up with t('key'). */
const scriptKeys = () => new Set(Object.values(sources).flatMap((code) => [...code.matchAll(/(?<![\w.])t\('(\w+)'/g)].map((m) => m[1])));
const stripComments = (code) => code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
const css = fs.readFileSync(path.join(STATIC_DIR, 'style.css'), 'utf8');
const strings = loadStrings();

test('zh-CN and en catalogues have the same keys, none empty; the scripts\' strings have the same placeholders', () => {
  const zh = Object.keys(strings['zh-CN']).sort();
  const en = Object.keys(strings.en).sort();
  assert.deepEqual(zh, en);
  for (const lang of ['zh-CN', 'en']) {
    for (const [k, v] of Object.entries(strings[lang])) assert.ok(typeof v === 'string' && v.trim(), `${lang}.${k}`);
  }
  for (const k of scriptKeys()) {
    const ph = (s) => (s.match(/\{\w+\}/g) || []).sort();
    assert.deepEqual(ph(strings['zh-CN'][k]), ph(strings.en[k]), `placeholders of ${k}`);
  }
});

test('the scripts have no string table of their own: no Chinese text, no dataroomStrings', () => {
  for (const [file, code] of Object.entries(sources)) {
    assert.doesNotMatch(stripComments(code), /[\u3000-\u9fff\uff00-\uffef]/, `${file} holds Chinese text: put it in the catalogues`);
    assert.doesNotMatch(code, /dataroomStrings|STRINGS\s*=/, file);
  }
});

test('every key the scripts and shell.html use is in both catalogues, and the comment lists exactly the scripts\' keys', () => {
  const inBoth = (k) => typeof strings['zh-CN'][k] === 'string' && typeof strings.en[k] === 'string';
  const comment = shell.slice(shell.indexOf('{#'), shell.indexOf('#}'));
  const body = shell.slice(shell.indexOf('#}'));
  for (const [, k] of body.matchAll(/\{\{\s*t\.(\w+)\s*\}\}/g)) assert.ok(inBoth(k), `shell.html t.${k} is missing from a catalogue`);
  const used = new Set();
  for (const [file, code] of Object.entries(sources)) {
    // Every call names its key literally, so this list is complete.
    for (const [call] of stripComments(code).matchAll(/(?<![\w.]|function )t\([^)]{0,40}/g)) {
      assert.match(call, /^t\('\w+'/, `${file}: ${call}… : t() takes a literal key`);
    }
    for (const [, k] of code.matchAll(/(?<![\w.])t\('(\w+)'/g)) {
      assert.ok(inBoth(k), `${file} t('${k}') is missing from a catalogue`);
      used.add(k);
    }
  }
  const inShell = new Set([...body.matchAll(/\{\{\s*t\.(\w+)\s*\}\}/g)].map((m) => m[1]));
  const listedPart = comment.split(/Keys read only by static\/dataroom-\*\.js[^\n]*|Placeholders:/)[1] || '';
  const listed = new Set(listedPart.match(/\b[a-z][a-z_]+\b/g) || []);
  const expected = [...used].filter((k) => !inShell.has(k)).sort();
  assert.deepEqual([...listed].sort(), expected, 'shell.html comment: the keys only the scripts read');
});

test('the shell loads the scripts in order after data/header.js; public pages load the enhancers only', () => {
  const srcs = [...shell.matchAll(/<script src="([^"]+)"><\/script>/g)].map((m) => m[1]);
  assert.deepEqual(srcs, ['data/header.js', ...SCRIPTS.map((f) => `static/${f}`)]);
  const onPage = [...page.matchAll(/<script src="\{\{ root \}\}static\/([^"]+)"><\/script>/g)].map((m) => m[1]);
  assert.deepEqual(onPage, ['dataroom-core.js', 'dataroom-store.js', 'dataroom-views.js', 'dataroom-app.js']);
  const onDisk = fs.readdirSync(STATIC_DIR).filter((f) => f.endsWith('.js')).sort();
  assert.deepEqual(onDisk, [...SCRIPTS].sort(), 'every script of the theme is loaded by the shell');
});

test('shell.html: the CSP meta is first in <head>, exact, and nothing inline needs an exception', () => {
  const metas = [...shell.matchAll(/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/g)];
  assert.equal(metas.length, 1);
  assert.equal(metas[0][1], EXPECTED_CSP);
  const head = shell.slice(shell.indexOf('<head>'), shell.indexOf('</head>'));
  assert.ok(head.indexOf('Content-Security-Policy') < head.indexOf('<link'), 'CSP before any resource');
  assert.doesNotMatch(shell, /\son[a-z]+\s*=/i, 'no inline event handlers');
  assert.doesNotMatch(shell, /\sstyle\s*=/i, 'no style attributes (style-src has no unsafe-inline)');
  assert.doesNotMatch(shell, /<style/i);
  assert.doesNotMatch(shell, /javascript:/i);
  for (const [tag] of shell.matchAll(/<script[^>]*>/g)) {
    assert.ok(/\ssrc="(static|data)\/[\w.-]+"/.test(tag) || tag === '<script type="application/json" id="dataroom-i18n">', tag);
  }
  for (const id of ['lock', 'unlock-form', 'password', 'lock-error', 'app', 'nav', 'room-title', 'logout', 'content']) {
    assert.match(shell, new RegExp(`id="${id}"`), `#${id}`);
  }
  // keys are held in the page's memory only: no "remember on this device"
  assert.doesNotMatch(shell, /remember/);
  assert.match(shell, /<input id="password"[^>]*type="password"[^>]*autocomplete="current-password"/);
  assert.match(shell, /<p id="lock-error"[^>]*role="alert"/);
  assert.match(shell, /<div id="app"[^>]*hidden/);
});

test('shell renders in both languages without leftover template syntax', () => {
  for (const lang of ['zh-CN', 'en']) {
    const html = renderShell({ lang, publicTitle: 'T <&> "x"' });
    assert.match(html, new RegExp(`<html lang="${lang}"`));
    assert.match(html, /<title>T &lt;&amp;&gt; &quot;x&quot;<\/title>/);
    const json = html.match(/<script type="application\/json" id="dataroom-i18n">([^<]*)<\/script>/);
    assert.ok(json, 'i18n JSON block');
    assert.deepEqual(JSON.parse(json[1]), strings[lang]);
  }
});

test('every script: no network, no eval, no modules; one strict IIFE on window.Dataroom', () => {
  for (const [file, js] of Object.entries(sources)) {
    const code = stripComments(js);
    for (const bad of [/\bfetch\s*\(/, /XMLHttpRequest/, /\beval\s*\(/, /new\s+Function\s*\(/, /\bimport\s*\(/, /^\s*(import|export)\s/m,
      /WebSocket/, /EventSource/, /sendBeacon/, /setTimeout\(\s*['"`]/, /\.setAttribute\(\s*['"]on/, /\.setAttribute\(\s*['"]style/]) {
      assert.doesNotMatch(code, bad, `${file}: ${bad}`);
    }
    assert.match(js, /^\/\*![\s\S]*?\*\/\n\(function \(\) \{\n  'use strict';\n  var D = window\.Dataroom/, `${file}: one strict IIFE (classic script)`);
    assert.match(js, /\n\}\)\(\);\n$/, `${file} ends its IIFE`);
  }
});

test('style.css: offline only, A4 print rules present', () => {
  assert.doesNotMatch(css, /@import|url\(\s*['"]?(https?:|\/\/)/i);
  assert.doesNotMatch(css, /@font-face/);
  assert.match(css, /@page\s*\{[^}]*size:\s*A4/);
  assert.match(css, /@media print/);
  assert.match(css, /\.page-break\s*\{[^}]*break-before:\s*page/);
  assert.match(css, /@media \(max-width: 700px\)/);
  assert.match(css, /body\.printing-record/);
});
