// Facts read from example-dataroom itself (not from a build), the theme's UI
// strings, and page probes shared by the real-build tests in Chromium
// (playwright-core) and Firefox (puppeteer-core): both page APIs have the same
// evaluate/$eval.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ROOM = path.join(REPO, 'example-dataroom');

/** Runs the real `dataroom` binary `bin` with `args` (and `env` added to the
 *  environment, which otherwise holds no room password); its stdout, or an
 *  error with all it printed. */
export function runDataroom(bin, args, env = {}) {
  const base = { ...process.env, NO_COLOR: '1' };
  for (const name of Object.keys(base)) if (name.startsWith('DATAROOM_PASSWORD')) delete base[name];
  try {
    return execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...base, ...env } });
  } catch (e) {
    throw new Error(`\`dataroom ${args.join(' ')}\` failed (exit ${e.status}):\n${e.stdout || ''}\n${e.stderr || ''}`);
  }
}

// The example room has two audiences (dataroom.yaml `audiences:`) and an NDA.
/** Each audience's password for the tests' builds of the example, by audience id. */
export const PASSWORDS = {
  management: 'management 移交 password 2026 correct horse',
  'service-staff': 'hotline 移交 password 2026 battery staple',
};
const SETTINGS = fs.readFileSync(path.join(ROOM, 'dataroom.yaml'), 'utf8');
/** Each audience's name as dataroom.yaml gives it, by audience id (买方管理层, 买方客服人员). */
export const AUDIENCE_NAMES = Object.fromEntries([...SETTINGS.matchAll(/^ {2}- id: (\S+)\n {4}name: (\S+)/gm)].map((m) => [m[1], m[2]]));
/** The NDA's title (policies/nda.md), as the gate shows it. */
export const NDA_TITLE = /^title:\s*(.+?)\s*$/m.exec(fs.readFileSync(path.join(ROOM, 'policies/nda.md'), 'utf8'))[1];

/** `dataroom build ROOM --out OUT --sign-key KEY …EXTRA` of the example (or a
 *  copy with its audiences) with both audience passwords in the environment. */
export function buildExample(bin, room, out, key, extra = []) {
  return runDataroom(bin, ['build', room, '--out', out, '--sign-key', key, ...extra], {
    DATAROOM_PASSWORD_MANAGEMENT: PASSWORDS.management,
    DATAROOM_PASSWORD_SERVICE_STAFF: PASSWORDS['service-staff'],
  });
}

/** The example's dataroom.yaml without `audiences:`, `nda:` and `watermark:`
 *  (each with its indented lines and the comment above it), as in
 *  tests/common/without_audiences.rs. */
export function settingsWithoutAudiences(text) {
  const out = [];
  let comment = [];
  let skipping = false;
  for (const line of text.replace(/\n$/, '').split('\n')) {
    if (line.startsWith('#')) { comment.push(line); continue; }
    if (line.trim() && !/^[ \t-]/.test(line)) {
      skipping = ['audiences', 'nda', 'watermark'].includes(line.split(':')[0].trim());
      if (skipping) comment = [];
    }
    if (!skipping) out.push(...comment, line);
    comment = [];
  }
  return [...out, ...comment].map((line) => `${line}\n`).join('');
}

/** Input deflated as one piece of an export's gzip stream (CHUNK in src/seal/parallel_gzip.rs). */
export const DEFLATE_CHUNK = 1 << 20;

/**
 * The benchmark's generated room (examples/gen_room, which `cargo build
 * --examples` puts beside `bin`; `cargo test` leaves it under a hashed name)
 * of `clients` clients, built under `dir` with the password in `passwordFile`
 * and restored. Its clients.json export is
 * several deflate chunks at 900 clients (~2.5 MB). Returns the sealed site's
 * folder and restore's clients.json (opened by flate2) to compare a browser's
 * download with.
 */
export function buildGeneratedRoom(bin, dir, passwordFile, key, clients = 900) {
  const gen = path.join(path.dirname(bin), 'examples', process.platform === 'win32' ? 'gen_room.exe' : 'gen_room');
  assert.ok(fs.existsSync(gen), `${gen} does not exist: \`cargo build --examples\` builds it (scripts/test does)`);
  const room = path.join(dir, 'generated-room');
  const out = path.join(dir, 'generated');
  const restored = path.join(dir, 'generated-restored');
  runDataroom(gen, [String(clients), room]);
  runDataroom(bin, ['build', room, '--out', out, '--password-file', passwordFile, '--sign-key', key]);
  runDataroom(bin, ['restore', out, '--out', restored, '--password-file', passwordFile]);
  const clientsJson = fs.readFileSync(path.join(restored, 'exports', 'clients.json'));
  assert.ok(clientsJson.length > 2 * DEFLATE_CHUNK, `clients.json is ${clientsJson.length} bytes: more than two deflate chunks`);
  assert.equal(JSON.parse(clientsJson.toString('utf8')).length, clients, 'restore wrote every client');
  return { site: path.join(out, 'site'), clientsJson };
}

/** Copies the example room to `dest`; with `{ audiences: false }` as it was
 *  before it had audiences (one password, no NDA), for tests about something else. */
export function copyExample(dest, { audiences = true } = {}) {
  fs.cpSync(ROOM, dest, { recursive: true });
  if (!audiences) fs.writeFileSync(path.join(dest, 'dataroom.yaml'), settingsWithoutAudiences(SETTINGS));
  return dest;
}

export const CLIENT_ID = 'HX-00010';
const clientYaml = fs.readFileSync(path.join(ROOM, 'clients/individuals', `${CLIENT_ID}.yaml`), 'utf8');
export const CLIENT_NAME = /^name:\s*"?([^"\n]+)"?\s*$/m.exec(clientYaml)[1];
export const CLIENT_PHONE = /phone:\s*"([^"]+)"/.exec(clientYaml)[1];
// The same mobile as the room's pages show it (libphonenumber's national format).
export const CLIENT_PHONE_SHOWN = CLIENT_PHONE.replace(/^(1\d{2})(\d{4})(\d{4})$/, '$1 $2 $3');
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

/** A theme string with {placeholders} filled, like dataroom-core.js t(). */
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
  for (const secret of [CLIENT_NAME, CLIENT_PHONE, CLIENT_PHONE_SHOWN, ROOM_TITLE]) {
    assert.ok(!html.includes(secret), `${what}: "${secret}" must not be in the DOM`);
  }
}

/** Everything a page of this origin can read back: both storages and the IndexedDB database names. */
export const allStorage = (page) => page.evaluate(async () => ({
  session: Object.fromEntries(Object.keys(sessionStorage).map((k) => [k, sessionStorage.getItem(k)])),
  local: Object.fromEntries(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)])),
  idb: indexedDB.databases ? (await indexedDB.databases()).map((d) => d.name) : [],
}));

/** The only thing the sealed room may store: its encrypted progress, under a name that names nothing. */
export const PROGRESS_ENTRY = /^dataroom-[0-9a-f]{32}$/;

/** Asserts that no storage key or value names a client (id, name, phone), an attachment path or the room. */
export function assertStorageNamesNothing(st, what) {
  const all = JSON.stringify(st);
  for (const secret of [...CLIENT_IDS, CLIENT_NAME, CLIENT_PHONE, CLIENT_PHONE_SHOWN, CLIENT_PDF, 'attachments/', ROOM_TITLE]) {
    assert.ok(!all.includes(secret), `${what}: storage must not contain "${secret}": ${all.slice(0, 300)}`);
  }
  assert.deepEqual(st.session, {}, `${what}: nothing in sessionStorage`);
  assert.deepEqual(st.idb || [], [], `${what}: no IndexedDB`);
  for (const k of Object.keys(st.local)) assert.match(k, PROGRESS_ENTRY, `${what}: only the encrypted progress entry`);
}

/** Waits until the room's encrypted progress entry exists and has stopped changing (writes are async). */
export async function settledProgress(page) {
  let last = null;
  for (let i = 0; i < 40; i++) {
    const now = await page.evaluate(() => JSON.stringify(Object.entries(localStorage)));
    if (now === last && now !== '[]') return;
    last = now;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the progress entry did not settle: ${last}`);
}
