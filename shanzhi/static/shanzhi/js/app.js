/* Shared helpers for every page. No data is ever put into the DOM as HTML: text goes in as text. */
(function () {
  'use strict';
  const S = (window.Shanzhi = window.Shanzhi || {});
  /* A tooltip or label: each line as a text node, lines separated by <br>. */
  S.tip = function (...lines) {
    const el = document.createElement('div');
    lines.forEach((line, i) => {
      if (i) el.appendChild(document.createElement('br'));
      el.appendChild(document.createTextNode(line == null ? '' : String(line)));
    });
    return el;
  };
  S.data = function (id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  };
  S.csrf = function () {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : '';
  };
  /* Town outlines under a map, for orientation. */
  S.towns = function (map, url, style, pane) {
    return fetch(url).then(r => r.json()).then(fc => L.geoJSON(fc, Object.assign({interactive: false, style}, pane ? {pane} : {})).addTo(map));
  };
  /* Pages a phone keeps for use without a signal belong to the person signed in: dropped when
   * anyone signs out and whenever the sign-in page is shown (the next person starts clean). */
  S.forgetPages = function () {
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({type: 'forget-pages'});
    }
  };
  if (document.querySelector('form[action$="/login/"], form#login-form') || /^\/login\//.test(location.pathname)) {
    S.forgetPages();
  }
  document.addEventListener('submit', e => {
    if (e.target.matches('form[action$="/logout/"]') && !e.defaultPrevented) S.forgetPages();
  });
  /* <select data-autosubmit> submits its form when changed (no inline handlers: the CSP forbids them). */
  document.addEventListener('change', e => {
    if (e.target.matches('select[data-autosubmit]') && e.target.form) e.target.form.submit();
  });
})();
