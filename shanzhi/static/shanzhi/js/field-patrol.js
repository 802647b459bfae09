/* A patrol on the phone, with or without a signal: start, check the items, the track recorded
 * while the page is open (and picked up again after a reload), distance and time, finish.
 *
 * The round lives on the phone (localStorage) from the moment it starts; every step goes through
 * the offline queue (field.js). A round started without a signal is named by the key of its start
 * until the server has numbered it: check-ins sent later carry that key and the server finds the
 * round by it. */
(function () {
  'use strict';
  const S = window.Shanzhi || {};
  const app = document.getElementById('patrol-app');
  if (!app || !S.field) return;
  const USER = document.body.dataset.user;
  const STORE = `shanzhi.patrol.${USER}`;
  const TRACK_EVERY = 30000, MIN_STEP_M = 5;

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE) || 'null'); } catch (e) { return null; }
  }
  function save(st) {
    try {
      if (st) localStorage.setItem(STORE, JSON.stringify(st));
      else localStorage.removeItem(STORE);
    } catch (e) {
      const gps = document.querySelector('.patrol-sheet:not([hidden]) .p-gps');
      if (gps) gps.textContent = '手机存储空间已满：轨迹暂时无法保存';
    }
  }
  function metres(a, b) {
    const r = Math.PI / 180, dLat = (b[1] - a[1]) * r, dLon = (b[0] - a[0]) * r;
    const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * r) * Math.cos(b[1] * r) * Math.sin(dLon / 2) ** 2;
    return 2 * 6371000 * Math.asin(Math.sqrt(h));
  }
  function length(points) {
    let d = 0;
    for (let i = 1; i < points.length; i++) d += metres(points[i - 1], points[i]);
    return d;
  }

  // The round: the server's open one (this page was rendered with a signal), else the phone's own.
  let st = load();
  const serverRound = app.dataset.openRound;
  if (serverRound && !(st && (st.round === serverRound || st.key))) {
    st = {round: serverRound, key: '', grid: app.dataset.openGrid, started: parseInt(app.dataset.openStart, 10) * 1000,
      checks: {}, points: [], unsent: []};
  }
  // Rendered just now with a signal and the server has no open round of mine: a round the phone
  // still shows was finished elsewhere (its start, if still queued here, keeps it).
  const fresh = Date.now() / 1000 - parseInt(app.dataset.rendered || '0', 10) < 120;
  if (st && !serverRound && fresh && st.round && !st.key) st = null;
  if (st && serverRound && st.round === serverRound) {
    (S.data('patrol-checked') || []).forEach(id => { if (!st.checks[id]) st.checks[id] = {ok: true, synced: true}; });
  }
  save(st);

  const startForm = document.getElementById('patrol-start');
  const finished = document.getElementById('patrol-finished');
  let sheet = null, watch = null, tick = null, flusher = null;

  function roundFields() {
    return st.round && !st.key ? {round: String(st.round)} : {round_key: st.key};
  }

  function paint() {
    document.querySelectorAll('.patrol-sheet').forEach(s => { s.hidden = true; });
    if (!st) {
      if (startForm) startForm.hidden = false;
      return;
    }
    if (startForm) startForm.hidden = true;
    sheet = document.querySelector(`.patrol-sheet[data-grid="${CSS.escape(String(st.grid))}"]`);
    if (!sheet) return;
    sheet.hidden = false;
    const fields = roundFields();
    sheet.querySelectorAll('form.patrol-check').forEach(f => {
      f.querySelector('[name=round]').defaultValue = fields.round || '';
      f.querySelector('[name=round_key]').defaultValue = fields.round_key || '';
    });
    const items = sheet.querySelectorAll('.patrol-item');
    let done = 0;
    items.forEach(li => {
      const c = st.checks[li.dataset.item];
      const form = li.querySelector('form');
      const label = li.querySelector('.check-state');
      if (c) {
        done++;
        if (form) form.hidden = true;
        label.textContent = c.ok ? '✓ 正常' : '✗ 已上报问题';
        label.className = 'check-state ' + (c.ok ? 'ok' : 'err');
      } else {
        if (form) form.hidden = false;
        label.textContent = '';
      }
    });
    sheet.querySelector('.p-done').textContent = `${done}/${items.length}`;
    stats();
  }

  function stats() {
    if (!sheet || !st) return;
    const s = Math.max(0, Math.floor((Date.now() - st.started) / 1000));
    const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
    sheet.querySelector('.p-time').textContent = hh ? `${hh}:${String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')}`
      : `${mm}:${String(ss).padStart(2, '0')}`;
    sheet.querySelector('.p-dist').textContent = String(Math.round(length(st.points)));
    sheet.querySelector('.p-points').textContent = String(st.points.length);
  }

  /* Points wait on the phone and go into the queue as one item every half minute. */
  async function flushTrack() {
    if (!st || !st.unsent.length) return;
    const points = st.unsent.map(p => ({lon: p[0], lat: p[1], t: p[2]}));
    const fields = Object.assign(roundFields(), {points: JSON.stringify(points)});
    st.unsent = [];
    save(st);
    try {
      await S.field.enqueue('track', fields, {label: `巡查轨迹 ${points.length} 个点`});
    } catch (e) {
      st.unsent = points.map(p => [p.lon, p.lat, p.t]).concat(st.unsent);
      save(st);
    }
  }

  function record() {
    if (watch !== null || !navigator.geolocation) return;
    const gps = sheet && sheet.querySelector('.p-gps');
    watch = navigator.geolocation.watchPosition(p => {
      if (!st) return;
      S.notePosition(p);
      const point = [+p.coords.longitude.toFixed(7), +p.coords.latitude.toFixed(7), Math.floor(p.timestamp / 1000)];
      const last = st.points[st.points.length - 1];
      if (last && metres(last, point) < MIN_STEP_M) return;
      st.points.push(point);
      st.unsent.push(point);
      save(st);
      if (gps) gps.textContent = `定位精度 ±${Math.round(p.coords.accuracy)} 米`;
      stats();
    }, e => { if (gps) gps.textContent = '无法定位（' + e.message + '）：打卡照常记录，轨迹暂缺'; },
    {enableHighAccuracy: true, maximumAge: 10000});
  }

  function run() {
    paint();
    if (!st) return;
    record();
    clearInterval(tick); tick = setInterval(stats, 1000);
    clearInterval(flusher); flusher = setInterval(flushTrack, TRACK_EVERY);
    if (st.unsent.length) setTimeout(flushTrack, 1000);  // left over from the last page
  }

  function stop() {
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    watch = null;
    clearInterval(tick); clearInterval(flusher);
  }

  if (startForm) startForm.addEventListener('submit', async e => {
    e.preventDefault();
    const grid = startForm.querySelector('[name=grid]');
    const name = grid.options[grid.selectedIndex] ? grid.options[grid.selectedIndex].textContent : '';
    let item;
    try {
      item = await S.field.enqueue('patrol_start', {grid: grid.value}, {label: `开始巡查：${name}`});
    } catch (err) {
      finished.hidden = false; finished.className = 'msg error'; finished.textContent = err.message;
      return;
    }
    st = {round: '', key: item.key, grid: grid.value, started: item.made_at, checks: {}, points: [], unsent: []};
    save(st);
    finished.hidden = true;
    run();
    S.field.sync();
  });

  // A check-in kept (or sent at once): marked on the phone, so it stays marked after a reload.
  function marked(e) {
    const form = e.target;
    const li = form.closest('.patrol-item');
    if (!li || !st) return;
    const item = (e.detail && e.detail.item) || {};
    st.checks[li.dataset.item] = {ok: (item.fields || {}).ok !== '0', at: item.made_at || Date.now()};
    save(st);
    paint();
  }
  document.querySelectorAll('form.patrol-check').forEach(f => {
    f.addEventListener('field:queued', marked);
    f.addEventListener('field:done', marked);
  });

  document.querySelectorAll('.p-finish').forEach(b => b.addEventListener('click', async () => {
    if (!st) return;
    const open = Array.from(sheet.querySelectorAll('.patrol-item')).filter(li => !st.checks[li.dataset.item]).length;
    if (open && !window.confirm(`还有 ${open} 个事项没有检查，确定结束巡查？`)) return;
    await flushTrack();
    const dist = Math.round(length(st.points)), minutes = Math.round((Date.now() - st.started) / 60000);
    try {
      await S.field.enqueue('patrol_finish', roundFields(), {label: '结束巡查'});
    } catch (err) {
      window.alert(err.message);
      return;
    }
    stop();
    st = null;
    save(null);
    paint();
    finished.hidden = false; finished.className = 'msg success';
    finished.textContent = `巡查已结束：用时 ${minutes} 分钟，里程 ${dist} 米。` +
      (navigator.onLine ? '' : '记录已保存在手机上，有信号时自动同步。');
    S.field.sync();
  }));

  // The server numbered a round started without a signal: nothing to change (its key still finds
  // it), but a round the server reports as already finished elsewhere is let go.
  S.onSent((item, data) => {
    if (st && item.kind === 'patrol_start' && item.key === st.key && data.round) { st.round = String(data.round); save(st); }
  });
  // Points not yet queued stay in the round's state on the phone and go with the next batch, on
  // whichever page load comes next: nothing is attempted while the page is being closed.
  run();
})();
