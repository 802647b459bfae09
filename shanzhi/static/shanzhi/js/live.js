/* New work, warnings and 督办 arrive on an open page without reloading: the unread count in every
 * badge, and a short notice for each message that is new since the page opened. Polled every
 * 30 seconds while the page is visible, and at once when it becomes visible again. */
(function () {
  'use strict';
  const URL_LIVE = '/messages/live.json';
  const seen = new Set();
  let first = true, timer = null;
  const toast = document.getElementById('live-toast');

  function setCount(n) {
    document.querySelectorAll('.unread-count').forEach(el => {
      el.textContent = String(n);
      el.hidden = !n;
    });
    document.title = document.title.replace(/^\(\d+\) /, '');
    if (n) document.title = `(${n}) ` + document.title;
  }

  function show(messages) {
    if (!toast || !messages.length) return;
    toast.textContent = '';
    messages.slice(0, 3).forEach(m => {
      const row = document.createElement(m.link ? 'a' : 'div');
      if (m.link) row.href = m.link;
      row.className = 'live-item';
      const b = document.createElement('b');
      b.textContent = m.title;
      row.appendChild(b);
      if (m.body) row.appendChild(document.createTextNode('　' + m.body));
      toast.appendChild(row);
    });
    const close = document.createElement('button');
    close.type = 'button'; close.className = 'secondary small'; close.textContent = '知道了';
    close.addEventListener('click', () => { toast.hidden = true; });
    toast.appendChild(close);
    toast.hidden = false;
  }

  function poll() {
    if (document.visibilityState !== 'visible' || !navigator.onLine) return;
    fetch(URL_LIVE, {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(r => (r.ok && (r.headers.get('Content-Type') || '').includes('json')) ? r.json() : null)
      .then(data => {
        if (!data) return;
        setCount(data.unread);
        const fresh = data.latest.filter(m => !seen.has(m.id));
        fresh.forEach(m => seen.add(m.id));
        if (!first && fresh.length) show(fresh);
        first = false;
      }).catch(() => {});
  }

  function start() {
    poll();
    clearInterval(timer);
    timer = setInterval(poll, 30000);
  }
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') poll(); });
  window.addEventListener('online', poll);
  window.Shanzhi = window.Shanzhi || {};
  window.Shanzhi.pollMessages = poll;
  start();
})();
