/*!
 * dataroom-views.js: what makes a page work, in the sealed room (run on every
 * page it shows) and on the public training pages (run once on load):
 * scrolling and sortable tables, checklists with saved ticks and their CSV,
 * quizzes with a printable completion record, print buttons, the manifest
 * hash; and the error, not-found and no-access pages of the router.
 * Provides: enhance isTicked printElement manifestHash errorPage notFoundPage
 * noAccessPage loadingPage previewKind.
 */
(function () {
  'use strict';
  var D = window.Dataroom;
  var S = D.S;
  var doc = D.doc;
  var el = D.el;
  var fmtDate = D.fmtDate;
  var forEach = D.forEach;
  var hasOwn = D.hasOwn;
  var progressGet = D.progressGet;
  var progressSet = D.progressSet;
  var safeDecode = D.safeDecode;
  var t = D.t;
  var uiLang = D.uiLang;

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
  var manifestWaiters = null;
  window.dataroomManifest = function (text) {
    var waiters = manifestWaiters || [];
    manifestWaiters = null;
    waiters.forEach(function (w) { w(text); });
  };
  /* Resolves to the SHA-256 (hex) of SHA256SUMS, '' when data/manifest.js is missing. */
  function manifestHash() {
    return new Promise(function (resolve) {
      var fromText = function (text) {
        if (typeof text !== 'string') { resolve(''); return; }
        crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)).then(function (digest) {
          resolve(Array.prototype.map.call(new Uint8Array(digest), function (b) {
            return ('0' + b.toString(16)).slice(-2);
          }).join(''));
        }, function () { resolve(''); });
      };
      if (manifestWaiters) { manifestWaiters.push(fromText); return; }
      manifestWaiters = [fromText];
      var script = doc.createElement('script');
      var gone = function () {
        if (script.parentNode) script.parentNode.removeChild(script);
        if (manifestWaiters) window.dataroomManifest(null);
      };
      script.src = 'data/manifest.js';
      script.onload = gone;
      script.onerror = gone;
      doc.body.appendChild(script);
    }).then(function (h) { return h || ''; });
  }
  function initManifestHash(node) {
    if (node.getAttribute('data-ready')) return;
    node.setAttribute('data-ready', '1');
    manifestHash().then(function (h) { if (h) node.textContent = h; });
  }

  /* <button class="print-button">: prints the page (inline onclick is not allowed). */
  function initPrintButton(btn) {
    if (btn.getAttribute('data-ready')) return;
    btn.setAttribute('data-ready', '1');
    btn.addEventListener('click', function () {
      // Index lists first load and show every row (dataroom-list.js).
      if (D.printWhenLoaded) D.printWhenLoaded(btn).catch(function () { /* the list says why */ });
      else window.print();
    });
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
      var virtual = D.checklistLists ? D.checklistLists(id) : [];
      // Every row of the virtual lists, loaded or not yet (their ticks are in the store).
      Promise.all(virtual.map(function (list) { return list.tickItems(); })).then(function (items) {
        var now = new Date();
        var lines = [[t('ticks_item'), t('ticks_label'), t('ticks_ticked'), t('ticks_time')].map(csvCell).join(',')];
        var yesNo = function (ticked) { return ticked ? t('yes') : t('no'); };
        checklistBoxes(id).forEach(function (cb, i) {
          if (cb.closest('table.virtual')) return;
          var row = cb.closest('tr, li');
          var label = cb.getAttribute('aria-label') || (row ? row.textContent.replace(/\s+/g, ' ').trim() : '');
          lines.push([itemId(cb, i), label, yesNo(cb.checked), fmtDate(now)].map(csvCell).join(','));
        });
        items.forEach(function (all) {
          all.forEach(function (item) {
            lines.push([item.id, item.label, yesNo(isTicked(id, item.id)), fmtDate(now)].map(csvCell).join(','));
          });
        });
        downloadCsv(id, now, lines);
      }, function () { /* the list says why */ });
    });
  }

  function downloadCsv(id, now, lines) {
    // BOM so spreadsheet programs read the Chinese text as UTF-8
    var blob = new Blob(['\ufeff' + lines.join('\r\n') + '\r\n'], { type: 'text/csv;charset=utf-8' });
    var url = URL.createObjectURL(blob);
    var a = el('a', { href: url, download: id.replace(/[^\w.-]+/g, '-') + '-' + fmtDate(now).slice(0, 10) + '.csv', hidden: true });
    doc.body.appendChild(a);
    a.click();
    doc.body.removeChild(a);
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
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

  /* A box's key in the stored ticks: in a row-data table (the handover
     checklist's groups, virtual rows not always in the page) its item id,
     else a hash of its text. */
  function boxKey(cb, hashKey) {
    return (cb.closest('[data-rows]') && cb.getAttribute('data-item')) || hashKey;
  }

  function savedTicks(id) {
    var saved = progressGet('check', id);
    return saved && typeof saved === 'object' && !Array.isArray(saved) ? saved : null;
  }

  /* Whether item `item` of checklist `id` is ticked (virtual rows ask as they are drawn). */
  function isTicked(id, item) {
    var saved = savedTicks(id);
    return !!(saved && hasOwn.call(saved, item) && saved[item]);
  }

  function initChecklist(id) {
    var lists = [];
    forEach(doc.querySelectorAll('.checklist[data-checklist]'), function (list) {
      if (list.getAttribute('data-checklist') === id) lists.push(list);
    });
    lists.forEach(function (list) { list.setAttribute('data-checklist-ready', '1'); });
    var virtual = D.checklistLists ? D.checklistLists(id) : [];
    // The boxes in the page now, except virtual rows (drawn from the store).
    var boxes = checklistBoxes(id).filter(function (cb) { return !cb.closest('table.virtual'); });
    var keys = itemKeys(boxes).map(function (h, i) { return boxKey(boxes[i], h); });
    var saved = savedTicks(id);
    boxes.forEach(function (cb, i) {
      cb.disabled = false;
      cb.removeAttribute('disabled');
      if (saved && hasOwn.call(saved, keys[i])) cb.checked = !!saved[keys[i]];
      markItem(cb);
    });
    // One listener per list: it also sees the boxes of rows drawn later.
    lists.forEach(function (list) {
      list.addEventListener('change', function (ev) {
        var cb = ev.target;
        if (!cb || cb.type !== 'checkbox') return;
        var n = boxes.indexOf(cb);
        var key = n >= 0 ? keys[n] : boxKey(cb, '');
        if (!key) return;
        // The whole list is stored, so pages without it (home) can show progress.
        var map = savedTicks(id) || {};
        boxes.forEach(function (b, i) { if (!hasOwn.call(map, keys[i])) map[keys[i]] = !!b.checked; });
        map[key] = !!cb.checked;
        progressSet('check', id, map);
        markItem(cb);
        checklistProgress(id);
      });
    });
    // Ticks whose item is gone are dropped (and a note says how many), once
    // every virtual list has all its rows.
    Promise.all(virtual.map(function (list) { return list.tickItems(); })).then(function (items) {
      var stored = savedTicks(id);
      if (!stored) { checklistProgress(id); return; }
      var present = Object.create(null); // (the handover checklist can have 100,000s of items)
      keys.forEach(function (k) { present[k] = true; });
      items.forEach(function (all) { all.forEach(function (item) { present[item.id] = true; }); });
      var gone = 0;
      var kept = {};
      var stale = false;
      for (var k in stored) {
        if (!hasOwn.call(stored, k)) continue;
        if (present[k]) { kept[k] = stored[k]; continue; }
        stale = true;
        if (stored[k]) gone++;
      }
      if (stale) progressSet('check', id, kept);
      if (gone && lists.length && lists[0].isConnected) {
        var note = el('p', { className: 'checklist-note', role: 'status', text: t('checklist_dropped', { count: gone }) });
        lists[0].parentNode.insertBefore(note, lists[0]);
      }
      checklistProgress(id);
    }, function () { /* a list that failed to load says so itself */ });
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
     is on this page (its virtual rows counted from the index, their ticks
     from the store), else from the stored ticks (left as rendered if none). */
  function checklistProgress(id) {
    var boxes = checklistBoxes(id).filter(function (cb) { return !cb.closest('table.virtual'); });
    var virtual = D.checklistLists ? D.checklistLists(id) : [];
    var total = boxes.length;
    var done = boxes.filter(function (cb) { return cb.checked; }).length;
    if (virtual.length) {
      var own = Object.create(null);
      boxes.forEach(function (cb) { var k = boxKey(cb, ''); if (k) own[k] = true; });
      var stored = savedTicks(id) || {};
      virtual.forEach(function (list) { total += list.entry.rows || 0; });
      // Stored ticks of items not among the page's own boxes are the rows'.
      var ownKeys = itemKeys(boxes);
      var hashed = Object.create(null);
      ownKeys.forEach(function (k) { hashed[k] = true; });
      for (var key in stored) {
        if (hasOwn.call(stored, key) && stored[key] && !own[key] && !hashed[key]) done++;
      }
    } else if (!total) {
      var saved = savedTicks(id);
      if (!saved) return;
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
      if (seen[id] || checklistBoxes(id).length || (D.checklistLists && D.checklistLists(id).length)) return;
      seen[id] = true;
      checklistProgress(id);
    });
  }

  /* --- quizzes -------------------------------------------------------- */
  function parseAnswer(s) {
    return String(s || '').split(',').map(function (x) { return x.trim(); })
      .filter(function (x) { return x !== ''; }).sort();
  }


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
    if (S.traineeName) nameInput.value = S.traineeName;
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
      S.traineeName = name;
      if (!last) return;
      fillRecord(record, {
        title: title, name: name, score: last.score, pass: passMark,
        passed: last.passed, date: last.date, hash: hash
      });
      printElement(record);
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

  /* Prints `record` alone (a completion record, the NDA acceptance): a copy
     in #print-record, everything else hidden by the print CSS. */
  function printElement(record) {
    var holder = doc.getElementById('print-record');
    if (holder) holder.parentNode.removeChild(holder);
    holder = el('div', { id: 'print-record' });
    var copy = record.cloneNode(true);
    copy.hidden = false;
    copy.removeAttribute('id');
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
        p.textContent = rec.passed ? t('progress_passed', { score: rec.score }) : t('progress_failed', { score: rec.score });
        p.classList.add(rec.passed ? 'passed' : 'failed');
      }
    });
  }

  window.dataroomEnhance = enhance;

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

  /* A route of a section this reader's audience does not see. */
  function noAccessPage() {
    return el('article', { className: 'page no-access', 'data-error': 'denied' }, [
      el('h1', { text: t('no_access') }),
      el('p', { text: t('no_access_body') }),
      el('p', null, [el('a', { href: '#/', text: t('back_home') })])
    ]);
  }

  function loadingPage() {
    return el('p', { className: 'loading', role: 'status', text: t('loading') });
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

  D.enhance = enhance;
  D.isTicked = isTicked;
  D.printElement = printElement;
  D.manifestHash = manifestHash;
  D.noAccessPage = noAccessPage;
  D.errorPage = errorPage;
  D.notFoundPage = notFoundPage;
  D.loadingPage = loadingPage;
  D.previewKind = previewKind;
})();
