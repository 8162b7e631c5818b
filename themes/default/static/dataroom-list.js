/*!
 * dataroom-list.js: the sealed room's index tables (clients, contracts,
 * payments, services, the handover checklist's groups) and printed records
 * (notices, drawn from the page's <template data-row-form>) as virtual
 * lists. The page arrives without its rows; they are sealed JSON shards named
 * in the index (`tables[route]`): the first shard of the page's first list is
 * drawn at once, and only once that screen is painted do the other shards
 * (and the other lists' first ones) load behind it. Only the rows in view
 * (and a screen's worth around them; all of a list of at most 50) are in the
 * DOM (a real <table> with aria-rowcount / aria-rowindex); any column sorts
 * (numbers, dates, text in the reader's collation), a filter box narrows the
 * rows, and printing renders every row into the table (the page's print
 * button first waits for every shard). A checklist's rows carry tick boxes
 * kept by item id.
 * Provides: mountLists printWhenLoaded checklistLists.
 */
(function () {
  'use strict';
  var D = window.Dataroom;
  var S = D.S;
  var doc = D.doc;
  var el = D.el;
  var fmtInt = D.fmtInt;
  var forEach = D.forEach;
  var hasOwn = D.hasOwn;
  var t = D.t;
  var uiLang = D.uiLang;

  // Rows drawn beyond the viewport on each side, in pixels: ~20 table rows,
  // but only one printed letter (a notice is a screen high).
  var OVERSCAN_PX = 680;
  var TABLE_ROW_PX = 34;  // a table row's height until one is measured
  // A list this short (a small room's) is drawn whole once all its rows are
  // in: the browser's find and its own Print menu then see every row.
  var WHOLE_ROWS = 50;
  var mounted = [];   // the lists of the page shown now

  var collator = null;
  function compareText(a, b) {
    if (!collator) {
      try { collator = new Intl.Collator(uiLang(), { numeric: true }); } catch (e) {
        collator = { compare: function (x, y) { return x < y ? -1 : x > y ? 1 : 0; } };
      }
    }
    return collator.compare(a, b);
  }

  function isRow(r) { return r && typeof r === 'object' && Array.isArray(r.c); }

  /* A shard of `list`: its JSON rows, decrypted (its id is in S.metaOf).
     Not kept as text like a page (a room's shards are its whole book), and
     not decoded or parsed once the list has left the page. */
  function loadShard(list, id) {
    return D.payloadBytes(id).then(function (bytes) {
      if (!list.table.isConnected) throw new D.DataroomError('aborted', id);
      var rows;
      try { rows = JSON.parse(D.decodeText(bytes, id)); } catch (e) { throw new D.DataroomError('tampered', id); }
      if (!Array.isArray(rows) || !rows.every(isRow)) throw new D.DataroomError('tampered', id);
      return rows;
    });
  }

  function cellText(cell) {
    if (typeof cell !== 'object' || !cell) return '';
    return [cell.l || '', cell.t || ''].concat(cell.b || []).join(' ');
  }

  function sortKey(cell, kind) {
    var raw = cell ? (cell.s || cell.t || cell.l || '') : '';
    if (kind === 'num') {
      var n = parseFloat(String(raw).replace(/[^0-9.+-]/g, ''));
      return isNaN(n) ? null : n;
    }
    return raw === '' ? null : String(raw);
  }

  function List(table, tbody, entry, form) {
    this.form = form || null; // a <template data-row-form>: rows are records (notices)
    this.table = table;
    this.tbody = tbody;
    this.entry = entry;
    this.cols = entry.cols || [];
    this.rows = [];          // every row loaded so far, in the build's order
    this.texts = [];         // each row's text, lower case, for the filter (made when first filtered)
    this.view = [];          // indexes into rows: filtered and sorted
    this.filter = '';
    this.sort = null;        // {col, sign}
    this.rowHeight = 0;
    this.complete = false;
    this.printing = false;
    this.whole = (entry.rows || 0) <= WHOLE_ROWS;
  }

  List.prototype.headerRow = function () {
    var head = this.table.tHead;
    return head && head.rows.length ? head.rows[head.rows.length - 1] : null;
  };

  List.prototype.setup = function () {
    var self = this;
    var table = this.table;
    table.setAttribute('data-sortable-ready', '1'); // the list sorts, not views.js
    table.classList.add('virtual');
    var wrap = table.parentNode;
    if (!wrap || !wrap.classList || !wrap.classList.contains('table-wrap')) {
      wrap = el('div', { className: 'table-wrap' });
      table.parentNode.insertBefore(wrap, table);
      wrap.appendChild(table);
    }
    wrap.classList.add('rows-viewport');
    if (this.form) {
      // Records hold no link to focus: the scrolling box itself takes the keyboard.
      table.setAttribute('role', 'list');
      wrap.setAttribute('tabindex', '0');
    }
    this.viewport = wrap;
    var head = this.headerRow();
    if (head) {
      head.setAttribute('aria-rowindex', '1');
      forEach(head.cells, function (th, col) {
        if (th.tagName !== 'TH') return;
        var btn = el('button', { type: 'button', className: 'sort-button', title: t('sort_column') });
        while (th.firstChild) btn.appendChild(th.firstChild);
        btn.appendChild(el('span', { className: 'sort-indicator', 'aria-hidden': 'true' }));
        th.appendChild(btn);
        th.classList.add('sortable-header');
        btn.addEventListener('click', function () { self.sortBy(col, th); });
      });
    }
    var label = t('rows_filter');
    this.input = el('input', { type: 'text', className: 'rows-filter', 'aria-label': label, placeholder: label, autocomplete: 'off' });
    this.status = el('p', { className: 'rows-status muted', 'aria-live': 'polite' });
    var parts = [this.input, this.status];
    if (!table.closest('.printable')) {
      var print = el('button', { type: 'button', className: 'print-button rows-print', text: t('print') });
      parts.push(print);
    }
    var bar = el('div', { className: 'rows-bar no-print' }, parts);
    wrap.parentNode.insertBefore(bar, wrap);
    var pending = null;
    this.input.addEventListener('input', function () {
      clearTimeout(pending);
      pending = setTimeout(function () { self.setFilter(self.input.value); }, 120);
    });
    wrap.addEventListener('scroll', function () { self.draw(); }, { passive: true });
  };

  /* A shard's rows. Unfiltered and unsorted, they go after the rows drawn,
     which stay as they are (the list only grows its scroll height); a short
     list waits for its last shard. */
  List.prototype.add = function (rows) {
    for (var i = 0; i < rows.length; i++) this.rows.push(rows[i]);
    if (this.whole && !this.complete) return;
    if (this.filter || this.sort) { this.refresh(); return; }
    for (var n = this.view.length; n < this.rows.length; n++) this.view.push(n);
    this.showCount();
    this.draw(false);
  };

  List.prototype.showCount = function () {
    if (!this.form) this.table.setAttribute('aria-rowcount', String(this.view.length + 1));
    this.status.textContent = this.complete
      ? t('rows_shown', { shown: fmtInt(this.view.length), total: fmtInt(this.entry.rows) })
      : t('rows_loading');
  };

  /* Filter, then sort (stable: ties keep the build's order). */
  List.prototype.refresh = function () {
    var rows = this.rows;
    var needle = this.filter.toLowerCase();
    var texts = this.texts;
    if (needle) {
      for (var r = texts.length; r < rows.length; r++) texts.push(rows[r].c.map(cellText).join(' ').toLowerCase());
    }
    var view = [];
    for (var i = 0; i < rows.length; i++) {
      if (!needle || texts[i].indexOf(needle) >= 0) view.push(i);
    }
    if (this.sort) {
      var col = this.sort.col;
      var sign = this.sort.sign;
      var kind = this.cols[col] ? this.cols[col].k : 'text';
      var keys = view.map(function (i) { return sortKey(rows[i].c[col], kind); });
      var order = view.map(function (_, n) { return n; });
      order.sort(function (a, b) {
        var ka = keys[a];
        var kb = keys[b];
        if (ka === null || kb === null) return ka === kb ? a - b : (ka === null ? 1 : -1); // blanks last
        var c = kind === 'num' ? ka - kb : kind === 'date' ? (ka < kb ? -1 : ka > kb ? 1 : 0) : compareText(ka, kb);
        return c !== 0 ? c * sign : a - b;
      });
      view = order.map(function (n) { return view[n]; });
    }
    this.view = view;
    this.showCount();
    this.draw(true);
  };

  List.prototype.setFilter = function (text) {
    this.filter = String(text || '').trim();
    this.refresh();
    this.viewport.scrollTop = 0;
  };

  List.prototype.sortBy = function (col, th) {
    var asc = !(this.sort && this.sort.col === col && this.sort.sign === 1);
    forEach(this.headerRow().cells, function (c) { c.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
    this.sort = { col: col, sign: asc ? 1 : -1 };
    this.refresh();
  };

  /* A record: the row form with each cell's text in its [data-cell=n] and
     paragraphs in its [data-cell-paragraphs=n] (as render/rows.rs fills it). */
  List.prototype.formElement = function (row, position) {
    var node = this.form.content.firstElementChild.cloneNode(true);
    var text = function (n) { var c = row.c[Number(n)]; return c && typeof c === 'object' && c.t ? String(c.t) : ''; };
    forEach(node.querySelectorAll('[data-cell]'), function (e) { e.textContent = text(e.getAttribute('data-cell')); });
    forEach(node.querySelectorAll('[data-cell-paragraphs]'), function (e) {
      text(e.getAttribute('data-cell-paragraphs')).split('\n\n').forEach(function (p) {
        if (p.trim()) e.appendChild(el('p', { text: p }));
      });
    });
    // A record is a list item (rows of a table carry aria-rowindex instead).
    node.setAttribute('role', 'listitem');
    node.setAttribute('aria-posinset', String(position + 1));
    node.setAttribute('aria-setsize', String(this.view.length));
    return node;
  };

  List.prototype.rowElement = function (row, position) {
    if (this.form) return this.formElement(row, position);
    var self = this;
    var cols = this.cols;
    var cells = row.c.map(function (cell, n) {
      var td = el('td', { className: cols[n] && cols[n].c ? cols[n].c : null });
      if (!cell || typeof cell !== 'object') return td;
      if (cell.x) {
        // A checklist's tick box: its tick is kept by item id (dataroom-views.js).
        var box = el('input', { type: 'checkbox', 'data-item': String(cell.x), 'aria-label': cell.l || '' });
        box.checked = !!(self.checklist && D.isTicked && D.isTicked(self.checklist, String(cell.x)));
        td.appendChild(box);
        return td;
      }
      if (cell.h) {
        td.appendChild(el('a', { href: cell.h, text: cell.l || '' }));
        if (cell.t) td.appendChild(doc.createTextNode(' '));
      }
      if (cell.t) td.appendChild(doc.createTextNode(cell.t));
      (cell.b || []).forEach(function (b) {
        td.appendChild(doc.createTextNode(' '));
        td.appendChild(el('span', { className: 'badge', text: b }));
      });
      return td;
    });
    var tr = el('tr', { className: row.k || null, 'aria-rowindex': String(position + 2) }, cells);
    var ticked = tr.querySelector('input[type=checkbox]:checked');
    if (ticked) tr.classList.add('done');
    return tr;
  };

  function spacer(cols, height, form) {
    var node = form ? el('div', { className: 'rows-spacer', 'aria-hidden': 'true' })
      : el('tr', { className: 'rows-spacer', 'aria-hidden': 'true' }, [el('td', { colspan: String(Math.max(cols, 1)) })]);
    setSpacer(node, height);
    return node;
  }

  /* A spacer of no height is not shown at all (an empty table row still
     takes a border's room). */
  function setSpacer(node, height) {
    var box = node.firstChild || node;
    box.style.height = height + 'px';
    node.hidden = height <= 0;
  }

  /* The rows in view plus OVERSCAN_PX above and below, between two spacers
     that keep the scroll height of the whole list. Scrolling within what is
     drawn (or rows arriving below it) only resizes the spacers; a record
     list draws one record first to learn how high its records are. */
  List.prototype.draw = function (force) {
    if (this.printing) return;
    var total = this.view.length;
    var rowH = this.rowHeight || TABLE_ROW_PX;
    var vp = this.viewport;
    var top = Math.floor(vp.scrollTop / rowH);
    var bottom = Math.min(total, Math.ceil((vp.scrollTop + (vp.clientHeight || 600)) / rowH));
    var over = this.whole ? total : Math.ceil(OVERSCAN_PX / rowH);
    var drawn = this.drawn;
    if (!force && drawn && drawn.first <= Math.max(0, top - (over >> 1)) &&
        drawn.last >= Math.min(total, bottom + (over >> 1))) {
      this.fitSpacers(total, rowH);
      return;
    }
    var first = Math.max(0, top - over);
    var last = Math.min(total, bottom + over);
    if (this.form && !this.rowHeight && !this.whole) last = Math.min(last, first + 1);
    var frag = doc.createDocumentFragment();
    var ncols = this.headerRow() ? this.headerRow().cells.length : 1;
    var above = spacer(ncols, 0, this.form);
    var below = spacer(ncols, 0, this.form);
    frag.appendChild(above);
    for (var i = first; i < last; i++) frag.appendChild(this.rowElement(this.rows[this.view[i]], i));
    frag.appendChild(below);
    this.tbody.textContent = '';
    this.tbody.appendChild(frag);
    this.drawn = { first: first, last: last, above: above, below: below };
    this.fitSpacers(total, rowH);
    if (!this.rowHeight && last > first) {
      var probe = this.tbody.querySelector('[aria-rowindex], [aria-posinset]');
      var h = probe ? probe.getBoundingClientRect().height : 0;
      if (h > 0) {
        this.rowHeight = h;
        // A table row near the guess needs no second drawing; a record does.
        this.draw(!!this.form || Math.abs(h - rowH) > rowH / 2);
      }
    }
  };

  /* The spacers' heights for the rows not drawn; records know how many there are. */
  List.prototype.fitSpacers = function (total, rowH) {
    var d = this.drawn;
    setSpacer(d.above, d.first * rowH);
    setSpacer(d.below, Math.max(0, total - d.last) * rowH);
    if (this.form && d.setsize !== total) {
      d.setsize = total;
      forEach(this.tbody.querySelectorAll('[aria-setsize]'), function (node) { node.setAttribute('aria-setsize', String(total)); });
    }
  };

  /* Printing shows every row (in the current order and filter). */
  List.prototype.printAll = function () {
    this.printing = true;
    var frag = doc.createDocumentFragment();
    for (var i = 0; i < this.view.length; i++) frag.appendChild(this.rowElement(this.rows[this.view[i]], i));
    this.tbody.textContent = '';
    this.tbody.appendChild(frag);
  };

  /* The same, PRINT_CHUNK rows at a time with a pause between, so 100,000
     rows do not freeze the page; a printable form (checklist) prints whole,
     whatever the filter. */
  var PRINT_CHUNK = 2000;
  List.prototype.renderAllInChunks = function () {
    var self = this;
    if (this.table.closest('.printable') && this.filter) {
      this.input.value = '';
      this.filter = '';
      this.refresh();
    }
    this.printing = true;
    this.tbody.textContent = '';
    var at = 0;
    return new Promise(function (resolve) {
      (function next() {
        if (!self.printing) { resolve(); return; }
        var frag = doc.createDocumentFragment();
        var end = Math.min(self.view.length, at + PRINT_CHUNK);
        for (; at < end; at++) frag.appendChild(self.rowElement(self.rows[self.view[at]], at));
        self.tbody.appendChild(frag);
        if (at < self.view.length) setTimeout(next, 0); else resolve();
      })();
    });
  };

  /* The item ids and labels of a checklist's tick boxes (every row, loaded
     or not yet: resolves when all are in). */
  List.prototype.tickItems = function () {
    var self = this;
    return this.done.then(function () {
      var out = [];
      self.rows.forEach(function (row) {
        var box = row.c.filter(function (c) { return c && c.x; })[0];
        if (!box) return;
        var label = row.c.filter(function (c) { return c && !c.x; }).map(cellText).join(' ').replace(/\s+/g, ' ').trim();
        out.push({ id: String(box.x), label: label });
      });
      return out;
    });
  };

  List.prototype.endPrint = function () {
    if (!this.printing) return;
    this.printing = false;
    this.draw(true);
  };

  window.addEventListener('beforeprint', function () {
    mounted.forEach(function (list) { if (list.table.isConnected) list.printAll(); });
  });
  window.addEventListener('afterprint', function () {
    mounted.forEach(function (list) { if (list.table.isConnected) list.endPrint(); });
  });

  /* The page's print button: waits until every list has all its rows, puts
     them all in the page (in chunks), then opens the print dialog. (The
     browser's own Print menu only gets `beforeprint`, which cannot wait: it
     prints the rows loaded so far.) */
  function printWhenLoaded(button) {
    var lists = mounted.filter(function (list) { return list.table.isConnected; });
    if (!lists.length) { window.print(); return Promise.resolve(); }
    if (button) { button.disabled = true; button.setAttribute('aria-busy', 'true'); }
    return Promise.all(lists.map(function (list) { return list.done; })).then(function () {
      return Promise.all(lists.map(function (list) { return list.renderAllInChunks(); }));
    }).then(function () {
      if (button) { button.disabled = false; button.removeAttribute('aria-busy'); }
      window.print();
    }, function (err) {
      if (button) { button.disabled = false; button.removeAttribute('aria-busy'); }
      throw err;
    });
  }

  /* The lists of checklist `id` on the page shown now. */
  function checklistLists(id) {
    return mounted.filter(function (list) { return list.checklist === id && list.table.isConnected; });
  }

  /* Resolves once the browser has painted what is in the page now (the
     first screen); at once in a hidden tab (it paints nothing), after a
     second at most. */
  function afterPaint() {
    return new Promise(function (resolve) {
      var done = false;
      var go = function () { if (!done) { done = true; resolve(); } };
      if (doc.visibilityState === 'hidden') { go(); return; }
      requestAnimationFrame(function () { setTimeout(go, 0); });
      setTimeout(go, 1000);
    });
  }

  /* Resolves when the page is idle (no input, no frame to draw, no other
     page being opened), or after a second at most: the shards behind the
     first screen load then, so a click or a scroll never waits behind one.
     (Safari has no requestIdleCallback: a frame's pause between shards.) */
  function whenIdle() {
    return new Promise(function (resolve) {
      if (window.requestIdleCallback) window.requestIdleCallback(function () { resolve(); }, { timeout: 1000 });
      else setTimeout(resolve, 16);
    });
  }

  /* Mounts a list on each `<tbody data-rows>` of the page shown for `route`;
     resolves when every list has all its rows. The first list's first shard
     is drawn and painted before anything else loads: at 100,000 clients the
     other shards (and the other lists of the checklist) would otherwise be
     decrypted, parsed and drawn before the reader sees the first screen.
     They follow one at a time per list, each when the page is idle. */
  function mountLists(root, route) {
    var tables = S.index && S.index.tables && hasOwn.call(S.index.tables, route) ? S.index.tables[route] : null;
    mounted = [];
    if (!Array.isArray(tables)) return Promise.resolve();
    var jobs = [];
    var firstScreen = null; // painted: the first list's first shard drawn
    forEach(root.querySelectorAll('[data-rows]'), function (tbody) {
      var name = tbody.getAttribute('data-rows');
      var entry = tables.filter(function (e) { return e && e.name === name; })[0];
      if (!entry || !Array.isArray(entry.shards)) return;
      // A <tbody> of a table, or any element whose rows the page's row form draws.
      var form = null;
      var table = tbody.parentNode;
      if (tbody.tagName !== 'TBODY') {
        forEach(root.querySelectorAll('template[data-row-form]'), function (t) {
          if (t.getAttribute('data-row-form') === name) form = t;
        });
        if (!form || !form.content.firstElementChild) return;
        table = tbody;
      } else if (!table || table.tagName !== 'TABLE') return;
      var list = new List(table, tbody, entry, form);
      var checklist = table.closest('.checklist[data-checklist]');
      list.checklist = checklist ? checklist.getAttribute('data-checklist') : null;
      list.setup();
      mounted.push(list);
      var leads = !firstScreen;
      var chain = leads ? Promise.resolve() : firstScreen;
      entry.shards.forEach(function (id, n) {
        chain = chain.then(function () {
          return leads && n === 0 ? null : whenIdle();
        }).then(function () {
          // Left for another page: the rest is not decrypted (it would slow that page).
          if (!list.table.isConnected) throw new D.DataroomError('aborted', id);
          return loadShard(list, id);
        }).then(function (rows) {
          if (n === entry.shards.length - 1) list.complete = true;
          list.add(rows);
          if (leads && n === 0) return afterPaint();
        });
        if (leads && n === 0) firstScreen = chain.catch(function () { /* the list says why */ });
      });
      if (!entry.shards.length) { list.complete = true; list.refresh(); }
      if (!firstScreen) firstScreen = Promise.resolve();
      list.done = chain;
      jobs.push(chain.catch(function (err) {
        if (err && err.kind === 'aborted') return;
        list.status.textContent = D.describeError(err);
      }));
    });
    return Promise.all(jobs);
  }

  D.mountLists = mountLists;
  D.printWhenLoaded = printWhenLoaded;
  D.checklistLists = checklistLists;
})();
