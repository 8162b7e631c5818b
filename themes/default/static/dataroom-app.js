/*!
 * dataroom-app.js: the sealed shell's life (lock screen, unlock, the gate,
 * the room, logout) and the boot of every page: the shell starts here, a
 * public page only gets its enhancers. Loaded last.
 * Provides: boot.
 */
(function () {
  'use strict';
  var D = window.Dataroom;
  var DataroomError = D.DataroomError;
  var FORMAT = D.FORMAT;
  var ID_RE = D.ID_RE;
  var MIN_ITERATIONS = D.MIN_ITERATIONS;
  var S = D.S;
  var describeError = D.describeError;
  var doc = D.doc;
  var enc = D.enc;
  var enhance = D.enhance;
  var filterNav = D.filterNav;
  var forgetLegacyStorage = D.forgetLegacyStorage;
  var hasOwn = D.hasOwn;
  var importKeys = D.importKeys;
  var indexMeta = D.indexMeta;
  var indexPacks = D.indexPacks;
  var isShell = D.isShell;
  var loadIndex = D.loadIndex;
  var loadState = D.loadState;
  var onDocumentClick = D.onDocumentClick;
  var openStateStore = D.openStateStore;
  var render = D.render;
  var revokeBlobs = D.revokeBlobs;
  var t = D.t;
  var unwrapKeys = D.unwrapKeys;
  var loadGate = D.loadGate;
  var openAcceptanceStore = D.openAcceptanceStore;
  var loadAcceptance = D.loadAcceptance;
  var saveAcceptance = D.saveAcceptance;
  var fmtDate = D.fmtDate;

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

  async function onUnlockSubmit(ev) {
    ev.preventDefault();
    var E = S.els;
    if (E.unlockButton.disabled) return;
    var password = E.password.value;
    if (!password) { lockError(t('password_required')); E.password.focus(); return; }
    lockError('');
    setBusy(true);
    var opened;
    try {
      opened = await unwrapKeys(S.header, password);
    } catch (err) {
      setBusy(false);
      lockError(err instanceof DataroomError ? describeError(err) : t('unsupported_format'));
      return;
    }
    if (!opened) {
      setBusy(false);
      lockError(t('wrong_password'));
      E.password.focus();
      E.password.select();
      return;
    }
    password = null;
    E.password.value = '';
    await openRoom(opened.slot, opened.keys);
  }

  /* The raw key bytes, once nothing needs them any more (imported, non-extractable). */
  function wipe(raw) {
    for (var kid in raw) if (hasOwn.call(raw, kid)) raw[kid].fill(0);
  }

  function failOpen(err) {
    S.keys = null;
    doc.body.classList.remove('gated');
    showLock();
    lockError(err instanceof DataroomError ? describeError(err) : t('tampered'));
  }

  /* A stored acceptance, when it is well formed. */
  function validRecord(r) {
    return r && ['name', 'audience', 'title', 'time', 'manifest'].every(function (k) { return typeof r[k] === 'string'; }) &&
      r.name !== '' ? r : null;
  }

  /* After unlock: the slot's gate first (the NDA, when there is one, before
     anything else is decrypted), then the room. */
  async function openRoom(slot, raw) {
    var gen = S.generation;
    var header = S.header;
    S.indexId = String((slot && slot.index) || header.index || '');
    S.gateId = String((slot && slot.gate) || header.gate || '');
    if (!ID_RE.test(S.indexId) || (S.gateId && !ID_RE.test(S.gateId))) {
      wipe(raw);
      failOpen(new DataroomError('tampered', 'data/header.js'));
      return;
    }
    var gate;
    var store = null;
    var accepted = null;
    try {
      S.keys = await importKeys(raw);
      gate = await loadGate();
      if (gate && gate.nda) {
        store = await openAcceptanceStore(raw, S.gateId);
        accepted = validRecord(await loadAcceptance(store));
      }
    } catch (err) {
      wipe(raw);
      if (gen === S.generation) failOpen(err);
      return;
    }
    if (gen !== S.generation) { wipe(raw); return; }
    S.gate = gate;
    if (!gate || !gate.nda || accepted) {
      await enterRoom(raw, accepted, false);
      return;
    }
    // Until 同意, only the gate is open: no index, no page.
    doc.body.classList.add('gated');
    showApp();
    S.pendingRaw = raw;
    D.showNda(gate, async function (record) {
      if (gen !== S.generation) return;
      await saveAcceptance(store, record);
      await enterRoom(raw, record, true);
    });
  }

  function showApp() {
    var E = S.els;
    E.lock.hidden = true;
    E.app.hidden = false;
    doc.body.classList.add('unlocked');
    setBusy(false);
    lockError('');
  }

  /* Opens the index and the progress store and shows the room; with a fresh
     acceptance, its record first. */
  async function enterRoom(raw, acceptance, justAccepted) {
    var gen = S.generation;
    var index;
    var store;
    var state;
    try {
      index = await loadIndex();
      store = await openStateStore(raw, index);
      state = await loadState(store);
    } catch (err) {
      if (gen === S.generation) failOpen(err);
      return;
    } finally {
      wipe(raw);
      S.pendingRaw = null;
    }
    if (gen !== S.generation) return;
    S.stateStore = store;
    S.state = state;
    S.index = index;
    S.packOf = indexPacks(index);
    S.metaOf = indexMeta(index);
    try {
      if (D.searchEnter) D.searchEnter(index);
    } catch (err) {
      failOpen(err);
      return;
    }
    var E = S.els;
    doc.body.classList.remove('gated');
    showApp();
    E.roomTitle.textContent = index.title || '';
    E.nav.innerHTML = typeof index.nav === 'string' ? index.nav : '';
    if (index.lang) E.content.setAttribute('lang', index.lang);
    E.navFilter && (E.navFilter.value = '');
    var gate = S.gate;
    var audience = (gate && gate.audience) || index.audience || '';
    if (gate && gate.watermark) {
      D.showWatermark([acceptance && acceptance.name, audience, fmtDate(new Date()).slice(0, 10)]);
    }
    S.rendered = false;
    var enter = function () { render(); };
    if (acceptance) D.acceptanceButton(acceptance, enter);
    if (justAccepted) D.showAcceptance(acceptance, enter);
    else render();
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
    if (D.searchLeave) D.searchLeave();
    if (S.pendingRaw) wipe(S.pendingRaw);
    S.pendingRaw = null;
    S.gate = null;
    S.indexId = '';
    S.gateId = '';
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
    S.traineeName = '';
    D.clearGate();
    doc.body.classList.remove('gated');
    lockError('');
    showLock();
  }

  /* Every slot names an index: its own, or the header's shared one. */
  function opensAnIndex(header) {
    if (ID_RE.test(String(header.index))) return true;
    return Array.isArray(header.slots) && header.slots.length > 0 &&
      header.slots.every(function (slot) { return slot && ID_RE.test(String(slot.index)); });
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
      !opensAnIndex(header)) fatal = t('unsupported_format');
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

  D.boot = boot;

  if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', boot);
  else boot();

})();
