// Facts read from example-dataroom itself (not from a build), the theme's UI
// strings, and page probes shared by the real-build tests in Chromium
// (playwright-core) and Firefox (puppeteer-core): both page APIs have the same
// evaluate/$eval.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ROOM = path.join(REPO, 'example-dataroom');

export const CLIENT_ID = 'HX-00010';
const clientYaml = fs.readFileSync(path.join(ROOM, 'clients/individuals', `${CLIENT_ID}.yaml`), 'utf8');
export const CLIENT_NAME = /^name:\s*"?([^"\n]+)"?\s*$/m.exec(clientYaml)[1];
export const CLIENT_PHONE = /phone:\s*"([^"]+)"/.exec(clientYaml)[1];
export const CLIENT_PDF = /file:\s*"(attachments\/contracts\/[^"]+\.pdf)"/.exec(clientYaml)[1];
export const ROOM_TITLE = /^title:\s*"([^"]+)"/m.exec(fs.readFileSync(path.join(ROOM, 'dataroom.yaml'), 'utf8'))[1];
export const CLIENT_IDS = ['individuals', 'companies']
  .flatMap((d) => fs.readdirSync(path.join(ROOM, 'clients', d)).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')))
  .sort();
export const LESSONS = fs.readdirSync(path.join(ROOM, 'training')).filter((f) => f.endsWith('.md')).map((f) => f.replace(/\.md$/, '')).sort();

// The theme's UI strings (what the sealed shell ships as #dataroom-i18n).
export const THEME_STRINGS = Object.fromEntries(fs.readFileSync(path.join(REPO, 'themes/default/i18n/zh-CN.yaml'), 'utf8')
  .split('\n').map((l) => /^(\w+):\s*(.*?)\s*$/.exec(l)).filter(Boolean)
  .map(([, k, v]) => [k, /^".*"$/.test(v) ? JSON.parse(v) : v.replace(/^'(.*)'$/, '$1')]));

/** A theme string with {placeholders} filled, like dataroom.js t(). */
export function T(key, vars = {}) {
  const s = THEME_STRINGS[key];
  assert.equal(typeof s, 'string', `themes/default/i18n/zh-CN.yaml has ${key}`);
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

export const dom = (page) => page.evaluate(() => document.documentElement.outerHTML + document.title);
export const text = (page, sel) => page.$eval(sel, (e) => e.textContent.trim());
export const storage = (page) => page.evaluate(() => ({
  session: Object.fromEntries(Object.keys(sessionStorage).map((k) => [k, sessionStorage.getItem(k)])),
  local: Object.fromEntries(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)])),
}));

/** Asserts that nothing of the room (a client's name and phone, the room title) is in the page. */
export async function assertNoRoomContent(page, what) {
  const html = await dom(page);
  for (const secret of [CLIENT_NAME, CLIENT_PHONE, ROOM_TITLE]) {
    assert.ok(!html.includes(secret), `${what}: "${secret}" must not be in the DOM`);
  }
}
