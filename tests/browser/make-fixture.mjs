// The standard test room for the browser tests, sealed by the real binary
// (`dataroom seal-fixture`, hidden), so the tests open exactly the format a
// build writes while controlling the page HTML they check.
//
//   DATAROOM_BIN=target/debug/dataroom node tests/browser/make-fixture.mjs [OUT_DIR] [--lang en]
//
// Library use:
//   import { makeFixture } from './make-fixture.mjs';
//   makeFixture(...)  the standard test room (pages, sortable table,
//                     checklist, quiz, PNG + PDF attachments)
//   renderShell(...)  the shell template with the theme's strings (theme tests)

import { execFileSync } from 'node:child_process';
import { deflateSync } from 'node:zlib';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const THEME_DIR = path.resolve(HERE, '../../themes/default');
export const SHELL_TEMPLATE = path.join(THEME_DIR, 'templates/shell.html');
export const STATIC_DIR = path.join(THEME_DIR, 'static');


/** A message catalogue, themes/default/i18n/<lang>.yaml, as {key: text}: the
 *  only source of the UI strings (the build puts it into the shell). Its lines
 *  are flat `key: text` pairs (text plain, "double-" or 'single-quoted'). */
export function loadCatalogue(lang) {
  const text = fs.readFileSync(path.join(THEME_DIR, 'i18n', `${lang}.yaml`), 'utf8');
  const table = {};
  for (const line of text.split('\n')) {
    if (/^\s*(#|$)/.test(line)) continue;
    const m = /^("?)(\w+)\1:\s*(.*?)\s*$/.exec(line);
    if (!m) throw new Error(`${lang}.yaml: a line this reader does not know: ${line}`);
    const v = m[3];
    table[m[2]] = /^".*"$/.test(v) ? JSON.parse(v) : v.replace(/^'(.*)'$/, (_, x) => x.replace(/''/g, "'"));
  }
  return table;
}

/** The UI strings of both languages ({'zh-CN': {...}, en: {...}}), from the catalogues. */
export function loadStrings() {
  return { 'zh-CN': loadCatalogue('zh-CN'), en: loadCatalogue('en') };
}

/** The theme's UI catalogue for `lang` as a lookup: what a built shell shows.
 *  `fill` puts {placeholders} in like dataroom-core.js t(). */
export function catalogue(lang) {
  const table = loadCatalogue(lang);
  return (key, vars = {}) => {
    if (typeof table[key] !== 'string') throw new Error(`${lang}.yaml has no ${key}`);
    return table[key].replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  };
}

const escapeHtml = (s) => String(s)
  .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  .replace(/"/g, '&quot;').replace(/'/g, '&#x27;');

/** JSON safe inside <script type="application/json">. The Rust side must do the same. */
export const jsonForScript = (v) => JSON.stringify(v)
  .replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
  .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

/**
 * Minimal stand-in for tera: strips {# comments #}, substitutes
 * {{ lang }}, {{ public_title }}, {{ t.KEY }} (HTML-escaped) and
 * {{ i18n_json | safe }}. Anything else is an error (keeps the template
 * within what both renderers agree on).
 */
export function renderShell({ lang = 'zh-CN', publicTitle, strings } = {}) {
  const tables = loadStrings();
  const t = strings || tables[lang] || tables['zh-CN'];
  let html = fs.readFileSync(SHELL_TEMPLATE, 'utf8');
  html = html.replace(/\{#[\s\S]*?#\}\n?/g, '');
  html = html.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (m, expr) => {
    if (expr === 'lang') return escapeHtml(lang);
    if (expr === 'public_title') return escapeHtml(publicTitle);
    if (/^i18n_json\s*\|\s*safe$/.test(expr)) return jsonForScript(t);
    const k = /^t\.(\w+)$/.exec(expr);
    if (k) {
      if (!(k[1] in t)) throw new Error(`shell.html uses t.${k[1]}, missing from the ${lang} strings`);
      return escapeHtml(t[k[1]]);
    }
    throw new Error(`shell.html: unsupported expression {{ ${expr} }}`);
  });
  if (/\{[{%#]/.test(html)) throw new Error('shell.html: template syntax left after rendering');
  return html;
}

/** The dataroom binary that seals the fixtures: DATAROOM_BIN. */
export function dataroomBin() {
  const bin = process.env.DATAROOM_BIN ? path.resolve(process.env.DATAROOM_BIN) : '';
  if (!bin || !fs.existsSync(bin)) {
    throw new Error(`the browser fixtures are sealed by the real binary: build it (cargo build) and set DATAROOM_BIN=target/debug/dataroom (now: ${bin || 'unset'})`);
  }
  return bin;
}

/**
 * Seal a site with `dataroom seal-fixture`.
 *   outDir            directory to create (site/ goes into it)
 *   passwords         one slot per password
 *   title, publicTitle, lang, nav
 *   pages             { route: { title, html } }
 *   files             { 'attachments/…': bytes }
 *   gate              shared gate {audience, nda: {title, html}, watermark} (header.gate)
 *   audience, denied  the shared index's audience name and denied route prefixes
 *   slots             per password: null or its own view {gate, audience, denied}
 *                     (the slot then names its own index and gate)
 *   manifest          write data/manifest.js (a SHA256SUMS of the site)
 * Returns { siteDir, indexHtml, url, room, site, pageIds, packOf, fileIds, indexId,
 *   gateId (the first password's gate: the header's or its slot's), slots: [{index, gate}],
 *   manifestSha256 }.
 */
export function sealSite({ outDir, passwords, title, publicTitle, lang = 'zh-CN', nav = '', pages = {}, files = {}, gate, audience, denied, slots, manifest = false }) {
  fs.mkdirSync(outDir, { recursive: true });
  const inputs = fs.mkdtempSync(path.join(os.tmpdir(), 'dataroom-fixture-input-'));
  try {
    const attachments = Object.entries(files).map(([p, bytes], i) => {
      const file = path.join(inputs, `${i}-${path.basename(p)}`);
      fs.writeFileSync(file, bytes);
      return { path: p, file };
    });
    const spec = {
      lang, public_title: publicTitle, title, nav, passwords, attachments,
      pages: Object.entries(pages).map(([route, p]) => ({ route, title: p.title, html: p.html })),
      gate, audience, denied, slots, manifest,
    };
    const specFile = path.join(inputs, 'spec.json');
    fs.writeFileSync(specFile, JSON.stringify(spec));
    const ids = JSON.parse(execFileSync(dataroomBin(), ['seal-fixture', specFile, '--out', outDir], { encoding: 'utf8' }));
    const siteDir = path.join(outDir, 'site');
    const indexHtml = path.join(siteDir, 'index.html');
    const pageIds = Object.fromEntries(Object.entries(ids.pages).map(([route, [p]]) => [route, p]));
    const packOf = Object.fromEntries(Object.entries(ids.pages).map(([route, [, f]]) => [route, f]));
    return {
      siteDir, indexHtml, url: pathToFileURL(indexHtml).href, room: ids.room, site: ids.site, pageIds, packOf,
      fileIds: ids.files, indexId: ids.index, gateId: ids.gate || (ids.slots[0] && ids.slots[0].gate) || '', slots: ids.slots, manifestSha256: ids.manifest_sha256 || '',
    };
  } finally {
    fs.rmSync(inputs, { recursive: true, force: true });
  }
}

/* ------------------------------------------------------------------ */
/* Test assets                                                          */
/* ------------------------------------------------------------------ */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A small valid RGB PNG (gradient), width x height. */
export function makePng(width = 120, height = 60) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = Math.round(31 + (x / width) * 180);
      raw[row + 2 + x * 3] = Math.round(78 + (y / height) * 120);
      raw[row + 3 + x * 3] = 121;
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A one-page valid PDF with a line of text. */
export function makePdf(text = 'Contract C-1') {
  const content = `BT /F1 24 Tf 72 760 Td (${text}) Tj ET\n`;
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(content)} >>\nstream\n${content}endstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets = [];
  objs.forEach((o, i) => { offsets.push(Buffer.byteLength(out)); out += `${i + 1} 0 obj\n${o}\nendobj\n`; });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) out += `${String(off).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/* ------------------------------------------------------------------ */
/* The standard fixture room                                            */
/* ------------------------------------------------------------------ */
export const MARKER = 'ROOM-SECRET-MARKER';
export const PASSWORD = 'correct horse battery staple';
export const PASSWORD2 = '第二位买方的密码';
export const PUBLIC_TITLE = { 'zh-CN': '安全资料室', en: 'Secure data room' };
export const ROOM_TITLE = { 'zh-CN': '北辰项目资料室', en: 'Project Polaris data room' };

function fixturePages(lang) {
  const zh = lang !== 'en';
  const L = (a, b) => (zh ? a : b);
  return {
    index: {
      title: L('首页', 'Home'),
      html: `<article class="page home">
<h1>${L('北辰项目资料室', 'Project Polaris data room')}</h1>
<p class="meta">${MARKER} ${L('生成于 2026-11-26', 'Built 2026-11-26')}</p>
<div class="cards">
  <a class="card" href="#/clients/HX-00010"><span class="count">2</span><span class="label">${L('客户', 'Clients')}</span></a>
  <a class="card" href="#/training/lesson-1"><span class="count">1</span><span class="label">${L('培训课程', 'Lessons')}</span></a>
  <a class="card" href="#/notices/letters"><span class="count">2</span><span class="label">${L('通知函', 'Notices')}</span></a>
</div>
<h2 id="lessons">${L('培训', 'Training')}</h2>
<ul class="lessons">
  <li><a href="#/training/lesson-1">${L('第一课：客户身份识别', 'Lesson 1: know your client')}</a> <span class="lesson-progress" data-quiz-id="lesson-1" data-content-hash="a1b2c3d4e5f60718"></span></li>
</ul>
<h2>${L('附件', 'Attachments')}</h2>
<ul>
  <li><a id="png-link" href="#/file/attachments/photos/logo.png">logo.png</a></li>
  <li><a id="pdf-link" href="#/file/attachments/contracts/C-1.pdf">C-1.pdf</a></li>
</ul>
<p><a id="anchor-link" href="#lessons">${L('跳到培训', 'Jump to training')}</a></p>
<p><a id="missing-route" href="#/clients/NO-SUCH">${L('不存在的客户', 'No such client')}</a></p>
<p><a id="route-anchor" href="#/clients/HX-00011#payments-section">HX-00011 ${L('付款', 'payments')}</a></p>
<p><span class="checklist-progress" data-checklist="onboarding"></span></p>
</article>`,
    },
    'clients/HX-00010': {
      title: 'HX-00010 ' + L('张三', 'Zhang San'),
      html: `<article class="page client">
<h1>HX-00010 ${L('张三', 'Zhang San')}</h1>
<div class="meta"><dl class="fields"><dt>${L('客户编号', 'Client ID')}</dt><dd>HX-00010</dd><dt>${L('状态', 'Status')}</dt><dd><span class="badge ok">${L('正常', 'Active')}</span></dd></dl></div>
<p class="secret">${MARKER} client-10-body</p>
<div class="warning"><p>${L('此客户有一笔逾期付款。', 'This client has one overdue payment.')}</p></div>
<table class="data sortable" id="payments">
<thead><tr><th>${L('日期', 'Date')}</th><th>${L('说明', 'Description')}</th><th class="num">${L('金额', 'Amount')}</th></tr></thead>
<tbody>
<tr><td>2024-03-01</td><td>Beta</td><td class="num" data-sort="1200.5">¥1,200.50</td></tr>
<tr><td>2024-01-15</td><td>alpha</td><td class="num" data-sort="99">¥99.00</td></tr>
<tr><td>2024-02-10</td><td>Gamma</td><td class="num" data-sort="15000">¥15,000.00</td></tr>
<tr><td>2023-12-31</td><td>delta</td><td class="num" data-sort="-20">(¥20.00)</td></tr>
</tbody>
<tfoot><tr><td colspan="2">${L('合计', 'Total')}</td><td class="num">¥16,279.50</td></tr></tfoot>
</table>
<p><a id="attachment-link" href="#/file/attachments/photos/logo.png">logo.png</a></p>
<figure><img id="inline-logo" data-file="attachments/photos/logo.png" alt="logo"><img id="inline-logo-2" data-file="attachments/photos/logo.png" alt="logo again"><figcaption>logo</figcaption></figure>
</article>`,
    },
    'handover/checklist': {
      title: L('移交核对清单', 'Handover checklist'),
      html: `<article class="page handover-checklist printable">
<h1>${L('移交核对清单', 'Handover checklist')}</h1>
<p class="checklist-progress" data-checklist="handover/checklist"></p>
<p class="no-print"><button type="button" class="print-button">${L('打印', 'Print')}</button> <button type="button" class="download-ticks" data-checklist="handover/checklist">${L('下载核对记录', 'Download ticks')}</button></p>
<ul class="checklist handover-items" data-checklist="handover/checklist">
<li class="group"><h2>1 ${L('客户', 'Clients')}</h2>
<table class="data"><thead><tr><th>✓</th><th>ID</th><th>${L('名称', 'Name')}</th></tr></thead><tbody>
<tr><td><input type="checkbox" data-item="c-HX-00010" aria-label="HX-00010"></td><td>HX-00010</td><td>${L('张三', 'Zhang San')}, "A"</td></tr>
<tr><td><input type="checkbox" data-item="c-HX-00011" aria-label="HX-00011"></td><td>HX-00011</td><td>${L('李四', 'Li Si')}</td></tr>
</tbody></table></li>
<li class="group"><h2>2 ${L('附件', 'Attachments')}</h2>
<table class="data"><thead><tr><th>✓</th><th>${L('文件', 'File')}</th></tr></thead><tbody>
<tr><td><input type="checkbox" data-item="a-attachments/photos/logo.png" aria-label="attachments/photos/logo.png"></td><td>logo.png</td></tr>
</tbody></table></li>
</ul>
<div class="signature-lines"><div><span>${L('卖方', 'Seller')}</span></div><div><span>${L('买方', 'Buyer')}</span></div></div>
</article>`,
    },
    'policies/反洗钱制度': {
      title: L('反洗钱制度', 'AML policy'),
      html: `<article class="page policy"><h1>${L('反洗钱制度', 'AML policy')}</h1><p class="secret">${MARKER} policy-body</p></article>`,
    },
    'clients/HX-00011': {
      title: 'HX-00011 ' + L('李四', 'Li Si'),
      html: `<article class="page client">
<h1>HX-00011 ${L('李四', 'Li Si')}</h1>
<p class="secret">${MARKER} client-11-body</p>
<div class="table-wrap"><table class="data" id="wrapped"><thead><tr><th>A</th><th class="num">B</th></tr></thead><tbody><tr><td>x</td><td class="num">1</td></tr></tbody></table></div>
<h2 id="payments-section">Payments</h2>
</article>`,
    },
    'training/lesson-1': {
      title: L('第一课：客户身份识别', 'Lesson 1: know your client'),
      html: `<article class="page lesson">
<h1>${L('第一课：客户身份识别', 'Lesson 1: know your client')}</h1>
<p class="secret">${MARKER} lesson-body</p>
<p><span class="checklist-progress" data-checklist="onboarding"></span></p>
<ul class="checklist" data-checklist="onboarding">
<li><input disabled="" type="checkbox" data-item="id-card"/> ${L('核对身份证', 'Check the ID card')}</li>
<li><input disabled="" type="checkbox" data-item="address"/> ${L('核对地址', 'Check the address')}</li>
<li><input disabled="" type="checkbox" checked="" data-item="signed"/> ${L('签署声明', 'Sign the declaration')}</li>
</ul>
<div class="quiz" data-quiz-id="lesson-1" data-pass-mark="80" data-content-hash="a1b2c3d4e5f60718" data-lesson-title="${L('第一课：客户身份识别', 'Lesson 1: know your client')}">
<fieldset class="quiz-question" data-answer="1" data-multiple="false">
<legend>${L('身份证有效期过期了怎么办？', 'The ID card has expired. What do you do?')}</legend>
<label><input type="radio" name="q1" value="0"> ${L('照常办理', 'Proceed as usual')}</label>
<label><input type="radio" name="q1" value="1"> ${L('要求提供有效证件', 'Ask for a valid document')}</label>
<label><input type="radio" name="q1" value="2"> ${L('拒绝并报警', 'Refuse and call the police')}</label>
<div class="quiz-explanation" hidden>${L('必须使用有效证件。', 'A valid document is required.')}</div>
</fieldset>
<fieldset class="quiz-question" data-answer="0,2" data-multiple="true">
<legend>${L('以下哪些属于身份证明？（多选）', 'Which of these prove identity? (several)')}</legend>
<label><input type="checkbox" value="0"> ${L('护照', 'Passport')}</label>
<label><input type="checkbox" value="1"> ${L('名片', 'Business card')}</label>
<label><input type="checkbox" value="2"> ${L('身份证', 'ID card')}</label>
<div class="quiz-explanation" hidden>${L('名片不是身份证明。', 'A business card proves nothing.')}</div>
</fieldset>
<section class="completion-record"></section>
</div>
</article>`,
    },
    'notices/letters': {
      title: L('通知函', 'Notices'),
      html: `<article class="page notices">
<h1>${L('通知函', 'Notices')}</h1>
<ol class="doc-index"><li>${L('总则', 'General')}<ol><li>${L('定义', 'Definitions')}</li><li>${L('范围', 'Scope')}</li></ol></li><li>${L('附件', 'Annexes')}</li></ol>
<section class="notice page-break"><h2>${L('债权转让通知书', 'Notice of assignment')}</h2><p class="date">2026-11-26</p><p class="recipient">HX-00010 ${L('张三', 'Zhang San')}</p><p>${MARKER} ${L('特此通知。', 'Notice is hereby given.')}</p><div class="signature-lines"><div>${L('转让方（盖章）', 'Assignor (seal)')}</div><div>${L('受让方（盖章）', 'Assignee (seal)')}</div></div></section>
<section class="notice page-break"><h2>${L('债权转让通知书', 'Notice of assignment')}</h2><p class="date">2026-11-26</p><p class="recipient">HX-00011 ${L('李四', 'Li Si')}</p><p>${L('特此通知。', 'Notice is hereby given.')}</p><div class="signature-lines"><div>${L('转让方（盖章）', 'Assignor (seal)')}</div><div>${L('受让方（盖章）', 'Assignee (seal)')}</div></div></section>
</article>`,
    },
  };
}

function fixtureNav(lang) {
  const zh = lang !== 'en';
  const L = (a, b) => (zh ? a : b);
  return `<ul class="nav-tree">
<li><a href="#/index">${L('首页', 'Home')}</a></li>
<li><details open><summary>${L('客户', 'Clients')}</summary><ul>
<li><a href="#/clients/HX-00010">HX-00010 ${L('张三', 'Zhang San')}</a></li>
<li><a href="#/clients/HX-00011">HX-00011 ${L('李四', 'Li Si')}</a></li>
</ul></details></li>
<li><details><summary>${L('培训', 'Training')}</summary><ul>
<li><a href="#/training/lesson-1">${L('第一课', 'Lesson 1')}</a></li>
</ul></details></li>
<li><a href="#/notices/letters">${L('通知函', 'Notices')}</a></li>
<li><a href="#/policies/反洗钱制度">${L('反洗钱制度', 'AML policy')}</a></li>
</ul>`;
}

/** The standard test room, optionally with a gate and audience views (sealSite's
 *  gate, audience, denied, slots, manifest). Returns sealSite's result plus
 *  { password, password2, png, pdf }. */
export async function makeFixture({ dir, lang = 'zh-CN', password = PASSWORD, password2 = PASSWORD2, ...view } = {}) {
  const outDir = dir || fs.mkdtempSync(path.join(os.tmpdir(), 'dataroom-fixture-'));
  const png = makePng();
  const pdf = makePdf();
  const sealed = sealSite({
    outDir,
    passwords: [password, password2],
    title: ROOM_TITLE[lang] + ' ' + MARKER,
    publicTitle: PUBLIC_TITLE[lang],
    lang,
    nav: fixtureNav(lang),
    pages: fixturePages(lang),
    files: {
      'attachments/photos/logo.png': png,
      'attachments/contracts/C-1.pdf': pdf,
    },
    ...view, // gate, audience, denied, slots, manifest (see sealSite)
  });
  return { ...sealed, outDir, password, password2, png, pdf, lang };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args.splice(i, 2)[1] : undefined; };
  const lang = opt('--lang') || 'zh-CN';
  const password = opt('--password') || PASSWORD;
  const dir = args[0] ? path.resolve(args[0]) : undefined;
  if (dir) fs.mkdirSync(dir, { recursive: true });
  const f = await makeFixture({ dir, lang, password });
  console.log(`sealed fixture: ${f.indexHtml}\nurl: ${f.url}\npassword: ${f.password}\npassword 2: ${f.password2}`);
}
