/*!
 * dataroom-core.js: the shared base of the offline data-room app.
 *
 * The app is a few classic scripts (no modules: they fail on file://, no
 * build step, no dependencies), loaded in this order by the shell and by the
 * public pages, all sharing one namespace, window.Dataroom:
 *   dataroom-core.js    UI strings t(), DOM and format helpers, errors, the shell's state S
 *   dataroom-crypto.js  key unwrapping, payload loading and decryption (shell only)
 *   dataroom-store.js   progress (checklist ticks, quiz results) and the tab's NDA acceptance, encrypted
 *   dataroom-views.js   page enhancers (tables, checklists, quizzes, print) and error pages
 *   dataroom-router.js  hash routes, attachments, navigation (shell only)
 *   dataroom-gate.js    NDA acceptance, its printable record, the watermark (shell only)
 *   dataroom-search.js  the encrypted full-text search in the header (shell only)
 *   dataroom-app.js     lock screen, unlock, logout, boot
 * Each file takes what it needs from window.Dataroom when it loads and adds
 * what it provides (listed at its end), so a room's theme/static/<same name>
 * replaces one part without forking the others (the crypto above all).
 * Everything happens on this computer. There is no fetch/XHR, no eval, no
 * inline script, so the shell's Content-Security-Policy can forbid all of it.
 */
(function () {
  'use strict';
  var D = window.Dataroom = window.Dataroom || {};

  var doc = document;
  var hasOwn = Object.prototype.hasOwnProperty;
  var forEach = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  function uiLang() {
    var l = (doc.documentElement.getAttribute('lang') || '').toLowerCase();
    return l.indexOf('en') === 0 ? 'en' : 'zh-CN';
  }

  /* UI strings come only from the room's message catalogue
     (themes/default/i18n/<lang>.yaml merged with the room's theme/i18n), which
     the build puts into <script type="application/json" id="dataroom-i18n">. */
  var stringsCache = null;
  function strings() {
    if (stringsCache) return stringsCache;
    var given = {};
    var block = doc.getElementById('dataroom-i18n');
    if (block) {
      try { given = JSON.parse(block.textContent || '{}') || {}; } catch (e) { given = {}; }
    }
    stringsCache = given;
    return given;
  }

  /* A catalogue string with {placeholders} filled; the key itself when the
     catalogue lacks it (tests/browser/theme.test.mjs keeps that from happening). */
  function t(key, vars) {
    var s = strings()[key];
    if (typeof s !== 'string' || s === '') s = key;
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

  /* ------------------------------------------------------------------ */
  /* Shell state                                                          */
  /* ------------------------------------------------------------------ */
  var S = {
    header: null,
    publicTitle: '',
    indexId: '',       // the index this slot opens: slot.index || header.index
    gateId: '',        // its gate: slot.gate || header.gate ('' when none)
    gate: null,        // the gate, decrypted: {audience, nda, watermark}
    pendingRaw: null,  // raw keys kept while the NDA awaits acceptance (wiped after)
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
    traineeName: '',   // the quiz records' name, for this page's life
    els: {}
  };

  function hex(buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  function describeError(err) {
    var id = err && err.id ? err.id : '';
    if (err && err.kind === 'missing') return t('missing_file') + (id ? ' (' + t('file_id') + ': ' + id + ')' : '');
    if (err && err.kind === 'noaccess') return t('no_access') + (id ? ' (' + t('file_id') + ': ' + id + ')' : '');
    return t('tampered') + (id ? ' (' + t('file_id') + ': ' + id + ')' : '');
  }

  D.uiLang = uiLang;
  D.t = t;
  D.el = el;
  D.storageGet = storageGet;
  D.storageSet = storageSet;
  D.storageDel = storageDel;
  D.readJson = readJson;
  D.fmtDate = fmtDate;
  D.fmtInt = fmtInt;
  D.fmtSize = fmtSize;
  D.safeDecode = safeDecode;
  D.siteId = siteId;
  D.isShell = isShell;
  D.DataroomError = DataroomError;
  D.b64decode = b64decode;
  D.b64encode = b64encode;
  D.hex = hex;
  D.describeError = describeError;
  D.doc = doc;
  D.hasOwn = hasOwn;
  D.forEach = forEach;
  D.enc = enc;
  D.ID_RE = ID_RE;
  D.S = S;
})();
