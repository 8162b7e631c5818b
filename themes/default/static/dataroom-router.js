/*!
 * dataroom-router.js: the sealed room's hash routes (#/clients/HX-1,
 * #/file/attachments/…): a page is decrypted when it is shown, an attachment
 * into a blob: URL; a route of a section the reader's audience does not see
 * (the index's `denied`) shows "no access"; navigation marks and filters.
 * Provides: render revokeBlobs onDocumentClick filterNav.
 */
(function () {
  'use strict';
  var D = window.Dataroom;
  var S = D.S;
  var describeError = D.describeError;
  var doc = D.doc;
  var el = D.el;
  var enhance = D.enhance;
  var errorPage = D.errorPage;
  var fmtInt = D.fmtInt;
  var fmtSize = D.fmtSize;
  var forEach = D.forEach;
  var hasOwn = D.hasOwn;
  var loadPageHtml = D.loadPageHtml;
  var loadingPage = D.loadingPage;
  var notFoundPage = D.notFoundPage;
  var noAccessPage = D.noAccessPage;
  var payloadBytes = D.payloadBytes;
  var previewKind = D.previewKind;
  var safeDecode = D.safeDecode;
  var t = D.t;

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

  /* A route of a section the audience does not see: its first segment (a
     file's, for #/file/exports/…) is one of the index's `denied` prefixes. */
  function isDenied(route) {
    var denied = S.index.denied || [];
    var first = safeDecode(route.key).split('/')[0];
    return denied.indexOf(first) >= 0;
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
    if (isDenied(route)) {
      markNav('#/' + (route.kind === 'file' ? 'file/' : '') + route.key);
      setContent(noAccessPage());
      afterRender();
      return;
    }
    if (route.kind === 'file') return renderFile(route.key, token);
    var entry = lookup(S.index.routes, route.key);
    markNav('#/' + route.key);
    if (!entry && S.index.map) {
      // A record page: found in one shard of the route map (dataroom-crypto.js).
      setContent(loadingPage());
      try {
        entry = (await D.findMapped(route.key)) ||
          (safeDecode(route.key) !== route.key ? await D.findMapped(safeDecode(route.key)) : null);
      } catch (err) {
        if (token !== S.navToken || (err && err.kind === 'aborted')) return;
        setContent(errorPage(err));
        afterRender();
        return;
      }
      if (token !== S.navToken) return;
    }
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
    // Index tables get their rows as data (dataroom-list.js) before views.js enhances the page.
    if (D.mountLists) D.mountLists(S.els.content, safeDecode(route.key));
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

  D.revokeBlobs = revokeBlobs;
  D.render = render;
  D.onDocumentClick = onDocumentClick;
  D.filterNav = filterNav;
})();
