/*!
 * dataroom.js: the offline data-room app.
 *
 * One classic ES2017 script, no modules, no build step, no dependencies.
 * It runs in two places:
 *   1. The sealed shell (index.html, <html data-dataroom="sealed">): lock
 *      screen, key unwrapping (WebCrypto), payload loading through injected
 *      <script src="data/<id>.js"> files, decryption, hash router.
 *   2. Ordinary public HTML pages (the unencrypted training site): only the
 *      page enhancers (sortable tables, checklists, quizzes) run, on
 *      DOMContentLoaded.
 * Everything happens on this computer. There is no fetch/XHR, no eval, no
 * inline script, so the shell's Content-Security-Policy can forbid all of it.
 */
(function () {
  'use strict';

  /* ------------------------------------------------------------------ */
  /* UI strings. The shell provides the same keys in                      */
  /* <script type="application/json" id="dataroom-i18n">; these built-in  */
  /* tables are the fallback (and the reference list of keys).            */
  /* ------------------------------------------------------------------ */
  var STRINGS = {
    'zh-CN': {
      skip_to_content: '跳到正文',
      noscript: '此资料室需要启用 JavaScript 才能解锁和查看。',
      password_label: '密码',
      unlock: '解锁',
      unlocking: '正在解锁…',
      offline_note: '本资料室完全离线运行：密码和文件都不会离开这台电脑，也不会连接网络。',
      wrong_password: '密码错误',
      password_required: '请输入密码',
      unsupported_browser: '此浏览器不支持解密所需的功能，请使用最新版本的 Chrome、Edge 或 Firefox 打开。',
      header_missing: '找不到资料室数据文件（data/header.js）。请确认整个资料室文件夹已完整复制。',
      unsupported_format: '此资料室的格式不受支持，请使用随资料室提供的浏览器页面打开。',
      menu: '目录',
      nav_filter: '筛选目录…',
      logout: '退出',
      loading: '正在加载…',
      not_found: '找不到此页面',
      not_found_body: '此资料室中没有这个地址：',
      back_home: '返回首页',
      tampered: '此文件已被篡改或损坏',
      tampered_body: '解密校验未通过，因此未显示其中任何内容。请从原始来源重新复制完整的资料室。',
      missing_file: '缺少文件',
      missing_file_body: '资料室文件夹中缺少此文件或无法读取。请从原始来源重新复制完整的资料室。',
      no_access: '无权访问此文件',
      no_access_body: '您的密码不能打开此文件。',
      file_id: '文件编号',
      attachment: '附件',
      file_size: '大小',
      file_type: '类型',
      bytes: '字节',
      download: '下载',
      open: '打开',
      no_preview: '此类文件无法在此预览，请下载或打开。',
      sort_column: '按此列排序',
      checklist_progress: '已完成 {done}/{total}',
      checklist_dropped: '此清单已更新：{count} 个勾选对应的条目已不在清单中，这些勾选已移除。',
      ticks_item: '项目编号',
      ticks_label: '项目',
      ticks_ticked: '已核对',
      ticks_time: '时间',
      yes: '是',
      no: '否',
      quiz_submit: '提交答案',
      quiz_correct: '正确',
      quiz_wrong: '错误',
      quiz_score: '得分 {score}%（及格线 {pass}%）',
      quiz_passed: '通过',
      quiz_failed: '未通过',
      trainee_name: '学员姓名',
      print_record: '打印结业记录',
      name_required: '请先填写学员姓名。',
      record_title: '结业记录',
      record_lesson: '课程',
      record_name: '学员姓名',
      record_score: '成绩',
      record_result: '结果',
      record_date: '日期',
      record_hash: '内容校验码',
      record_sign_trainee: '学员签字',
      record_sign_trainer: '培训负责人签字',
      progress_none: '未开始',
      progress_passed: '已通过 {score}%',
      progress_failed: '未通过 {score}%',
      progress_outdated: '课程已更新，请重新测验'
    },
    en: {
      skip_to_content: 'Skip to content',
      noscript: 'This data room needs JavaScript to unlock and display it.',
      password_label: 'Password',
      unlock: 'Unlock',
      unlocking: 'Unlocking…',
      offline_note: 'This data room works entirely offline: your password and files never leave this computer and nothing connects to the network.',
      wrong_password: 'Wrong password',
      password_required: 'Please enter the password',
      unsupported_browser: 'This browser lacks features needed for decryption. Please open the data room in a current version of Chrome, Edge or Firefox.',
      header_missing: 'The data room\u2019s data file (data/header.js) is missing. Make sure the whole data-room folder was copied.',
      unsupported_format: 'This data room\u2019s format is not supported. Open it with the page that came with it.',
      menu: 'Contents',
      nav_filter: 'Filter contents…',
      logout: 'Log out',
      loading: 'Loading…',
      not_found: 'Page not found',
      not_found_body: 'There is no such page in this data room:',
      back_home: 'Back to home',
      tampered: 'This file has been tampered with or is damaged',
      tampered_body: 'Its decryption check failed, so none of its content is shown. Copy the complete data room again from the original source.',
      missing_file: 'Missing file',
      missing_file_body: 'This file is missing from the data-room folder or cannot be read. Copy the complete data room again from the original source.',
      no_access: 'No access to this file',
      no_access_body: 'Your password does not open this file.',
      file_id: 'File ID',
      attachment: 'Attachment',
      file_size: 'Size',
      file_type: 'Type',
      bytes: 'bytes',
      download: 'Download',
      open: 'Open',
      no_preview: 'This kind of file cannot be previewed here. Download or open it.',
      sort_column: 'Sort by this column',
      checklist_progress: 'Done {done}/{total}',
      checklist_dropped: 'This checklist has changed: {count} ticks belonged to items that are no longer in it and were removed.',
      ticks_item: 'Item ID',
      ticks_label: 'Item',
      ticks_ticked: 'Checked',
      ticks_time: 'Time',
      yes: 'yes',
      no: 'no',
      quiz_submit: 'Submit',
      quiz_correct: 'Correct',
      quiz_wrong: 'Wrong',
      quiz_score: 'Score {score}% (pass mark {pass}%)',
      quiz_passed: 'Passed',
      quiz_failed: 'Not passed',
      trainee_name: 'Trainee name',
      print_record: 'Print completion record',
      name_required: 'Please enter the trainee\u2019s name first.',
      record_title: 'Completion record',
      record_lesson: 'Lesson',
      record_name: 'Trainee',
      record_score: 'Score',
      record_result: 'Result',
      record_date: 'Date',
      record_hash: 'Content hash',
      record_sign_trainee: 'Trainee signature',
      record_sign_trainer: 'Trainer signature',
      progress_none: 'Not started',
      progress_passed: 'Passed {score}%',
      progress_failed: 'Not passed {score}%',
      progress_outdated: 'Lesson updated: take the quiz again'
    }
  };

  var doc = document;
  var hasOwn = Object.prototype.hasOwnProperty;
  var forEach = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  function uiLang() {
    var l = (doc.documentElement.getAttribute('lang') || '').toLowerCase();
    return l.indexOf('en') === 0 ? 'en' : 'zh-CN';
  }

  var stringsCache = null;
  function strings() {
    if (stringsCache) return stringsCache;
    var base = STRINGS[uiLang()];
    var merged = {};
    var k;
    for (k in base) if (hasOwn.call(base, k)) merged[k] = base[k];
    var el = doc.getElementById('dataroom-i18n');
    if (el) {
      try {
        var given = JSON.parse(el.textContent || '{}');
        for (k in given) {
          if (hasOwn.call(given, k) && typeof given[k] === 'string' && given[k] !== '') merged[k] = given[k];
        }
      } catch (e) { /* keep the built-in strings */ }
    }
    stringsCache = merged;
    return merged;
  }

  function t(key, vars) {
    var s = strings()[key];
    if (typeof s !== 'string') s = key;
    if (vars) {
      s = s.replace(/\{(\w+)\}/g, function (m, name) {
        return hasOwn.call(vars, name) ? String(vars[name]) : m;
      });
    }
    return s;
  }

  /* ------------------------------------------------------------------ */
  /* Small helpers                                                       */
  /* ------------------------------------------------------------------ */
  function el(tag, attrs, children) {
    var node = doc.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!hasOwn.call(attrs, k) || attrs[k] == null || attrs[k] === false) continue;
        if (k === 'text') node.textContent = attrs[k];
        else if (k === 'className') node.className = attrs[k];
        else if (k === 'hidden') node.hidden = !!attrs[k];
        else node.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
      }
    }
    if (children) {
      forEach(children, function (c) {
        if (c == null) return;
        node.appendChild(typeof c === 'string' ? doc.createTextNode(c) : c);
      });
    }
    return node;
  }

  function storageGet(kind, key) {
    try { return window[kind].getItem(key); } catch (e) { return null; }
  }
  function storageSet(kind, key, value) {
    try { window[kind].setItem(key, value); return true; } catch (e) { return false; }
  }
  function storageDel(kind, key) {
    try { window[kind].removeItem(key); } catch (e) { /* ignore */ }
  }
  function readJson(kind, key) {
    var raw = storageGet(kind, key);
    if (raw == null) return null;
    try { return JSON.parse(raw); } catch (e) { return null; }
  }

  function pad2(n) { return (n < 10 ? '0' : '') + n; }
  function fmtDate(d) {
    return d.getFullYear() + '-' + pad2(d.getMonth() + 1) + '-' + pad2(d.getDate()) +
      ' ' + pad2(d.getHours()) + ':' + pad2(d.getMinutes());
  }
  function fmtInt(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }
  function fmtSize(n) {
    if (!(n >= 0)) return '';
    if (n < 1024) return n + ' B';
    var units = ['KB', 'MB', 'GB', 'TB'];
    var v = n;
    var i = -1;
    do { v /= 1024; i++; } while (v >= 1024 && i < units.length - 1);
    return (v >= 100 ? v.toFixed(0) : v.toFixed(1)) + ' ' + units[i];
  }

  function safeDecode(s) {
    try { return decodeURIComponent(s); } catch (e) { return s; }
  }

  /* The id used to namespace local progress (checklists, quizzes): the
     header's optional stable "site" id, else its per-build "room" id; on
     public pages <html data-site="…">. */
  function siteId() {
    var h = window.DATAROOM_HEADER;
    if (isShell() && h) {
      if (typeof h.site === 'string' && h.site) return h.site;
      if (typeof h.room === 'string') return h.room;
    }
    return doc.documentElement.getAttribute('data-site') || 'public';
  }

  function isShell() {
    return doc.documentElement.getAttribute('data-dataroom') === 'sealed' ||
      !!(doc.getElementById('lock') && doc.getElementById('app') && doc.getElementById('unlock-form'));
  }

  /* ------------------------------------------------------------------ */
  /* Enhancers: run on every inserted page, and on public pages.         */
  /* ------------------------------------------------------------------ */
  function enhance(root) {
    root = root || doc;
    if (!root.querySelectorAll) return;
    wrapTables(root);
    forEach(root.querySelectorAll('table.sortable'), initSortable);
    initChecklists(root);
    initChecklistProgress(root);
    forEach(root.querySelectorAll('.quiz[data-quiz-id]'), initQuiz);
    updateLessonProgress(root);
    forEach(root.querySelectorAll('button.print-button'), initPrintButton);
    forEach(root.querySelectorAll('button.download-ticks[data-checklist]'), initDownloadTicks);
    forEach(root.querySelectorAll('[data-manifest-hash]'), initManifestHash);
  }

  /* [data-manifest-hash]: shows the SHA-256 of SHA256SUMS. file:// forbids reading
     SHA256SUMS itself, so the build ships an exact copy as data/manifest.js
     (`dataroomManifest("<text>")`, checked by dataroom verify); it is hashed here. */
  var manifestWaiters = [];
  window.dataroomManifest = function (text) {
    var waiters = manifestWaiters;
    manifestWaiters = [];
    waiters.forEach(function (w) { w(text); });
  };
  function initManifestHash(el) {
    if (el.getAttribute('data-ready')) return;
    el.setAttribute('data-ready', '1');
    manifestWaiters.push(function (text) {
      crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)).then(function (digest) {
        el.textContent = Array.prototype.map.call(new Uint8Array(digest), function (b) {
          return ('0' + b.toString(16)).slice(-2);
        }).join('');
      });
    });
    var script = doc.createElement('script');
    script.src = 'data/manifest.js';
    script.onload = function () { script.parentNode && script.parentNode.removeChild(script); };
    doc.body.appendChild(script);
  }

  /* <button class="print-button">: prints the page (inline onclick is not allowed). */
  function initPrintButton(btn) {
    if (btn.getAttribute('data-ready')) return;
    btn.setAttribute('data-ready', '1');
    btn.addEventListener('click', function () { window.print(); });
  }

  /* A spreadsheet runs a cell that starts with = + - @ (or tab / CR, which it
     may skip first) as a formula: such cells get a leading ', unless the whole
     cell is a number (-12.5). The rule of the Rust exports (render/views.rs
     csv_field, f64 syntax). */
  var CSV_NUMBER = /^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|inf|infinity|nan)$/i;
  function csvCell(v) {
    v = String(v == null ? '' : v);
    if (/^[=+\-@\t\r]/.test(v) && !CSV_NUMBER.test(v)) v = "'" + v;
    return /[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
  }

  /* <button class="download-ticks" data-checklist="id">: downloads the ticks
     of that checklist as CSV (item, label, ticked, time; headers and yes/no in
     the room's language), made in the browser. */
  function initDownloadTicks(btn) {
    if (btn.getAttribute('data-ready')) return;
    btn.setAttribute('data-ready', '1');
    btn.addEventListener('click', function () {
      var id = btn.getAttribute('data-checklist');
      var now = new Date();
      var lines = [[t('ticks_item'), t('ticks_label'), t('ticks_ticked'), t('ticks_time')].map(csvCell).join(',')];
      checklistBoxes(id).forEach(function (cb, i) {
        var row = cb.closest('tr, li');
        var label = cb.getAttribute('aria-label') || (row ? row.textContent.replace(/\s+/g, ' ').trim() : '');
        lines.push([itemId(cb, i), label, cb.checked ? t('yes') : t('no'), fmtDate(now)].map(csvCell).join(','));
      });
      // BOM so spreadsheet programs read the Chinese text as UTF-8
      var blob = new Blob(['\ufeff' + lines.join('\r\n') + '\r\n'], { type: 'text/csv;charset=utf-8' });
      var url = URL.createObjectURL(blob);
      var a = el('a', { href: url, download: id.replace(/[^\w.-]+/g, '-') + '-' + fmtDate(now).slice(0, 10) + '.csv', hidden: true });
      doc.body.appendChild(a);
      a.click();
      doc.body.removeChild(a);
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    });
  }

  /* Tables scroll sideways on phones instead of breaking the layout. */
  function wrapTables(root) {
    forEach(root.querySelectorAll('table'), function (table) {
      var parent = table.parentNode;
      if (!parent || (parent.classList && (parent.classList.contains('table-scroll') || parent.classList.contains('table-wrap')))) return;
      if (table.closest && table.closest('.no-table-scroll')) return;
      var wrap = el('div', { className: 'table-scroll' });
      parent.insertBefore(wrap, table);
      wrap.appendChild(table);
    });
  }

  /* --- sortable tables ------------------------------------------------ */
  function cellAt(row, col) {
    var pos = 0;
    for (var i = 0; i < row.cells.length; i++) {
      var c = row.cells[i];
      var span = c.colSpan || 1;
      if (col >= pos && col < pos + span) return span === 1 ? c : null;
      pos += span;
    }
    return null;
  }

  function parseNumber(s) {
    var x = String(s).replace(/[\s\u00a0,\uff0c\u00a5\uffe5$\u20ac\u00a3%\u5143]/g, '').replace(/\u2212/g, '-');
    var neg = /^\((.*)\)$/.exec(x);
    if (neg) x = '-' + neg[1];
    if (!/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(x)) return null;
    return parseFloat(x);
  }

  var collator = null;
  function compareText(a, b) {
    if (!collator) {
      try { collator = new Intl.Collator(uiLang(), { numeric: true, sensitivity: 'base' }); } catch (e) { collator = { compare: function (x, y) { return x < y ? -1 : x > y ? 1 : 0; } }; }
    }
    return collator.compare(a, b);
  }

  function initSortable(table) {
    if (table.getAttribute('data-sortable-ready')) return;
    var headRow = null;
    if (table.tHead && table.tHead.rows.length) headRow = table.tHead.rows[table.tHead.rows.length - 1];
    else if (table.rows.length) headRow = table.rows[0];
    if (!headRow) return;
    table.setAttribute('data-sortable-ready', '1');
    var col = 0;
    forEach(headRow.cells, function (th) {
      var myCol = col;
      var span = th.colSpan || 1;
      col += span;
      if (th.tagName !== 'TH' || span !== 1 || th.classList.contains('no-sort')) return;
      var btn = el('button', { type: 'button', className: 'sort-button', title: t('sort_column') });
      while (th.firstChild) btn.appendChild(th.firstChild);
      btn.appendChild(el('span', { className: 'sort-indicator', 'aria-hidden': 'true' }));
      th.appendChild(btn);
      th.classList.add('sortable-header');
      btn.addEventListener('click', function () { sortTable(table, headRow, th, myCol); });
    });
  }

  function sortTable(table, headRow, th, col) {
    var dir = th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending';
    forEach(headRow.cells, function (c) { c.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir);
    var sign = dir === 'ascending' ? 1 : -1;
    forEach(table.tBodies, function (tbody) {
      if (tbody === headRow.parentNode) return;
      var rows = Array.prototype.slice.call(tbody.rows);
      var keys = rows.map(function (row, i) {
        var cell = cellAt(row, col);
        var raw = '';
        if (cell) raw = cell.hasAttribute('data-sort') ? cell.getAttribute('data-sort') : cell.textContent;
        return { row: row, i: i, text: String(raw).trim() };
      });
      var numeric = keys.some(function (k) { return k.text !== ''; }) &&
        keys.every(function (k) { return k.text === '' || parseNumber(k.text) !== null; });
      keys.forEach(function (k) { k.num = numeric ? parseNumber(k.text) : null; });
      keys.sort(function (a, b) {
        var ea = a.text === '';
        var eb = b.text === '';
        if (ea || eb) return ea === eb ? a.i - b.i : (ea ? 1 : -1); // blanks last
        var c = numeric ? a.num - b.num : compareText(a.text, b.text);
        return c !== 0 ? c * sign : a.i - b.i;
      });
      keys.forEach(function (k) { tbody.appendChild(k.row); });
    });
  }

  /* --- local progress (checklist ticks, quiz results) ------------------ */
  /* Public pages keep it in localStorage under dataroom:<site>:<kind>:<id>.
     The sealed room keeps all of it in one localStorage entry, encrypted
     (AES-GCM) under a key derived from the room's state secret, and named by
     a value derived from it: nothing in storage names the room, a client or an
     item, and nothing in it can be read without the password. */
  function progressGet(kind, id) {
    if (isShell()) {
      var m = S.state && S.state[kind];
      return m && hasOwn.call(m, id) ? m[id] : null;
    }
    return readJson('localStorage', 'dataroom:' + siteId() + ':' + kind + ':' + id);
  }

  function progressSet(kind, id, value) {
    if (isShell()) {
      if (!S.state) return;
      if (!S.state[kind]) S.state[kind] = {};
      S.state[kind][id] = value;
      saveState();
      return;
    }
    storageSet('localStorage', 'dataroom:' + siteId() + ':' + kind + ':' + id, JSON.stringify(value));
  }

  /* --- checklists ----------------------------------------------------- */
  /* All checkboxes of checklist `id` on this page (a document may hold several lists). */
  function checklistBoxes(id) {
    var out = [];
    forEach(doc.querySelectorAll('.checklist[data-checklist]'), function (list) {
      if (list.getAttribute('data-checklist') !== id) return;
      forEach(list.querySelectorAll('input[type=checkbox]'), function (cb) { out.push(cb); });
    });
    return out;
  }

  /* The item's own id for the ticks export: the record it stands for, or its position. */
  function itemId(cb, i) { return cb.getAttribute('data-item') || ('#' + i); }

  /* What an item says: its table row, or its list item without nested lists. */
  function itemText(cb) {
    var row = cb.closest('tr, li');
    if (!row) return cb.getAttribute('aria-label') || '';
    var copy = row.cloneNode(true);
    forEach(copy.querySelectorAll('ul, ol, input'), function (n) { n.parentNode.removeChild(n); });
    return copy.textContent.replace(/\s+/g, ' ').trim();
  }

  /* A 64-bit non-cryptographic hash (cyrb53's mixing) as 16 hex digits: a
     name for an item, not a secret (the sealed room's store is encrypted). */
  function textHash(str) {
    var h1 = 0xdeadbeef;
    var h2 = 0x41c6ce57;
    for (var i = 0; i < str.length; i++) {
      var ch = str.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return ('0000000' + (h2 >>> 0).toString(16)).slice(-8) + ('0000000' + (h1 >>> 0).toString(16)).slice(-8);
  }

  /* Ticks are keyed by a hash of the item's text, so they stay on their items
     when the seller edits the checklist (inserts, removes, reorders); a
     repeated text gets ~2, ~3 in order. */
  function itemKeys(boxes) {
    var seen = {};
    return boxes.map(function (cb) {
      var h = textHash(itemText(cb));
      seen[h] = (seen[h] || 0) + 1;
      return seen[h] > 1 ? h + '~' + seen[h] : h;
    });
  }

  /* Every checklist on this page not yet set up: saved ticks applied, ticks
     whose item is gone dropped (and a note says how many). */
  function initChecklists(root) {
    var ids = [];
    forEach(root.querySelectorAll('ul.checklist[data-checklist], ol.checklist[data-checklist]'), function (list) {
      if (list.getAttribute('data-checklist-ready')) return;
      var id = list.getAttribute('data-checklist');
      if (ids.indexOf(id) < 0) ids.push(id);
    });
    ids.forEach(initChecklist);
  }

  function initChecklist(id) {
    var lists = [];
    forEach(doc.querySelectorAll('.checklist[data-checklist]'), function (list) {
      if (list.getAttribute('data-checklist') === id) lists.push(list);
    });
    lists.forEach(function (list) { list.setAttribute('data-checklist-ready', '1'); });
    var boxes = checklistBoxes(id);
    var keys = itemKeys(boxes);
    var saved = progressGet('check', id);
    if (!saved || typeof saved !== 'object') saved = null;
    var save = function () {
      var map = {};
      boxes.forEach(function (box, i) { map[keys[i]] = !!box.checked; });
      progressSet('check', id, map);
    };
    boxes.forEach(function (cb, i) {
      cb.disabled = false;
      cb.removeAttribute('disabled');
      if (saved && hasOwn.call(saved, keys[i])) cb.checked = !!saved[keys[i]];
      markItem(cb);
      cb.addEventListener('change', function () {
        // The whole list is stored, so pages without it (home) can show progress.
        save();
        markItem(cb);
        checklistProgress(id);
      });
    });
    if (saved) {
      var present = Object.create(null); // (the handover checklist can have 10,000s of items)
      keys.forEach(function (k) { present[k] = true; });
      var gone = 0;
      var stale = false;
      for (var k in saved) {
        if (!hasOwn.call(saved, k) || present[k]) continue;
        stale = true;
        if (saved[k]) gone++;
      }
      if (stale) save();
      if (gone && lists.length) {
        var note = el('p', { className: 'checklist-note', role: 'status', text: t('checklist_dropped', { count: gone }) });
        lists[0].parentNode.insertBefore(note, lists[0]);
      }
    }
    checklistProgress(id);
  }

  /* The item is the table row (lists of tables, e.g. the handover
     checklist) or else the list item holding the checkbox. */
  function markItem(cb) {
    var item = cb.closest('tr, li');
    if (!item) return;
    if (item.tagName === 'LI' && item.firstElementChild === cb) item.classList.add('check-item');
    item.classList.toggle('done', cb.checked);
  }

  /* Updates every .checklist-progress[data-checklist=id]: from the list when it
     is on this page, else from the stored ticks (left as rendered if none). */
  function checklistProgress(id) {
    var boxes = checklistBoxes(id);
    var total = boxes.length;
    var done = boxes.filter(function (cb) { return cb.checked; }).length;
    if (!total) {
      var saved = progressGet('check', id);
      if (!saved || typeof saved !== 'object') return;
      for (var k in saved) {
        if (!hasOwn.call(saved, k)) continue;
        total++;
        if (saved[k]) done++;
      }
      if (!total) return;
    }
    forEach(doc.querySelectorAll('.checklist-progress[data-checklist]'), function (p) {
      if (p.getAttribute('data-checklist') !== id) return;
      p.textContent = t('checklist_progress', { done: done, total: total });
      p.setAttribute('data-done', String(done));
      p.setAttribute('data-total', String(total));
      p.classList.toggle('complete', total > 0 && done === total);
    });
  }

  /* Progress elements for checklists that are not on this page. */
  function initChecklistProgress(root) {
    var seen = {};
    forEach(root.querySelectorAll('.checklist-progress[data-checklist]'), function (p) {
      var id = p.getAttribute('data-checklist');
      if (seen[id] || checklistBoxes(id).length) return;
      seen[id] = true;
      checklistProgress(id);
    });
  }

  /* --- quizzes -------------------------------------------------------- */
  function parseAnswer(s) {
    return String(s || '').split(',').map(function (x) { return x.trim(); })
      .filter(function (x) { return x !== ''; }).sort();
  }

  var traineeName = '';

  function initQuiz(quiz) {
    if (quiz.getAttribute('data-quiz-ready')) return;
    quiz.setAttribute('data-quiz-ready', '1');
    var quizId = quiz.getAttribute('data-quiz-id');
    var passMark = parseFloat(quiz.getAttribute('data-pass-mark'));
    if (!isFinite(passMark)) passMark = 80;
    var hash = quiz.getAttribute('data-content-hash') || '';
    var title = quiz.getAttribute('data-lesson-title');
    if (!title) {
      var h1 = quiz.closest('article') && quiz.closest('article').querySelector('h1');
      title = h1 ? h1.textContent.trim() : quizId;
    }
    var questions = quiz.querySelectorAll('fieldset.quiz-question');
    forEach(questions, function (q, qi) {
      var inputs = q.querySelectorAll('input[type=radio], input[type=checkbox]');
      forEach(inputs, function (input, ii) {
        input.disabled = false;
        input.removeAttribute('disabled');
        if (!input.hasAttribute('value')) input.value = String(ii);
        if (!input.name) input.name = 'quiz-' + quizId + '-' + qi;
      });
    });

    var result = el('p', { className: 'quiz-result', role: 'status', 'aria-live': 'polite' });
    var submit = el('button', { type: 'button', className: 'button primary quiz-submit', text: t('quiz_submit') });
    var actions = el('div', { className: 'quiz-actions' }, [submit, result]);
    var nameInput = el('input', { type: 'text', className: 'quiz-name', autocomplete: 'name', id: 'quiz-name-' + quizId });
    if (traineeName) nameInput.value = traineeName;
    var printBtn = el('button', { type: 'button', className: 'button quiz-print', text: t('print_record') });
    var nameError = el('p', { className: 'quiz-name-error', role: 'alert' });
    var recordForm = el('div', { className: 'quiz-record-form', hidden: true }, [
      el('label', { 'for': 'quiz-name-' + quizId, text: t('trainee_name') }), nameInput, printBtn, nameError
    ]);
    var record = quiz.querySelector('.completion-record');
    if (!record) {
      var sib = quiz.nextElementSibling;
      if (sib && sib.classList.contains('completion-record')) record = sib;
    }
    if (!record) {
      record = el('section', { className: 'completion-record' });
      quiz.appendChild(record);
    }
    // Buttons go after the last question, before a record placed inside the quiz.
    var anchor = record.parentNode === quiz ? record : null;
    quiz.insertBefore(actions, anchor);
    quiz.insertBefore(recordForm, anchor);
    if (!record.getAttribute('data-filled')) record.hidden = true;

    var last = null;

    submit.addEventListener('click', function () {
      var right = 0;
      forEach(questions, function (q) {
        var answer = parseAnswer(q.getAttribute('data-answer'));
        var chosen = [];
        forEach(q.querySelectorAll('input[type=radio], input[type=checkbox]'), function (input) {
          if (input.checked) chosen.push(String(input.value).trim());
        });
        chosen.sort();
        var ok = answer.length > 0 && chosen.length === answer.length &&
          chosen.every(function (v, i) { return v === answer[i]; });
        if (ok) right++;
        q.classList.toggle('correct', ok);
        q.classList.toggle('wrong', !ok);
        var fb = q.querySelector('.quiz-feedback');
        if (!fb) {
          fb = el('p', { className: 'quiz-feedback' });
          var legend = q.querySelector('legend');
          if (legend && legend.nextSibling) q.insertBefore(fb, legend.nextSibling);
          else q.appendChild(fb);
        }
        fb.textContent = ok ? t('quiz_correct') : t('quiz_wrong');
        forEach(q.querySelectorAll('.quiz-explanation'), function (x) { x.hidden = false; });
      });
      var total = questions.length;
      var score = total ? Math.round(right * 100 / total) : 0;
      var passed = score >= passMark;
      last = { score: score, passed: passed, date: new Date() };
      result.textContent = t('quiz_score', { score: score, pass: passMark }) + ' \u2014 ' + (passed ? t('quiz_passed') : t('quiz_failed'));
      result.classList.toggle('pass', passed);
      result.classList.toggle('fail', !passed);
      quiz.setAttribute('data-score', String(score));
      quiz.setAttribute('data-passed', passed ? 'true' : 'false');
      recordForm.hidden = false;
      saveQuizResult(quizId, score, passed, hash);
      updateLessonProgress(doc);
    });

    printBtn.addEventListener('click', function () {
      var name = nameInput.value.trim();
      if (!name) {
        nameError.textContent = t('name_required');
        nameInput.focus();
        return;
      }
      nameError.textContent = '';
      traineeName = name;
      if (!last) return;
      fillRecord(record, {
        title: title, name: name, score: last.score, pass: passMark,
        passed: last.passed, date: last.date, hash: hash
      });
      printRecord(record);
    });
  }

  function saveQuizResult(quizId, score, passed, hash) {
    var prev = progressGet('quiz', quizId);
    if (!prev || typeof prev !== 'object' || (hash && prev.hash && prev.hash !== hash)) prev = null;
    var rec = {
      score: score, passed: passed, date: new Date().toISOString(), hash: hash,
      attempts: (prev && prev.attempts || 0) + 1, last: score
    };
    if (prev && (prev.passed && !passed || prev.score > score && prev.passed === passed)) {
      rec.score = prev.score;
      rec.passed = prev.passed;
      rec.date = prev.date;
    }
    progressSet('quiz', quizId, rec);
  }

  function fillRecord(record, r) {
    record.innerHTML = '';
    var rows = [
      [t('record_lesson'), r.title],
      [t('record_name'), r.name],
      [t('record_score'), r.score + '%'],
      [t('record_result'), r.passed ? t('quiz_passed') : t('quiz_failed')],
      [t('record_date'), fmtDate(r.date)],
      [t('record_hash'), r.hash || '\u2014']
    ];
    var dl = el('dl', { className: 'fields' });
    rows.forEach(function (row, i) {
      dl.appendChild(el('dt', { text: row[0] }));
      var dd = el('dd', { className: 'record-' + ['lesson', 'name', 'score', 'result', 'date', 'hash'][i] });
      if (i === 5) dd.appendChild(el('code', { text: row[1] }));
      else dd.textContent = row[1];
      dl.appendChild(dd);
    });
    record.appendChild(el('h2', { text: t('record_title') }));
    record.appendChild(dl);
    record.appendChild(el('div', { className: 'signature-lines' }, [
      el('div', { text: t('record_sign_trainee') }),
      el('div', { text: t('record_sign_trainer') })
    ]));
    record.setAttribute('data-filled', '1');
    record.classList.toggle('pass', r.passed);
    record.classList.toggle('fail', !r.passed);
    record.hidden = false;
  }

  function printRecord(record) {
    var holder = doc.getElementById('print-record');
    if (holder) holder.parentNode.removeChild(holder);
    holder = el('div', { id: 'print-record' });
    var copy = record.cloneNode(true);
    copy.hidden = false;
    holder.appendChild(copy);
    doc.body.appendChild(holder);
    doc.body.classList.add('printing-record');
    var done = function () {
      doc.body.classList.remove('printing-record');
      if (holder.parentNode) holder.parentNode.removeChild(holder);
      window.removeEventListener('afterprint', done);
    };
    window.addEventListener('afterprint', done);
    window.print();
  }

  function updateLessonProgress(root) {
    forEach((root || doc).querySelectorAll('.lesson-progress[data-quiz-id]'), function (p) {
      var rec = progressGet('quiz', p.getAttribute('data-quiz-id'));
      var hash = p.getAttribute('data-content-hash');
      p.classList.remove('passed', 'failed', 'outdated', 'not-started');
      if (!rec || typeof rec !== 'object') {
        p.textContent = t('progress_none');
        p.classList.add('not-started');
      } else if (hash && rec.hash && hash !== rec.hash) {
        p.textContent = t('progress_outdated');
        p.classList.add('outdated');
      } else {
        p.textContent = t(rec.passed ? 'progress_passed' : 'progress_failed', { score: rec.score });
        p.classList.add(rec.passed ? 'passed' : 'failed');
      }
    });
  }

  window.dataroomEnhance = enhance;

  /* ------------------------------------------------------------------ */
  /* Sealed shell                                                        */
  /* ------------------------------------------------------------------ */
  var enc = typeof TextEncoder !== 'undefined' ? new TextEncoder() : null;
  var ID_RE = /^[0-9a-f]{32}$/;

  function DataroomError(kind, id) {
    this.kind = kind;   // 'tampered' | 'missing' | 'noaccess' | 'aborted'
    this.id = id || '';
    this.message = kind + (id ? ' ' + id : '');
  }
  DataroomError.prototype = Object.create(Error.prototype);
  DataroomError.prototype.name = 'DataroomError';

  function b64decode(s) {
    if (typeof s !== 'string') throw new Error('not base64');
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function b64encode(bytes) {
    var s = '';
    for (var i = 0; i < bytes.length; i += 0x8000) {
      s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(s);
  }

  /* The sealed format (src/seal/mod.rs has the same constants; a Rust test
     checks they agree). Headers asking for fewer PBKDF2 iterations are refused:
     an edited header must not make password guessing cheaper. */
  var FORMAT = 'dataroom-sealed/2';
  var MIN_ITERATIONS = 600000;
  var PAGE_TYPE = 'text/html; charset=utf-8';
  var INDEX_META = { type: 'application/json', name: 'index' };

  /* Associated data: each field as a 4-byte big-endian length and its UTF-8
     bytes, exactly as fields_aad() in Rust. Non-strings are tampering. */
  function fieldsAad(fields) {
    var parts = fields.map(function (f) {
      if (typeof f !== 'string') throw new DataroomError('tampered', '');
      return enc.encode(f);
    });
    var total = parts.reduce(function (n, b) { return n + 4 + b.length; }, 0);
    var out = new Uint8Array(total);
    var view = new DataView(out.buffer);
    var at = 0;
    parts.forEach(function (b) {
      view.setUint32(at, b.length, false);
      out.set(b, at + 4);
      at += 4 + b.length;
    });
    return out;
  }

  function slotAad(room, kid) { return fieldsAad([FORMAT, 'slot', room, kid]); }

  /* The sealed body inside its padding: an 8-byte little-endian length, then
     the body; the zeros after it are padding. */
  function unframe(plain, id) {
    if (plain.length < 8) throw new DataroomError('tampered', id);
    var view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
    var len = view.getUint32(0, true) + view.getUint32(4, true) * 4294967296;
    if (len > plain.length - 8) throw new DataroomError('tampered', id);
    return plain.subarray(8, 8 + len);
  }

  function aesDecrypt(key, nonceB64, ctB64, aadBytes) {
    return crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: b64decode(nonceB64), additionalData: aadBytes, tagLength: 128 },
      key, b64decode(ctB64)
    ).then(function (buf) { return new Uint8Array(buf); });
  }

  function importContentKey(raw) {
    if (!raw || raw.length !== 32) return Promise.reject(new Error('bad key length'));
    return crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['decrypt']);
  }

  async function deriveKek(password, kdf) {
    var base = await crypto.subtle.importKey('raw', enc.encode(password.normalize('NFC')), { name: 'PBKDF2' }, false, ['deriveKey']);
    return crypto.subtle.deriveKey(
      { name: 'PBKDF2', salt: b64decode(kdf.salt), iterations: kdf.iterations, hash: 'SHA-256' },
      base, { name: 'AES-GCM', length: 256 }, false, ['decrypt']
    );
  }

  /* Returns {kid: Uint8Array(32)} for the first slot the password opens, or null. */
  async function unwrapKeys(header, password) {
    var kek = await deriveKek(password, header.kdf);
    var slots = Array.isArray(header.slots) ? header.slots : [];
    for (var s = 0; s < slots.length; s++) {
      var keys = slots[s] && Array.isArray(slots[s].keys) ? slots[s].keys : [];
      if (!keys.length) continue;
      var first;
      try {
        first = await aesDecrypt(kek, keys[0].nonce, keys[0].wrapped, slotAad(header.room, keys[0].kid));
      } catch (e) {
        continue; // another password's slot
      }
      var out = {};
      out[keys[0].kid] = first;
      for (var k = 1; k < keys.length; k++) {
        try {
          out[keys[k].kid] = await aesDecrypt(kek, keys[k].nonce, keys[k].wrapped, slotAad(header.room, keys[k].kid));
        } catch (e2) {
          throw new DataroomError('tampered', 'data/header.js');
        }
      }
      return out;
    }
    return null;
  }

  function gunzip(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).arrayBuffer().then(function (buf) { return new Uint8Array(buf); });
  }

  /* --- payload scripts ------------------------------------------------ */
  var pendingScripts = {};

  /* Called by every data/<file>.js file: once per payload. A file holds one
     payload, or a pack of several (small pages are packed so a room of 10,000
     clients is a few hundred files, quick to copy to a USB stick). */
  window.dataroomPayload = function (obj) {
    var script = doc.currentScript;
    var file = script && script.getAttribute('data-payload-id');
    if (!file && obj && typeof obj.id === 'string') file = obj.id;
    var entry = file && hasOwn.call(pendingScripts, file) ? pendingScripts[file] : null;
    if (!entry) return;
    if (!obj || typeof obj !== 'object' || typeof obj.id !== 'string' || !ID_RE.test(obj.id) ||
        hasOwn.call(entry.payloads, obj.id)) { entry.fail('tampered'); return; }
    entry.called = true;
    entry.payloads[obj.id] = obj;
  };

  var loadingScripts = {};

  /* Loads data/<id>.js once at a time per id (concurrent callers share it). */
  function loadPayloadScript(id, timeoutMs) {
    if (hasOwn.call(loadingScripts, id)) return loadingScripts[id];
    var p = injectPayloadScript(id, timeoutMs);
    loadingScripts[id] = p;
    var done = function () { if (loadingScripts[id] === p) delete loadingScripts[id]; };
    p.then(done, done);
    return p;
  }

  /* Resolves to the payloads of data/<file>.js, keyed by payload id. */
  function injectPayloadScript(id, timeoutMs) {
    return new Promise(function (resolve, reject) {
      if (!ID_RE.test(id)) { reject(new DataroomError('missing', id)); return; }
      var script = doc.createElement('script');
      var finished = false;
      var timer = null;
      var finish = function (err, value) {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        if (pendingScripts[id] === entry) delete pendingScripts[id];
        if (script.parentNode) script.parentNode.removeChild(script);
        if (err) reject(err); else resolve(value);
      };
      var entry = {
        called: false,
        payloads: Object.create(null),
        fail: function (kind) { finish(new DataroomError(kind, id)); }
      };
      pendingScripts[id] = entry;
      script.async = true;
      script.setAttribute('data-payload-id', id);
      script.onerror = function () { finish(new DataroomError('missing', id)); };
      // Loaded and ran but did not call dataroomPayload: not a payload file.
      script.onload = function () {
        if (!entry.called) finish(new DataroomError('tampered', id));
        else finish(null, entry.payloads);
      };
      timer = setTimeout(function () { finish(new DataroomError('missing', id)); }, timeoutMs || 5000);
      script.src = 'data/' + id + '.js';
      (doc.head || doc.documentElement).appendChild(script);
    });
  }

  /* The file that holds payload `id`: its pack (`f` in the index) or its own. */
  function fileOf(id) {
    var packs = S.packOf;
    return packs && hasOwn.call(packs, id) ? packs[id] : id;
  }

  function indexPacks(index) {
    var packs = Object.create(null);
    [index.routes, index.files].forEach(function (entries) {
      if (!entries) return;
      Object.keys(entries).forEach(function (k) {
        var e = entries[k];
        if (e && typeof e.p === 'string' && typeof e.f === 'string' && ID_RE.test(e.f)) packs[e.p] = e.f;
      });
    });
    return packs;
  }

  /* What each payload was sealed as (bound into its associated data): pages
     are HTML named by their route, files carry their type and name. */
  function indexMeta(index) {
    var meta = Object.create(null);
    Object.keys(index.routes || {}).forEach(function (route) {
      var e = index.routes[route];
      if (e && typeof e.p === 'string') meta[e.p] = { type: PAGE_TYPE, name: route };
    });
    Object.keys(index.files || {}).forEach(function (path) {
      var e = index.files[path];
      if (e && typeof e.p === 'string') meta[e.p] = { type: e.mime, name: e.name };
    });
    return meta;
  }

  /* ------------------------------------------------------------------ */
  /* Shell state                                                          */
  /* ------------------------------------------------------------------ */
  var S = {
    header: null,
    publicTitle: '',
    keys: null,        // kid -> CryptoKey (only here, never stored)
    state: null,       // progress (checklist ticks, quiz results), decrypted
    stateStore: null,  // {name, key} of the encrypted progress in localStorage
    index: null,
    generation: 0,     // bumped on logout: late results are dropped
    pages: new Map(),  // payload id -> decrypted HTML
    packs: new Map(),  // file id -> its (still encrypted) payloads
    packOf: null,      // payload id -> file id, from the index
    metaOf: null,      // payload id -> {type, name} it was sealed as
    inflight: new Map(),
    blobUrls: [],
    navToken: 0,
    rendered: false,
    els: {}
  };

  async function payloadBytes(id, timeoutMs) {
    var gen = S.generation;
    var file = fileOf(id);
    var payloads = S.packs.get(file);
    if (!payloads) {
      payloads = await loadPayloadScript(file, timeoutMs);
      if (gen !== S.generation) throw new DataroomError('aborted', id);
      if (file !== id) S.packs.set(file, payloads);
    }
    var obj = hasOwn.call(payloads, id) ? payloads[id] : null;
    // The file must hold the payload the index says it holds: anything else is tampering.
    if (!obj || obj.id !== id) throw new DataroomError('tampered', id);
    if (obj.z !== 0 && obj.z !== 1) throw new DataroomError('tampered', id);
    var key = S.keys && hasOwn.call(S.keys, obj.kid) ? S.keys[obj.kid] : null;
    if (!key) throw new DataroomError('noaccess', id);
    var meta = id === S.header.index ? INDEX_META : (S.metaOf && hasOwn.call(S.metaOf, id) ? S.metaOf[id] : null);
    if (!meta) throw new DataroomError('tampered', id);
    var plain;
    try {
      var aad = fieldsAad([FORMAT, 'payload', S.header.room, id, obj.kid, String(obj.z), meta.type, meta.name]);
      plain = unframe(await aesDecrypt(key, obj.nonce, obj.ct, aad), id);
    } catch (e) {
      throw new DataroomError('tampered', id);
    }
    if (obj.z === 1) {
      try { plain = await gunzip(plain); } catch (e2) { throw new DataroomError('tampered', id); }
    }
    if (gen !== S.generation) throw new DataroomError('aborted', id);
    return plain;
  }

  function decodeText(bytes, id) {
    try { return new TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch (e) { throw new DataroomError('tampered', id); }
  }

  function loadPageHtml(id) {
    if (S.pages.has(id)) return Promise.resolve(S.pages.get(id));
    if (S.inflight.has(id)) return S.inflight.get(id);
    var gen = S.generation;
    var p = payloadBytes(id).then(function (bytes) {
      var html = decodeText(bytes, id);
      if (gen === S.generation) S.pages.set(id, html);
      return html;
    });
    S.inflight.set(id, p);
    var clear = function () { if (S.inflight.get(id) === p) S.inflight.delete(id); };
    p.then(clear, clear);
    return p;
  }

  async function loadIndex() {
    var id = S.header.index;
    var bytes = await payloadBytes(id);
    var index;
    try { index = JSON.parse(decodeText(bytes, id)); } catch (e) {
      if (e instanceof DataroomError) throw e;
      throw new DataroomError('tampered', id);
    }
    if (!index || typeof index !== 'object' || !index.routes || typeof index.routes !== 'object') {
      throw new DataroomError('tampered', id);
    }
    if (!index.files || typeof index.files !== 'object') index.files = {};
    return index;
  }

  /* --- keys live in this page's memory only ----------------------------
     In Chromium every file:// page shares one origin: whatever the room put
     in storage (even a non-extractable CryptoKey in IndexedDB) any local HTML
     file could read or use. So the content keys are never stored: a reload or
     a new tab asks for the password again. */

  /* Older versions kept the content keys (dataroom:<room>) and plaintext
     progress (dataroom:<site>:check|quiz:…, naming clients) in storage. */
  function forgetLegacyStorage(header) {
    ['sessionStorage', 'localStorage'].forEach(function (kind) {
      var names = [];
      try {
        for (var i = 0; i < window[kind].length; i++) names.push(window[kind].key(i));
      } catch (e) { return; }
      names.forEach(function (name) {
        if (name === 'dataroom:' + header.room ||
            (header.site && name.indexOf('dataroom:' + header.site + ':') === 0) ||
            name.indexOf('dataroom:' + header.room + ':') === 0) storageDel(kind, name);
      });
    });
  }

  function hex(buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  /* The progress store's key and name, derived (HKDF-SHA-256) from the
     index's state secret: the same for every build of this room by this
     seller, so ticks survive a rebuild. Without one (older builds), from the
     content key: then progress lasts one build. */
  async function openStateStore(raw, index) {
    var secret = null;
    if (typeof index.state === 'string') {
      try { secret = b64decode(index.state); } catch (e) { secret = null; }
    }
    if (!secret || secret.length !== 32) secret = raw[Object.keys(raw).sort()[0]];
    var base = await crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveKey', 'deriveBits']);
    var info = function (what) {
      return { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: enc.encode('dataroom-state/1 ' + what) };
    };
    var name = await crypto.subtle.deriveBits(info('name'), base, 128);
    var key = await crypto.subtle.deriveKey(info('key'), base, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    return { name: 'dataroom-' + hex(name), key: key };
  }

  /* The stored progress, decrypted; {} when there is none or it cannot be read. */
  async function loadState(store) {
    var stored = storageGet('localStorage', store.name);
    if (!stored) return {};
    try {
      var bytes = b64decode(stored);
      var plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: bytes.subarray(0, 12), additionalData: enc.encode(store.name), tagLength: 128 },
        store.key, bytes.subarray(12));
      var obj = JSON.parse(new TextDecoder('utf-8').decode(plain));
      return obj && typeof obj === 'object' ? obj : {};
    } catch (e) {
      return {};
    }
  }

  /* Encrypts and stores the progress; writes run one after the other. */
  var stateWrites = Promise.resolve();
  function saveState() {
    var store = S.stateStore;
    if (!store) return;
    var plain = enc.encode(JSON.stringify(S.state));
    stateWrites = stateWrites.then(async function () {
      var iv = crypto.getRandomValues(new Uint8Array(12));
      var ct = new Uint8Array(await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv: iv, additionalData: enc.encode(store.name), tagLength: 128 }, store.key, plain));
      var out = new Uint8Array(iv.length + ct.length);
      out.set(iv);
      out.set(ct, iv.length);
      storageSet('localStorage', store.name, b64encode(out));
    }).catch(function () { /* storage full or blocked: progress stays in this page */ });
  }

  async function importKeys(raw) {
    var keys = {};
    for (var kid in raw) if (hasOwn.call(raw, kid)) keys[kid] = await importContentKey(raw[kid]);
    return keys;
  }

  /* --- lock screen ---------------------------------------------------- */
  function lockError(msg) {
    S.els.lockError.textContent = msg || '';
  }

  function setBusy(busy) {
    var E = S.els;
    E.unlockButton.disabled = busy;
    E.password.disabled = busy;
    E.form.setAttribute('aria-busy', busy ? 'true' : 'false');
    E.unlockButton.textContent = busy ? t('unlocking') : E.unlockLabel;
    E.lock.classList.toggle('busy', busy);
  }

  function showLock() {
    var E = S.els;
    E.app.hidden = true;
    E.lock.hidden = false;
    doc.body.classList.remove('unlocked');
    doc.title = S.publicTitle;
    setBusy(false);
    try { E.password.focus(); } catch (e) { /* ignore */ }
  }

  function describeError(err) {
    var id = err && err.id ? err.id : '';
    if (err && err.kind === 'missing') return t('missing_file') + (id ? ' (' + t('file_id') + ': ' + id + ')' : '');
    if (err && err.kind === 'noaccess') return t('no_access') + (id ? ' (' + t('file_id') + ': ' + id + ')' : '');
    return t('tampered') + (id ? ' (' + t('file_id') + ': ' + id + ')' : '');
  }

  async function onUnlockSubmit(ev) {
    ev.preventDefault();
    var E = S.els;
    if (E.unlockButton.disabled) return;
    var password = E.password.value;
    if (!password) { lockError(t('password_required')); E.password.focus(); return; }
    lockError('');
    setBusy(true);
    var raw;
    try {
      raw = await unwrapKeys(S.header, password);
    } catch (err) {
      setBusy(false);
      lockError(err instanceof DataroomError ? describeError(err) : t('unsupported_format'));
      return;
    }
    if (!raw) {
      setBusy(false);
      lockError(t('wrong_password'));
      E.password.focus();
      E.password.select();
      return;
    }
    password = null;
    E.password.value = '';
    await openRoom(raw);
    // The raw key bytes are not needed any more (imported, non-extractable).
    for (var kid in raw) if (hasOwn.call(raw, kid)) raw[kid].fill(0);
  }

  async function openRoom(raw) {
    var gen = S.generation;
    var index;
    var store;
    var state;
    try {
      S.keys = await importKeys(raw);
      index = await loadIndex();
      store = await openStateStore(raw, index);
      state = await loadState(store);
    } catch (err) {
      if (gen !== S.generation) return;
      S.keys = null;
      showLock();
      lockError(err instanceof DataroomError ? describeError(err) : t('tampered'));
      return;
    }
    if (gen !== S.generation) return;
    S.stateStore = store;
    S.state = state;
    S.index = index;
    S.packOf = indexPacks(index);
    S.metaOf = indexMeta(index);
    var E = S.els;
    E.roomTitle.textContent = index.title || '';
    E.nav.innerHTML = typeof index.nav === 'string' ? index.nav : '';
    if (index.lang) E.content.setAttribute('lang', index.lang);
    E.navFilter && (E.navFilter.value = '');
    E.lock.hidden = true;
    E.app.hidden = false;
    doc.body.classList.add('unlocked');
    setBusy(false);
    lockError('');
    S.rendered = false;
    render();
  }

  function logout() {
    var E = S.els;
    S.generation++;
    S.navToken++;
    S.keys = null;
    S.state = null;
    S.stateStore = null;
    S.index = null;
    S.packOf = null;
    S.metaOf = null;
    S.packs.clear();
    S.pages.clear();
    S.inflight.clear();
    revokeBlobs();
    E.content.innerHTML = '';
    E.content.removeAttribute('lang');
    E.nav.innerHTML = '';
    E.roomTitle.textContent = '';
    if (E.navFilter) E.navFilter.value = '';
    E.app.classList.remove('nav-open');
    var pr = doc.getElementById('print-record');
    if (pr) pr.parentNode.removeChild(pr);
    // Do not leave the route (it names room content) in the address bar.
    try { history.replaceState(null, '', location.pathname + location.search); } catch (e) { /* ignore */ }
    traineeName = '';
    lockError('');
    showLock();
  }

  /* --- router --------------------------------------------------------- */
  function lookup(map, key) {
    if (!map || key == null) return null;
    if (hasOwn.call(map, key)) return map[key];
    var dec = safeDecode(key);
    if (hasOwn.call(map, dec)) return map[dec];
    return null;
  }

  /* null for a hash that is not a route (#section anchors). `#/route#part`
     is a route plus an element id to scroll to (a "#" inside a route name is
     sent as %23). */
  function parseHash() {
    var h = location.hash || '';
    var home = { kind: 'page', key: S.index.home || 'index', anchor: '' };
    if (h === '' || h === '#' || h === '#/') return home;
    if (h.slice(0, 2) !== '#/') return null;
    var rest = h.slice(2);
    var anchor = '';
    var cut = rest.indexOf('#');
    if (cut >= 0) {
      anchor = rest.slice(cut + 1);
      rest = rest.slice(0, cut);
    }
    rest = rest.replace(/\/+$/, '');
    if (rest === '') { home.anchor = anchor; return home; }
    if (rest.slice(0, 5) === 'file/') return { kind: 'file', key: rest.slice(5), anchor: '' };
    return { kind: 'page', key: rest, anchor: anchor };
  }

  function revokeBlobs() {
    S.blobUrls.forEach(function (u) { try { URL.revokeObjectURL(u); } catch (e) { /* ignore */ } });
    S.blobUrls = [];
  }

  function setContent(node) {
    var c = S.els.content;
    c.innerHTML = '';
    if (typeof node === 'string') c.innerHTML = node;
    else if (node) c.appendChild(node);
  }

  function afterRender() {
    window.scrollTo(0, 0);
    if (S.rendered) {
      try { S.els.content.focus({ preventScroll: true }); } catch (e) { /* ignore */ }
    }
    S.rendered = true;
  }

  /* Marks the nav link of this route; for a route not in the nav
     (clients/HX-1) the closest parent route that is (clients). */
  function markNav(href) {
    var current = null;
    var parent = null;
    var parentLen = 0;
    var target = safeDecode(href);
    forEach(S.els.nav.querySelectorAll('a[href]'), function (a) {
      var h = safeDecode(a.getAttribute('href'));
      a.removeAttribute('aria-current');
      if (h === target) { if (!current) current = a; }
      else if (h.length > parentLen && h.length > 2 && target.indexOf(h + '/') === 0) { parent = a; parentLen = h.length; }
    });
    if (current) current.setAttribute('aria-current', 'page');
    else if (parent) { parent.setAttribute('aria-current', 'true'); current = parent; }
    if (current) {
      var d = current.parentNode;
      while (d && d !== S.els.nav) {
        if (d.tagName === 'DETAILS') d.open = true;
        d = d.parentNode;
      }
      try { current.scrollIntoView({ block: 'nearest' }); } catch (e) { /* ignore */ }
    }
  }

  function errorPage(err) {
    var kind = err && err.kind;
    var title = kind === 'missing' ? t('missing_file') : kind === 'noaccess' ? t('no_access') : t('tampered');
    var body = kind === 'missing' ? t('missing_file_body') : kind === 'noaccess' ? t('no_access_body') : t('tampered_body');
    return el('article', { className: 'page error-page', role: 'alert', 'data-error': kind || 'tampered' }, [
      el('h1', { text: title }),
      el('p', { text: body }),
      err && err.id ? el('p', { className: 'error-id' }, [t('file_id') + ': ', el('code', { text: err.id })]) : null
    ]);
  }

  function notFoundPage(key) {
    return el('article', { className: 'page not-found' }, [
      el('h1', { text: t('not_found') }),
      el('p', null, [t('not_found_body') + ' ', el('code', { text: safeDecode(key) })]),
      el('p', null, [el('a', { href: '#/', text: t('back_home') })])
    ]);
  }

  function loadingPage() {
    return el('p', { className: 'loading', role: 'status', text: t('loading') });
  }

  async function render() {
    if (!S.index) return;
    var route = parseHash();
    if (!route) {
      if (S.rendered) return; // an in-page anchor
      route = { kind: 'page', key: S.index.home || 'index' };
    }
    var token = ++S.navToken;
    revokeBlobs();
    S.els.app.classList.remove('nav-open');
    S.els.navToggle && S.els.navToggle.setAttribute('aria-expanded', 'false');
    if (route.kind === 'file') return renderFile(route.key, token);
    var entry = lookup(S.index.routes, route.key);
    markNav('#/' + route.key);
    if (!entry) {
      setContent(notFoundPage(route.key));
      afterRender();
      return;
    }
    if (!S.pages.has(entry.p)) setContent(loadingPage());
    var html;
    try {
      html = await loadPageHtml(entry.p);
    } catch (err) {
      if (token !== S.navToken || (err && err.kind === 'aborted')) return;
      setContent(errorPage(err));
      afterRender();
      return;
    }
    if (token !== S.navToken) return;
    setContent(html);
    enhance(S.els.content);
    loadInlineFiles(S.els.content, token);
    afterRender();
    if (route.anchor) scrollToId(safeDecode(route.anchor));
  }

  function scrollToId(id) {
    var target = id ? doc.getElementById(id) : null;
    if (!target && id) target = doc.getElementsByName(id)[0] || null;
    if (!target) return false;
    target.scrollIntoView();
    if (!target.hasAttribute('tabindex') && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) {
      target.setAttribute('tabindex', '-1');
    }
    try { target.focus({ preventScroll: true }); } catch (e) { /* ignore */ }
    return true;
  }

  /* <img data-file="attachments/…"> inside a page: decrypt that attachment
     and show it through a blob: URL (pages cannot point at plain files). */
  function loadInlineFiles(root, token) {
    forEach(root.querySelectorAll('img[data-file]'), function (img) {
      var f = lookup(S.index.files, img.getAttribute('data-file'));
      if (!f) { img.classList.add('file-missing'); return; }
      payloadBytes(f.p, 5000 + Math.ceil((f.size || 0) / 1048576) * 1000).then(function (bytes) {
        if (token !== S.navToken) return;
        var url = URL.createObjectURL(new Blob([bytes], { type: f.mime || 'application/octet-stream' }));
        S.blobUrls.push(url);
        img.src = url;
      }, function (err) {
        if (token !== S.navToken || (err && err.kind === 'aborted')) return;
        img.classList.add(err && err.kind === 'missing' ? 'file-missing' : 'file-tampered');
        img.setAttribute('title', describeError(err));
      });
    });
  }

  function previewKind(mime) {
    mime = String(mime || '').toLowerCase().split(';')[0].trim();
    if (/^image\/(png|jpe?g|gif|webp|bmp|svg\+xml|avif|x-icon|vnd\.microsoft\.icon)$/.test(mime)) return 'image';
    if (mime === 'application/pdf') return navigator.pdfViewerEnabled === false ? null : 'pdf';
    if (/^video\//.test(mime)) return 'video';
    if (/^audio\//.test(mime)) return 'audio';
    if (/^text\/(plain|csv|markdown|tab-separated-values)$/.test(mime) || mime === 'application/json') return 'text';
    return null;
  }

  async function renderFile(key, token) {
    var f = lookup(S.index.files, key);
    markNav('#/file/' + key);
    if (!f) {
      setContent(notFoundPage('file/' + key));
      afterRender();
      return;
    }
    var name = f.name || key.split('/').pop();
    setContent(loadingPage());
    var bytes;
    try {
      // Big attachments take longer to parse than the 5 s for pages.
      bytes = await payloadBytes(f.p, 5000 + Math.ceil((f.size || 0) / 1048576) * 1000);
    } catch (err) {
      if (token !== S.navToken || (err && err.kind === 'aborted')) return;
      setContent(errorPage(err));
      afterRender();
      return;
    }
    if (token !== S.navToken) return;
    var mime = f.mime || 'application/octet-stream';
    var url = URL.createObjectURL(new Blob([bytes], { type: mime }));
    S.blobUrls.push(url);
    var kind = previewKind(mime);
    var preview = null;
    if (kind === 'image') preview = el('img', { src: url, alt: name, className: 'file-preview-image' });
    else if (kind === 'pdf') preview = el('iframe', { src: url, title: name, className: 'file-preview-frame' });
    else if (kind === 'video') preview = el('video', { src: url, controls: true, className: 'file-preview-media' });
    else if (kind === 'audio') preview = el('audio', { src: url, controls: true, className: 'file-preview-media' });
    else if (kind === 'text') {
      preview = el('pre', { className: 'file-preview-text' });
      preview.textContent = new TextDecoder('utf-8').decode(bytes.subarray(0, 1048576));
    }
    var openBtn = el('button', { type: 'button', className: 'button file-open', text: t('open') });
    openBtn.addEventListener('click', function () { window.open(url, '_blank'); });
    var page = el('article', { className: 'page file-page', 'data-file': key }, [
      el('p', { className: 'eyebrow', text: t('attachment') }),
      el('h1', { text: name }),
      el('dl', { className: 'fields' }, [
        el('dt', { text: t('file_size') }),
        el('dd', { className: 'file-size', text: fmtSize(bytes.length) + ' (' + fmtInt(bytes.length) + ' ' + t('bytes') + ')' }),
        el('dt', { text: t('file_type') }),
        el('dd', { className: 'file-type', text: mime })
      ]),
      el('p', { className: 'file-actions' }, [
        el('a', { className: 'button primary file-download', href: url, download: name, text: t('download') }),
        ' ',
        openBtn
      ]),
      el('div', { className: 'file-preview' }, [preview || el('p', { className: 'no-preview', text: t('no_preview') })])
    ]);
    setContent(page);
    afterRender();
  }

  /* Links to #section inside a page must not disturb the router. */
  function onDocumentClick(ev) {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    var a = ev.target.closest ? ev.target.closest('a[href^="#"]') : null;
    if (!a) return;
    var href = a.getAttribute('href');
    if (href.slice(0, 2) === '#/') {
      // Pages replace each other in the same history entry: no entry names a
      // record, so Back after logging out brings nothing back.
      ev.preventDefault();
      if (href !== location.hash) {
        try { history.replaceState(null, '', href); } catch (e) { location.replace(href); return; }
      }
      render();
      return;
    }
    ev.preventDefault();
    if (!scrollToId(safeDecode(href.slice(1))) && href === '#') window.scrollTo(0, 0);
  }

  function filterNav() {
    var q = S.els.navFilter.value.trim().toLowerCase();
    var nav = S.els.nav;
    var items = nav.querySelectorAll('li');
    if (!q) {
      forEach(items, function (li) { li.hidden = false; });
      return;
    }
    // Deepest first, so parents can see whether a child matched.
    var list = Array.prototype.slice.call(items).reverse();
    list.forEach(function (li) {
      var own = '';
      forEach(li.childNodes, function (n) {
        if (n.nodeType === 3) own += n.textContent;
        else if (n.nodeType === 1 && n.tagName !== 'UL' && n.tagName !== 'OL' && n.tagName !== 'DETAILS') own += n.textContent;
        else if (n.tagName === 'DETAILS') {
          var sum = n.querySelector('summary');
          if (sum) own += sum.textContent;
        }
      });
      var match = own.toLowerCase().indexOf(q) >= 0;
      var childMatch = Array.prototype.some.call(li.querySelectorAll('li'), function (c) { return !c.hidden; });
      li.hidden = !(match || childMatch);
      if (childMatch) forEach(li.querySelectorAll('details'), function (d) { d.open = true; });
    });
  }

  function initShell() {
    var E = S.els;
    ['lock', 'app', 'nav', 'content', 'password', 'logout'].forEach(function (id) { E[id] = doc.getElementById(id); });
    E.form = doc.getElementById('unlock-form');
    E.lockError = doc.getElementById('lock-error');
    E.roomTitle = doc.getElementById('room-title');
    E.navToggle = doc.getElementById('nav-toggle');
    E.navFilter = doc.getElementById('nav-filter');
    E.unlockButton = E.form ? E.form.querySelector('button[type=submit], button:not([type])') : null;
    if (!E.lock || !E.app || !E.form || !E.password || !E.unlockButton || !E.content || !E.nav) return;
    E.unlockLabel = E.unlockButton.textContent;
    S.publicTitle = doc.title;

    var header = window.DATAROOM_HEADER;
    var supported = !!(window.crypto && crypto.subtle && enc && typeof DecompressionStream === 'function' &&
      typeof Blob === 'function' && Blob.prototype.stream && typeof Response === 'function');
    var fatal = null;
    if (!supported) fatal = t('unsupported_browser');
    else if (!header || typeof header !== 'object') fatal = t('header_missing');
    else if (header.format !== FORMAT || typeof header.room !== 'string' || !header.kdf ||
      header.kdf.name !== 'PBKDF2' || header.kdf.hash !== 'SHA-256' || typeof header.kdf.iterations !== 'number' ||
      !ID_RE.test(String(header.index))) fatal = t('unsupported_format');
    else if (!(header.kdf.iterations >= MIN_ITERATIONS)) fatal = t('tampered') + ' (data/header.js)';
    if (fatal) {
      E.lock.hidden = false;
      E.app.hidden = true;
      lockError(fatal);
      E.unlockButton.disabled = true;
      E.password.disabled = true;
      return;
    }
    S.header = header;

    E.form.addEventListener('submit', onUnlockSubmit);
    if (E.logout) E.logout.addEventListener('click', logout);
    if (E.navToggle) {
      E.navToggle.addEventListener('click', function () {
        var open = !E.app.classList.contains('nav-open');
        E.app.classList.toggle('nav-open', open);
        E.navToggle.setAttribute('aria-expanded', open ? 'true' : 'false');
      });
    }
    if (E.navFilter) E.navFilter.addEventListener('input', filterNav);
    // Phones: a tap outside the open menu, or Escape, closes it.
    var closeNav = function () {
      if (!E.app.classList.contains('nav-open')) return;
      E.app.classList.remove('nav-open');
      if (E.navToggle) E.navToggle.setAttribute('aria-expanded', 'false');
    };
    E.content.addEventListener('click', closeNav);
    doc.addEventListener('keydown', function (ev) { if (ev.key === 'Escape') closeNav(); });
    doc.addEventListener('click', onDocumentClick);
    window.addEventListener('hashchange', function () { render(); });
    // Another tab of this room saved progress: take it over.
    window.addEventListener('storage', function (ev) {
      var store = S.stateStore;
      if (!store || ev.key !== store.name) return;
      loadState(store).then(function (state) { if (S.stateStore === store) S.state = state; });
    });
    forgetLegacyStorage(header);
    showLock();
  }

  function boot() {
    if (isShell()) initShell();
    else enhance(doc);
  }

  // Exposed for tests and for the Rust side's reference; harmless.
  window.dataroomStrings = STRINGS;

  if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
