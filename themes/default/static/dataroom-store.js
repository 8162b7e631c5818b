/*!
 * dataroom-store.js: what the room remembers in this browser, never in
 * plaintext: progress (checklist ticks, quiz results) in one encrypted
 * localStorage entry, the NDA acceptance in one encrypted sessionStorage entry
 * (this tab only). Entry names and keys are derived (HKDF) from secrets only
 * the password opens, so storage names no room, client or reader.
 * Provides: progressGet progressSet openStateStore loadState openAcceptanceStore
 * loadAcceptance saveAcceptance forgetLegacyStorage.
 */
(function () {
  'use strict';
  var D = window.Dataroom;
  var S = D.S;
  var b64decode = D.b64decode;
  var b64encode = D.b64encode;
  var enc = D.enc;
  var hasOwn = D.hasOwn;
  var hex = D.hex;
  var isShell = D.isShell;
  var readJson = D.readJson;
  var siteId = D.siteId;
  var storageDel = D.storageDel;
  var storageGet = D.storageGet;
  var storageSet = D.storageSet;

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

  /* An encrypted storage entry's {name, key}, both derived (HKDF-SHA-256)
     from `secret` under `label`. */
  async function deriveStore(secret, label) {
    var base = await crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveKey', 'deriveBits']);
    var info = function (what) {
      return { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: enc.encode(label + ' ' + what) };
    };
    var name = await crypto.subtle.deriveBits(info('name'), base, 128);
    var key = await crypto.subtle.deriveKey(info('key'), base, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    return { name: 'dataroom-' + hex(name), key: key };
  }

  /* The progress store, from the index's state secret: the same for every
     build of this room by this seller, so ticks survive a rebuild. Without one
     (older builds), from the content key: then progress lasts one build. */
  async function openStateStore(raw, index) {
    var secret = null;
    if (typeof index.state === 'string') {
      try { secret = b64decode(index.state); } catch (e) { secret = null; }
    }
    if (!secret || secret.length !== 32) secret = raw[Object.keys(raw).sort()[0]];
    return deriveStore(secret, 'dataroom-state/1');
  }

  /* The acceptance store, from every content key the slot opened (the index is
     not open yet when the NDA is shown), bound to the gate it accepts. */
  async function openAcceptanceStore(raw, gateId) {
    var kids = Object.keys(raw).sort();
    var secret = new Uint8Array(32 * kids.length);
    kids.forEach(function (kid, i) { secret.set(raw[kid], 32 * i); });
    var store = await deriveStore(secret, 'dataroom-acceptance/1 ' + gateId);
    secret.fill(0);
    store.kind = 'sessionStorage';
    return store;
  }

  /* An entry's value, decrypted; null when there is none or it cannot be read. */
  async function loadSealed(kind, store) {
    var stored = storageGet(kind, store.name);
    if (!stored) return null;
    try {
      var bytes = b64decode(stored);
      var plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: bytes.subarray(0, 12), additionalData: enc.encode(store.name), tagLength: 128 },
        store.key, bytes.subarray(12));
      var obj = JSON.parse(new TextDecoder('utf-8').decode(plain));
      return obj && typeof obj === 'object' ? obj : null;
    } catch (e) {
      return null;
    }
  }

  async function sealEntry(kind, store, value) {
    var iv = crypto.getRandomValues(new Uint8Array(12));
    var ct = new Uint8Array(await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv: iv, additionalData: enc.encode(store.name), tagLength: 128 }, store.key,
      enc.encode(JSON.stringify(value))));
    var out = new Uint8Array(iv.length + ct.length);
    out.set(iv);
    out.set(ct, iv.length);
    return storageSet(kind, store.name, b64encode(out));
  }

  /* The stored progress, decrypted; {} when there is none or it cannot be read. */
  async function loadState(store) {
    return (await loadSealed('localStorage', store)) || {};
  }

  /* Encrypts and stores the progress; writes run one after the other. */
  var stateWrites = Promise.resolve();
  function saveState() {
    var store = S.stateStore;
    if (!store) return;
    var value = JSON.parse(JSON.stringify(S.state));
    stateWrites = stateWrites.then(function () { return sealEntry('localStorage', store, value); })
      .catch(function () { /* storage full or blocked: progress stays in this page */ });
  }

  function loadAcceptance(store) { return loadSealed(store.kind, store); }
  function saveAcceptance(store, record) {
    return sealEntry(store.kind, store, record).catch(function () { return false; });
  }

  D.progressGet = progressGet;
  D.progressSet = progressSet;
  D.forgetLegacyStorage = forgetLegacyStorage;
  D.openStateStore = openStateStore;
  D.loadState = loadState;
  D.openAcceptanceStore = openAcceptanceStore;
  D.loadAcceptance = loadAcceptance;
  D.saveAcceptance = saveAcceptance;
})();
