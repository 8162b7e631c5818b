/* dataroom serve's live reload. The preview server adds this script to the
   pages it serves; it is never part of a built room. It long-polls the same
   server and reloads the page as soon as the room has changed. Classic script
   (no modules), like the theme's. */
(function () {
  'use strict';
  var script = document.currentScript;
  var version = script ? script.getAttribute('data-version') : '';
  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.open('GET', '/__dataroom/reload?since=' + encodeURIComponent(version));
    xhr.onload = function () {
      if (xhr.status === 200 && xhr.responseText !== version) {
        location.reload();
      } else {
        poll();
      }
    };
    // The preview was stopped or restarted: try again gently.
    xhr.onerror = function () { setTimeout(poll, 1000); };
    xhr.send();
  }
  poll();
})();
