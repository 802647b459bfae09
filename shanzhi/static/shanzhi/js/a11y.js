/* 适老化 (GB/T 37668, WCAG 2.1 AA): large type and high contrast, one tap away, remembered on this
   device. Loaded in <head> without defer so that the saved modes are on <html> before the page is
   drawn (no flash of small type). The buttons are any <button data-a11y="large|contrast">. */
(function () {
  'use strict';
  var KEY = 'shanzhi.a11y';
  var MODES = {large: 'a11y-large', contrast: 'a11y-contrast'};
  var root = document.documentElement;
  var memory = null; // when localStorage is unavailable (private mode, storage off)

  function known(mode) { return Object.prototype.hasOwnProperty.call(MODES, mode); }

  function saved() {
    var raw = null;
    try { raw = window.localStorage.getItem(KEY); } catch (e) { raw = memory; }
    if (raw == null) raw = memory;
    if (!raw) return {};
    try {
      var v = JSON.parse(raw);
      return v && typeof v === 'object' ? v : {};
    } catch (e) { return {}; }
  }

  function prefersContrast() {
    try {
      return !!(window.matchMedia && (window.matchMedia('(prefers-contrast: more)').matches));
    } catch (e) { return false; }
  }

  /* The modes in force: what was chosen on this device; high contrast follows the system's
     "increase contrast" setting until the user chooses here. */
  function state() {
    var s = saved();
    return {
      large: s.large === true,
      contrast: typeof s.contrast === 'boolean' ? s.contrast : prefersContrast()
    };
  }

  function store(s) {
    var raw = JSON.stringify({large: !!s.large, contrast: !!s.contrast});
    memory = raw;
    try { window.localStorage.setItem(KEY, raw); } catch (e) { /* kept in memory for this page */ }
  }

  function sync(s) {
    var buttons = document.querySelectorAll('button[data-a11y]');
    for (var i = 0; i < buttons.length; i++) {
      var mode = buttons[i].getAttribute('data-a11y');
      if (known(mode)) buttons[i].setAttribute('aria-pressed', s[mode] ? 'true' : 'false');
    }
  }

  function apply(s) {
    for (var mode in MODES) {
      if (known(mode)) root.classList.toggle(MODES[mode], !!s[mode]);
    }
    sync(s);
  }

  function toggle(mode) {
    var s = state();
    s[mode] = !s[mode];
    store(s);
    apply(s);
  }

  apply(state());

  var S = (window.Shanzhi = window.Shanzhi || {});
  S.a11y = {state: state, toggle: toggle, apply: apply};

  document.addEventListener('DOMContentLoaded', function () { sync(state()); });
  /* One listener for every toggle, also those added later (htmx swaps). */
  document.addEventListener('click', function (e) {
    var btn = e.target && e.target.closest ? e.target.closest('button[data-a11y]') : null;
    if (!btn) return;
    var mode = btn.getAttribute('data-a11y');
    if (!known(mode)) return;
    e.preventDefault();
    toggle(mode);
  });
  /* Another tab changed the modes, the page came back from the back/forward cache, or the
     system's contrast setting changed. */
  window.addEventListener('storage', function (e) { if (e.key === KEY) apply(state()); });
  window.addEventListener('pageshow', function (e) { if (e.persisted) apply(state()); });
  if (window.matchMedia) {
    try {
      var mq = window.matchMedia('(prefers-contrast: more)');
      var onChange = function () { apply(state()); };
      if (mq.addEventListener) mq.addEventListener('change', onChange); else if (mq.addListener) mq.addListener(onChange);
    } catch (e) { /* old browser: the setting is read on each page load */ }
  }
})();
