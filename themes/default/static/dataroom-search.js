/*!
 * dataroom-search.js: the encrypted full-text search (src/search/). The
 * query's tokens are cut exactly as src/search/tokens.rs cuts the room's
 * (Chinese bigrams, words, phone numbers), hashed with the view's search key
 * (HMAC-SHA256 in WebCrypto), and only the term shards those hashes fall in
 * are loaded and decrypted; then the hits are intersected, grouped by kind,
 * exact matches first, and only the documents shown are loaded. Shards stay
 * in this tab's memory; nothing of the query or the results is stored, put in
 * the address or the title.
 * The box is a [role=search] in the page header, shown after unlock; "/"
 * focuses it; arrows move through the results, Enter opens one, Esc closes.
 * Provides: searchEnter searchLeave queryTokens exactKey.
 */
(function () {
  'use strict';
  var D = window.Dataroom;
  var S = D.S;
  var t = D.t;
  var el = D.el;
  var doc = D.doc;
  var enc = D.enc;
  var hasOwn = D.hasOwn;
  var ID_RE = D.ID_RE;
  var DataroomError = D.DataroomError;

  var KINDS = ['client', 'policy', 'checklist', 'lesson'];
  /* Each kind's heading (literal keys, so the catalogue tests see them). */
  function groupTitle(kind) {
    if (kind === 'client') return t('search_group_client');
    if (kind === 'policy') return t('search_group_policy');
    if (kind === 'checklist') return t('search_group_checklist');
    return t('search_group_lesson');
  }
  var PER_GROUP = 20;      // results shown per kind
  var DEBOUNCE_MS = 60;
  var EXACT_PREFIX = '=';

  /* --- tokens: the same rules as src/search/tokens.rs ------------------- */
  function isHan(cp) {
    return (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
      (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FFFF);
  }
  var WORD_CHAR = /^[\p{Alphabetic}\p{N}]$/u;
  function isWordChar(ch) { return !isHan(ch.codePointAt(0)) && WORD_CHAR.test(ch); }

  function textTokens(text) {
    var chars = Array.from(String(text).normalize('NFKC'));
    var out = [];
    var i = 0;
    while (i < chars.length) {
      var start = i;
      if (isHan(chars[i].codePointAt(0))) {
        while (i < chars.length && isHan(chars[i].codePointAt(0))) i++;
        for (var j = start; j + 1 < i; j++) out.push(chars[j] + chars[j + 1]);
      } else if (isWordChar(chars[i])) {
        while (i < chars.length && isWordChar(chars[i])) i++;
        if (i - start >= 2) out.push(chars.slice(start, i).join('').toLowerCase());
      } else {
        i++;
      }
    }
    return out;
  }

  var PHONE_LIKE = /^[0-9 ()+-]*$/;
  function digitsOf(s) { return s.replace(/[^0-9]/g, ''); }

  function exactKey(value) {
    var v = String(value).normalize('NFKC').trim();
    if (digitsOf(v).length >= 4 && PHONE_LIKE.test(v)) return digitsOf(v);
    return v.split(/\s+/).filter(Boolean).join(' ').toLowerCase();
  }

  /* {all: tokens every hit must hold, exact: the exact-value token}. A phone
     number typed with separators is looked up by its digits. */
  function queryTokens(query) {
    var key = exactKey(query);
    var all;
    if (/^[0-9]{7,}$/.test(key) && PHONE_LIKE.test(String(query).normalize('NFKC').trim())) all = [key];
    else all = textTokens(query);
    var seen = Object.create(null);
    all = all.filter(function (tok) { if (seen[tok]) return false; seen[tok] = true; return true; });
    return { all: all, exact: EXACT_PREFIX + key };
  }

  /* --- the view's index ---------------------------------------------- */
  var idx = null;   // {ref, key: CryptoKey, terms: Map, docs: Map, gen}

  function validRef(ref) {
    var ids = function (a) { return Array.isArray(a) && a.every(function (id) { return typeof id === 'string' && ID_RE.test(id); }); };
    var n = ref && Array.isArray(ref.terms) ? ref.terms.length : 0;
    return ref && typeof ref.key === 'string' && ids(ref.terms) && ids(ref.docs) && n > 0 && (n & (n - 1)) === 0 &&
      typeof ref.per === 'number' && ref.per > 0 && typeof ref.count === 'number' && Array.isArray(ref.groups);
  }

  function openIndex(index) {
    var ref = index && index.search;
    if (!ref) return null;
    if (!validRef(ref)) throw new DataroomError('tampered', S.indexId);
    // Each shard is bound (associated data) to its number: a swapped one fails.
    ref.terms.forEach(function (id, n) { S.metaOf[id] = { type: 'application/json', name: 'search/terms/' + n }; });
    ref.docs.forEach(function (id, n) { S.metaOf[id] = { type: 'application/json', name: 'search/docs/' + n }; });
    var keyPromise = crypto.subtle.importKey('raw', D.b64decode(ref.key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return { ref: ref, key: keyPromise, terms: new Map(), docs: new Map(), gen: S.generation };
  }

  function loadShard(cache, id) {
    if (cache.has(id)) return cache.get(id);
    var p = D.payloadBytes(id).then(function (bytes) {
      var value;
      try { value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)); } catch (e) {
        throw new DataroomError('tampered', id);
      }
      if (!value || typeof value !== 'object') throw new DataroomError('tampered', id);
      return value;
    });
    cache.set(id, p);
    p.catch(function () { if (cache.get(id) === p) cache.delete(id); });
    return p;
  }

  /* The documents holding `token`, ascending. */
  async function postings(ix, token) {
    var key = await ix.key;
    var mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(token)));
    var shards = ix.ref.terms.length;
    var shard = ((mac[0] << 8) | mac[1]) & (shards - 1);
    var name = D.hex(mac.subarray(2, 10));
    var terms = await loadShard(ix.terms, ix.ref.terms[shard]);
    var deltas = hasOwn.call(terms, name) ? terms[name] : null;
    if (!Array.isArray(deltas)) return [];
    var out = new Array(deltas.length);
    var at = 0;
    for (var i = 0; i < deltas.length; i++) { at += deltas[i]; out[i] = at; }
    return out;
  }

  function intersect(a, b) {
    var out = [];
    var i = 0;
    var j = 0;
    while (i < a.length && j < b.length) {
      if (a[i] === b[j]) { out.push(a[i]); i++; j++; } else if (a[i] < b[j]) i++; else j++;
    }
    return out;
  }

  /* Hits grouped by kind: [{kind, hits (exact first), total}]. */
  async function find(ix, query) {
    var q = queryTokens(query);
    if (!q.all.length) return null;
    var lists = await Promise.all(q.all.concat([q.exact]).map(function (tok) { return postings(ix, tok); }));
    var exact = new Set(lists.pop());
    lists.sort(function (a, b) { return a.length - b.length; });
    var hits = lists.reduce(function (acc, l) { return intersect(acc, l); });
    var groups = ix.ref.groups;
    var out = [];
    for (var g = 0; g < groups.length; g++) {
      var kind = groups[g][0];
      var from = groups[g][1];
      var to = g + 1 < groups.length ? groups[g + 1][1] : ix.ref.count;
      var mine = hits.filter(function (n) { return n >= from && n < to; });
      if (!mine.length) continue;
      var first = mine.filter(function (n) { return exact.has(n); });
      var rest = mine.filter(function (n) { return !exact.has(n); });
      out.push({ kind: kind, hits: first.concat(rest), total: mine.length });
    }
    out.sort(function (a, b) { return KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind); });
    return out;
  }

  /* [kind, title, route, text] of document n. */
  async function row(ix, n) {
    var shard = Math.floor(n / ix.ref.per);
    if (shard >= ix.ref.docs.length) throw new DataroomError('tampered', S.indexId);
    var rows = await loadShard(ix.docs, ix.ref.docs[shard]);
    var r = Array.isArray(rows) ? rows[n - shard * ix.ref.per] : null;
    if (!Array.isArray(r) || r.length !== 4 || !r.every(function (v) { return typeof v === 'string'; })) {
      throw new DataroomError('tampered', ix.ref.docs[shard]);
    }
    return r;
  }

  /* --- snippets --------------------------------------------------------- */
  function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }

  /* What to highlight: the whole query, its Chinese runs (and their
     bigrams), its words, a phone's digits; longest first. */
  function needles(query) {
    var parts = String(query).normalize('NFKC').split(/[^\p{Alphabetic}\p{N}]+/u).filter(function (p) { return p.length >= 2; });
    var q = queryTokens(query);
    var whole = String(query).normalize('NFKC').trim();
    var list = (whole.length >= 2 ? [whole] : []).concat(parts, q.all);
    var seen = Object.create(null);
    return list.filter(function (s) { s = s.toLowerCase(); if (seen[s]) return false; seen[s] = true; return true; })
      .sort(function (a, b) { return b.length - a.length; });
  }

  var SNIPPET_BEFORE = 30;
  var SNIPPET_LENGTH = 140;

  /* The text around the first match, with every match in a <mark>: built
     from text nodes (the data never goes through innerHTML). */
  function snippet(text, words) {
    var re = words.length ? new RegExp(words.map(escapeRe).join('|'), 'giu') : null;
    var first = re ? text.search(re) : -1;
    var start = Math.max(0, first - SNIPPET_BEFORE);
    var cut = Array.from(text.slice(start)).slice(0, SNIPPET_LENGTH).join('');
    var span = el('span', { className: 'search-snippet' });
    if (start > 0) span.appendChild(doc.createTextNode('…'));
    var at = 0;
    if (re) {
      re.lastIndex = 0;
      var m;
      while ((m = re.exec(cut)) !== null) {
        if (!m[0]) { re.lastIndex++; continue; }
        if (m.index > at) span.appendChild(doc.createTextNode(cut.slice(at, m.index)));
        span.appendChild(el('mark', { text: m[0] }));
        at = m.index + m[0].length;
      }
    }
    if (at < cut.length) span.appendChild(doc.createTextNode(cut.slice(at)));
    if (start + cut.length < text.length) span.appendChild(doc.createTextNode('…'));
    return span;
  }

  /* --- the box and the results ------------------------------------------ */
  var E = {};
  var ticket = 0;
  var timer = null;

  function build() {
    if (E.box) return;
    var topbar = doc.querySelector('#app .topbar') || doc.querySelector('.topbar');
    if (!topbar) return;
    E.input = el('input', {
      id: 'search-input', className: 'search-input', type: 'search', autocomplete: 'off',
      spellcheck: 'false', 'aria-label': t('search_label'), placeholder: t('search_placeholder'),
      'aria-controls': 'search-results', 'aria-keyshortcuts': '/'
    });
    E.status = el('p', { className: 'search-status', role: 'status' });
    E.list = el('div', { className: 'search-groups' });
    E.results = el('section', { id: 'search-results', className: 'search-results', 'aria-label': t('search_results'), hidden: true },
      [E.status, E.list]);
    E.box = el('div', { id: 'search', className: 'search', role: 'search', 'aria-label': t('search_label'), hidden: true },
      [E.input, E.results]);
    var logout = topbar.querySelector('#logout');
    topbar.insertBefore(E.box, logout || null);
    E.input.addEventListener('input', onInput);
    E.input.addEventListener('keydown', onInputKey);
    E.results.addEventListener('keydown', onResultsKey);
    E.results.addEventListener('click', function (ev) {
      var a = ev.target && ev.target.closest ? ev.target.closest('a') : null;
      if (a) close(false);
    });
    doc.addEventListener('keydown', onGlobalKey);
    doc.addEventListener('click', function (ev) {
      if (!E.results.hidden && !E.box.contains(ev.target)) close(false);
    });
  }

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === 'input' || tag === 'textarea' || tag === 'select' || target.isContentEditable;
  }

  function onGlobalKey(ev) {
    if (ev.key !== '/' || ev.ctrlKey || ev.metaKey || ev.altKey || !idx || E.box.hidden) return;
    if (typing(ev.target)) return;
    ev.preventDefault();
    E.input.focus();
    E.input.select();
  }

  function links() { return Array.prototype.slice.call(E.list.querySelectorAll('a')); }

  function onInputKey(ev) {
    if (ev.key === 'ArrowDown') {
      var first = links()[0];
      if (first) { ev.preventDefault(); first.focus(); }
    } else if (ev.key === 'Enter') {
      var top = links()[0];
      ev.preventDefault();
      if (top) { top.click(); }
    } else if (ev.key === 'Escape') {
      if (!E.results.hidden || E.input.value) { ev.preventDefault(); ev.stopPropagation(); }
      E.input.value = '';
      close(true);
    }
  }

  function onResultsKey(ev) {
    var all = links();
    var at = all.indexOf(doc.activeElement);
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      var next = at + (ev.key === 'ArrowDown' ? 1 : -1);
      if (next < 0) E.input.focus();
      else if (next < all.length) all[next].focus();
    } else if (ev.key === 'Escape') {
      ev.preventDefault();
      ev.stopPropagation();
      close(true);
    }
  }

  function close(focusInput) {
    ticket++;
    clearTimeout(timer);
    E.results.hidden = true;
    E.results.setAttribute('aria-busy', 'false');
    E.list.textContent = '';
    E.status.textContent = '';
    if (focusInput) E.input.focus();
  }

  function onInput() {
    clearTimeout(timer);
    // Busy until this query's results are shown (assistive technology, tests).
    E.results.setAttribute('aria-busy', 'true');
    var mine = ++ticket;
    timer = setTimeout(function () { run(mine); }, DEBOUNCE_MS);
  }

  function show(statusText, busy) {
    E.results.hidden = false;
    E.results.setAttribute('aria-busy', busy ? 'true' : 'false');
    E.status.textContent = statusText;
  }

  async function run(mine) {
    var query = E.input.value;
    var ix = idx;
    if (!ix || !query.trim()) { close(false); return; }
    if (!queryTokens(query).all.length) { E.list.textContent = ''; show(t('search_short')); return; }
    show(t('search_searching'), true);
    var groups;
    var rows;
    try {
      groups = await find(ix, query);
      rows = await Promise.all(groups.map(function (g) {
        return Promise.all(g.hits.slice(0, PER_GROUP).map(function (n) { return row(ix, n); }));
      }));
    } catch (err) {
      if (mine !== ticket || idx !== ix || (err && err.kind === 'aborted')) return;
      E.list.textContent = '';
      show(t('search_failed', { reason: D.describeError(err) }));
      return;
    }
    if (mine !== ticket || idx !== ix) return;
    render(query, groups, rows);
  }

  function render(query, groups, rows) {
    var total = groups.reduce(function (n, g) { return n + g.total; }, 0);
    E.list.textContent = '';
    if (!total) { show(t('search_no_hit', { query: query.trim() })); return; }
    var words = needles(query);
    groups.forEach(function (g, i) {
      var heading = el('h2', { className: 'search-group', id: 'search-group-' + g.kind, text: groupTitle(g.kind) });
      var list = el('ul', { 'aria-labelledby': 'search-group-' + g.kind });
      rows[i].forEach(function (r) {
        var a = el('a', { href: '#/' + r[2], className: 'search-hit' }, [
          el('span', { className: 'search-title', text: r[1] }),
          snippet(r[3], words)
        ]);
        list.appendChild(el('li', null, [a]));
      });
      var section = el('div', { className: 'search-group-block' }, [heading, list]);
      if (g.total > rows[i].length) {
        section.appendChild(el('p', { className: 'search-more', text: t('search_more', { count: D.fmtInt(g.total - rows[i].length) }) }));
      }
      E.list.appendChild(section);
    });
    show(t('search_count', { count: D.fmtInt(total) }));
  }

  /* After the index opened: the box appears (the room has a search index). */
  function searchEnter(index) {
    build();
    if (!E.box) return;
    idx = openIndex(index);
    E.input.value = '';
    close(false);
    E.box.hidden = !idx;
  }

  /* Logout: the box goes, and with it every shard, key and result. */
  function searchLeave() {
    idx = null;
    if (!E.box) return;
    E.input.value = '';
    close(false);
    E.box.hidden = true;
  }

  D.searchEnter = searchEnter;
  D.searchLeave = searchLeave;
  D.queryTokens = queryTokens;
  D.exactKey = exactKey;
})();
