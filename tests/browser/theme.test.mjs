// Static checks of the theme files (no browser): UI string tables, the
// template's CSP and CSP-safety, and what dataroom.js must never use.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadStrings, renderShell, SHELL_TEMPLATE, STATIC_DIR } from './make-fixture.mjs';

export const EXPECTED_CSP = "default-src 'none'; script-src 'self' file:; style-src 'self' file:; img-src 'self' file: blob: data:; media-src blob:; frame-src blob:; object-src blob:; connect-src 'none'; form-action 'none'; base-uri 'none'";

const shell = fs.readFileSync(SHELL_TEMPLATE, 'utf8');
const js = fs.readFileSync(path.join(STATIC_DIR, 'dataroom.js'), 'utf8');
const css = fs.readFileSync(path.join(STATIC_DIR, 'style.css'), 'utf8');
const strings = loadStrings();

test('zh-CN and en string tables have the same keys, none empty', () => {
  const zh = Object.keys(strings['zh-CN']).sort();
  const en = Object.keys(strings.en).sort();
  assert.deepEqual(zh, en);
  for (const lang of ['zh-CN', 'en']) {
    for (const [k, v] of Object.entries(strings[lang])) assert.ok(typeof v === 'string' && v.trim(), `${lang}.${k}`);
  }
  for (const k of zh) {
    const ph = (s) => (s.match(/\{\w+\}/g) || []).sort();
    assert.deepEqual(ph(strings['zh-CN'][k]), ph(strings.en[k]), `placeholders of ${k}`);
  }
});

test('every key used by shell.html and dataroom.js exists, and the comment lists them all', () => {
  const keys = new Set(Object.keys(strings['zh-CN']));
  const comment = shell.slice(shell.indexOf('{#'), shell.indexOf('#}'));
  const body = shell.slice(shell.indexOf('#}'));
  for (const [, k] of body.matchAll(/\{\{\s*t\.(\w+)\s*\}\}/g)) assert.ok(keys.has(k), `shell.html t.${k}`);
  for (const [, k] of js.matchAll(/\bt\('(\w+)'/g)) assert.ok(keys.has(k), `dataroom.js t('${k}')`);
  const listed = new Set();
  const sections = comment.split(/Keys of t used in this template|Keys read only by static\/dataroom\.js[^\n]*|Placeholders:/);
  for (const part of sections.slice(1, 3)) for (const w of part.match(/\b[a-z][a-z_]+\b/g) || []) listed.add(w);
  assert.deepEqual([...listed].filter((k) => !keys.has(k)), [], 'listed but not defined');
  assert.deepEqual([...keys].filter((k) => !listed.has(k)), [], 'defined but not listed in the shell.html comment');
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
    assert.ok(/\ssrc="(static|data)\/[\w.]+"/.test(tag) || tag === '<script type="application/json" id="dataroom-i18n">', tag);
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

test('dataroom.js: no network, no eval, no modules', () => {
  const code = js.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const bad of [/\bfetch\s*\(/, /XMLHttpRequest/, /\beval\s*\(/, /new\s+Function\s*\(/, /\bimport\s*\(/, /^\s*(import|export)\s/m,
    /WebSocket/, /EventSource/, /sendBeacon/, /setTimeout\(\s*['"`]/, /\.setAttribute\(\s*['"]on/, /\.setAttribute\(\s*['"]style/]) {
    assert.doesNotMatch(code, bad);
  }
  assert.match(js, /^\/\*![\s\S]*?\*\/\n\(function \(\) \{\n  'use strict';/, 'one strict IIFE (classic script)');
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
