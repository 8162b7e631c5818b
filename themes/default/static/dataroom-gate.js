/*!
 * dataroom-gate.js: the gate between unlock and the room (issue 9). When the
 * slot's gate payload carries an NDA, the reader reads it, types their name,
 * ticks agreement and presses 同意 before the index or any page is
 * decrypted; the acceptance (name, audience, time, SHA-256 of SHA256SUMS) is
 * shown, printable on one A4 page with signature lines, and kept encrypted for
 * this tab (dataroom-store.js). With `watermark`, every page and printout
 * carries the reader's name, audience and date, diagonally (DOM text: it
 * marks copies, it cannot stop a screenshot).
 * Provides: showNda showAcceptance acceptanceButton showWatermark clearGate.
 */
(function () {
  'use strict';
  var D = window.Dataroom;
  var S = D.S;
  var doc = D.doc;
  var el = D.el;
  var t = D.t;
  var fmtDate = D.fmtDate;
  var manifestHash = D.manifestHash;
  var printElement = D.printElement;

  /* Shows the NDA in the content area; `accepted(record)` runs once the reader
     agreed, with {name, audience, time, manifest}. Nothing else is open yet. */
  function showNda(gate, accepted) {
    var E = S.els;
    var nda = gate.nda;
    // A long NDA scrolls in its box: focusable, so a keyboard can scroll it (WCAG 2.1.1).
    var text = el('div', { className: 'nda-text', tabindex: '0', role: 'region', 'aria-labelledby': 'nda-title' });
    text.innerHTML = nda.html; // the room's own Markdown, rendered and escaped at build time
    var name = el('input', { id: 'nda-name', type: 'text', autocomplete: 'name', required: true, 'aria-describedby': 'nda-error' });
    var agree = el('input', { id: 'nda-agree', type: 'checkbox', required: true });
    var error = el('p', { id: 'nda-error', className: 'nda-error', role: 'alert' });
    var button = el('button', { id: 'nda-accept', type: 'submit', className: 'button primary', text: t('nda_accept') });
    var form = el('form', { className: 'nda-form', novalidate: true }, [
      el('label', { className: 'field-label', 'for': 'nda-name', text: t('nda_name_label') }), name,
      el('p', { className: 'nda-agree' }, [agree, ' ', el('label', { 'for': 'nda-agree', text: t('nda_agree') })]),
      button, error
    ]);
    var page = el('article', { className: 'page nda-gate', 'aria-labelledby': 'nda-title' }, [
      gate.audience ? el('p', { className: 'eyebrow nda-audience', text: gate.audience }) : null,
      el('h1', { id: 'nda-title', text: nda.title }),
      el('p', { className: 'nda-intro', text: t('nda_intro') }),
      text,
      form
    ]);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var who = name.value.trim();
      if (!who) { error.textContent = t('nda_name_required'); name.focus(); return; }
      if (!agree.checked) { error.textContent = t('nda_agree_required'); agree.focus(); return; }
      error.textContent = '';
      button.disabled = true;
      manifestHash().then(function (hash) {
        accepted({ name: who, audience: gate.audience || '', title: nda.title, time: new Date().toISOString(), manifest: hash });
      });
    });
    E.content.innerHTML = '';
    E.content.appendChild(page);
    try { name.focus(); } catch (e) { /* ignore */ }
  }

  /* The acceptance record, printable alone on one A4 page. */
  function acceptanceRecord(r) {
    var rows = [
      ['acceptance-agreement', t('acceptance_agreement'), r.title],
      ['acceptance-name', t('acceptance_name'), r.name],
      ['acceptance-audience', t('acceptance_audience'), r.audience],
      ['acceptance-time', t('acceptance_time'), fmtDate(new Date(r.time))],
      ['acceptance-manifest', t('acceptance_manifest'), r.manifest || '\u2014']
    ];
    var dl = el('dl', { className: 'fields' });
    rows.forEach(function (row) {
      if (!row[2]) return;
      dl.appendChild(el('dt', { text: row[1] }));
      dl.appendChild(el('dd', { className: row[0] }, [row[0] === 'acceptance-manifest' ? el('code', { text: row[2] }) : row[2]]));
    });
    return el('section', { className: 'acceptance-record' }, [
      el('h1', { text: t('acceptance_title') }),
      el('p', { text: t('acceptance_statement', { name: r.name, title: r.title }) }),
      dl,
      el('div', { className: 'signature-lines' }, [
        el('div', { text: t('acceptance_sign_reader') }),
        el('div', { text: t('acceptance_sign_seller') })
      ])
    ]);
  }

  /* The acceptance as a page: print it, or go on to the room (`enter`). */
  function showAcceptance(record, enter) {
    var E = S.els;
    var sheet = acceptanceRecord(record);
    var print = el('button', { type: 'button', className: 'button acceptance-print', text: t('acceptance_print') });
    var go = el('button', { type: 'button', className: 'button primary acceptance-continue', text: t('acceptance_continue') });
    print.addEventListener('click', function () { printElement(sheet); });
    go.addEventListener('click', enter);
    var page = el('article', { className: 'page acceptance-page', tabindex: '-1' }, [
      sheet,
      el('p', { className: 'no-print acceptance-actions' }, [print, ' ', go])
    ]);
    E.content.innerHTML = '';
    E.content.appendChild(page);
    // The reader scrolled down the long NDA to reach 同意: start the record at
    // its top (focus alone would put the card's top under the sticky top bar).
    window.scrollTo(0, 0);
    try { page.focus({ preventScroll: true }); } catch (e) { /* ignore */ }
  }

  /* The top bar's reminder of who accepted; it shows the record again. */
  function acceptanceButton(record, enter) {
    clearButton();
    var button = el('button', { id: 'acceptance-button', type: 'button', className: 'button acceptance-button',
      text: t('acceptance_note', { name: record.name }) });
    button.addEventListener('click', function () { showAcceptance(record, enter); });
    var logout = S.els.logout;
    if (logout && logout.parentNode) logout.parentNode.insertBefore(button, logout);
  }

  function clearButton() {
    var old = doc.getElementById('acceptance-button');
    if (old) old.parentNode.removeChild(old);
  }

  /* A diagonal, low-contrast mark over every page, on screen and on paper. */
  function showWatermark(parts) {
    clearWatermark();
    var text = parts.filter(function (p) { return !!p; }).join(' \u00b7 ');
    var tiles = el('div', { className: 'watermark-tiles' });
    // The text is CSS generated content (::before): incidental, decorative text
    // that is not part of the page's text (WCAG 1.4.3), yet printed.
    for (var i = 0; i < 80; i++) tiles.appendChild(el('span', { 'data-mark': text }));
    doc.body.appendChild(el('div', { id: 'watermark', className: 'watermark', 'aria-hidden': 'true' }, [tiles]));
  }

  function clearWatermark() {
    var old = doc.getElementById('watermark');
    if (old) old.parentNode.removeChild(old);
  }

  /* Logout: nothing of the reader stays on the page. */
  function clearGate() {
    clearButton();
    clearWatermark();
  }

  D.showNda = showNda;
  D.showAcceptance = showAcceptance;
  D.acceptanceButton = acceptanceButton;
  D.showWatermark = showWatermark;
  D.clearGate = clearGate;
})();
