/*!
 * dataroom-crypto.js: opening the sealed room (format dataroom-sealed/2,
 * ARCHITECTURE.md "The sealed format"): the password's key slot, payload
 * files loaded as <script src="data/<id>.js">, AES-256-GCM with associated
 * data, padding, gunzip; the gate and the index of the slot that opened.
 * Provides: unwrapKeys importKeys payloadBytes loadPageHtml decodeText loadGate loadIndex
 * indexPacks indexMeta FORMAT MIN_ITERATIONS.
 */
(function () {
  'use strict';
  var D = window.Dataroom;
  var DataroomError = D.DataroomError;
  var ID_RE = D.ID_RE;
  var S = D.S;
  var b64decode = D.b64decode;
  var doc = D.doc;
  var enc = D.enc;
  var hasOwn = D.hasOwn;

  /* The sealed format (src/seal/mod.rs has the same constants; a Rust test
     checks they agree). Headers asking for fewer PBKDF2 iterations are refused:
     an edited header must not make password guessing cheaper. */
  var FORMAT = 'dataroom-sealed/2';
  var MIN_ITERATIONS = 600000;
  var PAGE_TYPE = 'text/html; charset=utf-8';
  var INDEX_META = { type: 'application/json', name: 'index' };
  var GATE_META = { type: 'application/json', name: 'gate' };

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

  /* The first slot the password opens, as {slot, keys: {kid: Uint8Array(32)}},
     or null. The slot names its own index and gate when audiences differ. */
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
      return { slot: slots[s], keys: out };
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
    // The index tables' row shards (dataroom-list.js): JSON named `rows`.
    Object.keys(index.tables || {}).forEach(function (route) {
      var tables = index.tables[route];
      if (!Array.isArray(tables)) return;
      tables.forEach(function (table) {
        (table && Array.isArray(table.shards) ? table.shards : []).forEach(function (id) {
          if (typeof id === 'string') meta[id] = { type: 'application/json', name: 'rows' };
        });
      });
    });
    // The route map's shards (seal/routemap.rs), bound to their numbers.
    (index.map ? index.map.shards : []).forEach(function (id, n) {
      meta[id] = { type: 'application/json', name: 'routes/' + n };
    });
    return meta;
  }

  /* A record page (#/clients/<id>) is not in the index's routes but in one
     shard of its route map: the route's HMAC under the map's key picks the
     shard, so only that shard and then the page's own pack are opened. The
     entry found is remembered (its pack, what it was sealed as). */
  var mapCache = { index: null, key: null, shards: null };
  async function findMapped(route) {
    var index = S.index;
    var map = index && index.map;
    if (!map) return null;
    if (mapCache.index !== index) {
      mapCache = {
        index: index,
        key: crypto.subtle.importKey('raw', D.b64decode(map.key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']),
        shards: new Map()
      };
    }
    var cache = mapCache;
    var mac = new Uint8Array(await crypto.subtle.sign('HMAC', await cache.key, enc.encode(route)));
    var id = map.shards[((mac[0] << 8) | mac[1]) & (map.shards.length - 1)];
    if (!cache.shards.has(id)) {
      var p = loadJson(id);
      cache.shards.set(id, p);
      p.catch(function () { if (cache.shards.get(id) === p) cache.shards.delete(id); });
    }
    var entries = await cache.shards.get(id);
    var e = hasOwn.call(entries, route) ? entries[route] : null;
    if (!e || typeof e.p !== 'string' || !ID_RE.test(e.p)) return null;
    if (S.index !== index) throw new DataroomError('aborted', id);
    if (typeof e.f === 'string' && ID_RE.test(e.f)) S.packOf[e.p] = e.f;
    S.metaOf[e.p] = { type: PAGE_TYPE, name: route };
    return e;
  }

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
    var meta = id === S.indexId ? INDEX_META : id === S.gateId ? GATE_META :
      (S.metaOf && hasOwn.call(S.metaOf, id) ? S.metaOf[id] : null);
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

  /* A JSON payload (the index, the gate), parsed; anything else is tampering. */
  async function loadJson(id) {
    var bytes = await payloadBytes(id);
    var value;
    try { value = JSON.parse(decodeText(bytes, id)); } catch (e) {
      if (e instanceof DataroomError) throw e;
      throw new DataroomError('tampered', id);
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new DataroomError('tampered', id);
    return value;
  }

  var isText = function (v) { return typeof v === 'string'; };

  async function loadIndex() {
    var id = S.indexId;
    var index = await loadJson(id);
    if (!index.routes || typeof index.routes !== 'object') throw new DataroomError('tampered', id);
    if (!index.files || typeof index.files !== 'object') index.files = {};
    if (index.denied == null) index.denied = [];
    if (index.tables == null) index.tables = {};
    if (typeof index.tables !== 'object' || Array.isArray(index.tables)) throw new DataroomError('tampered', id);
    if (!Array.isArray(index.denied) || !index.denied.every(isText)) throw new DataroomError('tampered', id);
    var map = index.map;
    if (map != null) {
      var n = Array.isArray(map.shards) ? map.shards.length : 0;
      if (!isText(map.key) || n === 0 || (n & (n - 1)) !== 0 ||
          !map.shards.every(function (s) { return isText(s) && ID_RE.test(s); })) {
        throw new DataroomError('tampered', id);
      }
    }
    return index;
  }

  /* The slot's gate ({audience, nda: {title, html}, watermark}), null when the
     room has none. Opened before the index: it holds no client data. */
  async function loadGate() {
    var id = S.gateId;
    if (!id) return null;
    var gate = await loadJson(id);
    var nda = gate.nda;
    if ((gate.audience != null && !isText(gate.audience)) ||
        (nda != null && !(typeof nda === 'object' && isText(nda.title) && isText(nda.html))) ||
        (gate.watermark != null && typeof gate.watermark !== 'boolean')) {
      throw new DataroomError('tampered', id);
    }
    return { audience: gate.audience || '', nda: nda || null, watermark: gate.watermark === true };
  }

  async function importKeys(raw) {
    var keys = {};
    for (var kid in raw) if (hasOwn.call(raw, kid)) keys[kid] = await importContentKey(raw[kid]);
    return keys;
  }

  D.unwrapKeys = unwrapKeys;
  D.indexPacks = indexPacks;
  D.indexMeta = indexMeta;
  D.payloadBytes = payloadBytes;
  D.loadPageHtml = loadPageHtml;
  D.decodeText = decodeText;
  D.loadIndex = loadIndex;
  D.findMapped = findMapped;
  D.loadGate = loadGate;
  D.importKeys = importKeys;
  D.FORMAT = FORMAT;
  D.MIN_ITERATIONS = MIN_ITERATIONS;
})();
