/* The waiting-hall screen: polls the hall's JSON every three seconds and shows it as text; a new
   call (or a recall) flashes and, once switched on, is spoken aloud. The ticket slip reloads
   itself now and then and prints on request. */
(function () {
  'use strict';
  const root = document.getElementById('screen');
  const slip = document.getElementById('ticket');
  document.addEventListener('click', e => {
    if (e.target.matches('[data-print]')) window.print();
  });
  if (slip) {
    const every = parseInt(slip.dataset.refresh || '15', 10) * 1000;
    setTimeout(() => window.location.reload(), every);
  }
  if (!root) return;
  let speech = false;
  let lastKey = null;
  const text = (el, value) => { el.textContent = value == null ? '' : String(value); };
  const say = call => {
    if (!speech || !('speechSynthesis' in window)) return;
    const spoken = '请 ' + call.number.split('').join(' ') + ' 号，到 ' + call.window + ' 号窗口办理';
    const u = new SpeechSynthesisUtterance(spoken);
    u.lang = 'zh-CN';
    window.speechSynthesis.speak(u);
  };
  const render = data => {
    const now = document.getElementById('screen-call');
    const first = data.calls[0];
    text(now, first ? first.number + ' → ' + first.window + '号窗口' : '—');
    if (first && first.key !== lastKey) {
      if (lastKey !== null) {
        now.classList.remove('flash');
        void now.offsetWidth; // restart the animation
        now.classList.add('flash');
        say(first);
      }
      lastKey = first.key;
    }
    const grid = document.getElementById('screen-windows');
    grid.replaceChildren(...data.windows.map(w => {
      const box = document.createElement('div');
      box.className = 'screen-window' + (w.open ? '' : ' closed');
      const label = document.createElement('span');
      text(label, w.number + '号窗口');
      const num = document.createElement('b');
      text(num, w.open ? (w.serving || '—') : '暂停服务');
      box.append(label, num);
      return box;
    }));
    text(document.getElementById('screen-waiting'), data.waiting_total);
    text(document.getElementById('screen-estimate'), data.estimate_minutes);
    const recent = document.getElementById('screen-recent');
    recent.replaceChildren(...data.calls.slice(1).map(c => {
      const i = document.createElement('i');
      text(i, c.number + '→' + c.window);
      return i;
    }));
    text(document.getElementById('screen-clock'), data.now.slice(11, 16));
    document.getElementById('screen-closed').hidden = !!data.open;
    text(document.getElementById('screen-served'), data.served_today);
    root.classList.toggle('offline', false);
  };
  const initial = window.Shanzhi.data('screen-data');
  if (initial) render(initial);
  const poll = () => fetch(root.dataset.url, {cache: 'no-store'})
    .then(r => (r.ok ? r.json() : Promise.reject(r.status)))
    .then(render)
    .catch(() => root.classList.add('offline'))
    .finally(() => setTimeout(poll, 3000));
  setTimeout(poll, 3000);
  const button = document.getElementById('speech-on');
  if (button) button.addEventListener('click', () => {
    speech = !speech;
    button.textContent = speech ? '关闭语音播报' : '开启语音播报';
  });
})();
