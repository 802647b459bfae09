/* The phone's offline queue (field roles only).
 *
 * Every report, patrol start/check-in/finish, batch of track points and (without a signal) loop
 * action is first written to IndexedDB on the phone with a key made here, the time and the place
 * it was made, and its photos (compressed here, before they are kept). Then the queue is sent in
 * the order it was made, one item at a time, to /field/sync/; the server carries out each key once
 * and answers a second copy with the first answer. "待同步 N" shows what is still on the phone; an
 * item refused or in conflict (someone acted on the case meanwhile) stays, with the reason, on the
 * queue page until the worker deals with it — nothing is dropped silently.
 *
 * Text goes into the page as text, never as HTML. */
(function () {
  'use strict';
  const S = (window.Shanzhi = window.Shanzhi || {});
  const USER = document.body.dataset.user || '';
  const SYNC_URL = '/field/sync/';
  const MAX_RAW = 20 * 1024 * 1024, MAX_KEPT = 10 * 1024 * 1024, MAX_SIDE = 1600, MAX_PHOTOS = 6, KEEP_SENT = 30;
  const $ = id => document.getElementById(id);

  /* ------------------------------------------------------------------ storage */
  let dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = window.idb.openDB('shanzhi-field', 1, {
        upgrade(d) {
          d.createObjectStore('queue', {keyPath: 'key'});
          d.createObjectStore('sent', {keyPath: 'key'});
        },
      });
    }
    return dbPromise;
  }
  function storageError(e) {
    if (e && (e.name === 'QuotaExceededError' || /quota/i.test(e.message || ''))) {
      return new Error('手机存储空间已满，这条记录没有保存。请删除一些照片或清理存储后重试。');
    }
    return new Error('无法保存到手机（' + ((e && e.message) || '存储不可用') + '）');
  }
  async function allItems() {
    const items = await (await db()).getAll('queue');
    return items.filter(i => i.user === USER).sort((a, b) => a.seq - b.seq);
  }
  async function putItem(item) {
    try { await (await db()).put('queue', item); } catch (e) { throw storageError(e); }
  }
  async function sentItems() {
    const items = await (await db()).getAll('sent');
    return items.filter(i => i.user === USER).sort((a, b) => b.sent_at - a.sent_at);
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
  }
  let seqTick = 0;

  /* The last position the phone gave (a report's own position, taken by the form, comes first). */
  S.position = null;
  S.notePosition = function (p) {
    S.position = {lon: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy, t: p.timestamp};
  };

  /* Keep one thing to send. Resolves with the item once it is safely on the phone. */
  async function enqueue(kind, fields, {photos = [], label = '', lon = null, lat = null} = {}) {
    const pos = lon != null ? {lon, lat} : S.position;
    const item = {
      key: newKey(), user: USER, kind, fields, photos, label,
      made_at: Date.now(), seq: Date.now() * 1000 + (seqTick++ % 1000),
      lon: pos ? pos.lon : null, lat: pos ? pos.lat : null, state: 'pending', message: '',
    };
    await putItem(item);
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
    await refresh();
    return item;
  }

  /* ------------------------------------------------------------------ sending */
  let running = null, problem = '', pendingNow = 0;
  const listeners = [];
  S.onSent = fn => listeners.push(fn);

  async function sendOne(item) {
    const fd = new FormData();
    fd.append('key', item.key);
    fd.append('owner', item.user);
    fd.append('kind', item.kind);
    fd.append('made_at', String(item.made_at));
    if (item.lon != null && item.lat != null) { fd.append('lon', String(item.lon)); fd.append('lat', String(item.lat)); }
    fd.append('fields', JSON.stringify(item.fields || {}));
    (item.photos || []).forEach((blob, i) => fd.append('photos', blob, `photo-${i + 1}.jpg`));
    fd.append('sent_at', String(Date.now()));  // the server corrects a phone clock that is off
    let r;
    try {
      r = await fetch(SYNC_URL, {method: 'POST', body: fd, credentials: 'same-origin',
        headers: {'X-CSRFToken': S.csrf(), 'Accept': 'application/json'}});
    } catch (e) {
      return 'offline';
    }
    const data = (r.headers.get('Content-Type') || '').includes('json') ? await r.json().catch(() => null) : null;
    if (!data) {
      problem = r.status === 403 ? '页面已过期，请刷新页面后同步'
        : r.status === 429 ? '提交过于频繁，稍后自动重试'
          : `服务器暂时无法接收（HTTP ${r.status}），稍后自动重试`;
      if (r.status >= 500) {
        // One item the server cannot take must not hold up every later one for ever: after three
        // tries it is set aside, with the reason, on the queue page.
        item.failures = (item.failures || 0) + 1;
        if (item.failures >= 3) {
          item.state = 'refused';
          item.message = `服务器多次无法处理这条记录（HTTP ${r.status}），可稍后重新提交，或删除后重新上报`;
          await putItem(item);
          return 'next';
        }
        await putItem(item);
      }
      return 'stop';
    }
    if (r.status === 200 || r.status === 201) {
      const d = await db();
      await d.delete('queue', item.key);
      await d.put('sent', {key: item.key, user: USER, kind: item.kind, label: item.label, made_at: item.made_at,
        sent_at: Date.now(), message: data.message || '', url: data.url || '', duplicate: data.status === 'duplicate'});
      const old = (await sentItems()).slice(KEEP_SENT);
      for (const o of old) await d.delete('sent', o.key);
      listeners.forEach(fn => { try { fn(item, data); } catch (e) { /* a listener's fault is not the queue's */ } });
      return 'next';
    }
    if (r.status === 401) { problem = data.message || 'login'; return 'stop'; }
    if (r.status === 409 || ([400, 403, 404].includes(r.status) && data.status === 'refused')) {
      item.state = r.status === 409 ? 'conflict' : 'refused';
      item.message = data.message || '';
      item.errors = data.errors || {};
      await putItem(item);
      return 'next';
    }
    return 'stop';  // the server is busy or down: the whole queue waits, in order
  }

  /* Send everything still pending, oldest first; stops at the first item that cannot be sent now
   * (so a later item never overtakes an earlier one). */
  function sync() {
    if (running) return running;
    running = (async () => {
      problem = '';
      let sent = 0, stopped = false;
      const tried = new Set();
      // Items made while a sync runs are sent by the same run, after the ones before them.
      while (!stopped) {
        const next = (await allItems()).filter(i => i.state === 'pending' && !tried.has(i.key));
        if (!next.length) break;
        for (const item of next) {
          tried.add(item.key);
          const outcome = await sendOne(item);
          if (outcome === 'offline' || outcome === 'stop') { stopped = true; break; }
          sent++;
        }
      }
      return sent;
    })().catch(() => 0).finally(() => { running = null; refresh(); });
    return running;
  }

  /* ------------------------------------------------------------------ status */
  async function counts() {
    const items = await allItems();
    return {pending: items.filter(i => i.state === 'pending').length,
      problems: items.filter(i => i.state !== 'pending').length};
  }
  async function refresh() {
    const box = $('field-status');
    if (!box) return;
    const c = await counts().catch(() => ({pending: 0, problems: 0}));
    const offline = !navigator.onLine;
    pendingNow = c.pending;
    $('net-state').textContent = offline ? (c.pending ? '离线' : '离线：上报和打卡会保存在手机上') : '';
    $('sync-count').textContent = c.pending ? `待同步 ${c.pending}` : '';
    const probs = $('sync-problems');
    probs.textContent = c.problems ? `${c.problems} 条未能提交，请查看` : (problem === 'login' ? '登录已过期，请重新登录后同步' : problem);
    probs.classList.toggle('has-problems', !!c.problems);
    $('sync-count').hidden = !c.pending;  // an empty link is no link (nor a tab stop)
    probs.hidden = !probs.textContent;
    box.hidden = !(c.pending || c.problems || offline || problem);
    box.classList.toggle('offline', offline);
    document.dispatchEvent(new CustomEvent('field:queue', {detail: c}));
  }

  /* ------------------------------------------------------------------ photos */
  async function compress(file) {
    if (file.size > MAX_RAW) throw new Error('照片过大（上限 20 MB），请重拍或换一张');
    if (file.type && !file.type.startsWith('image/')) throw new Error('不是图片文件');
    let bmp;
    try {
      bmp = await createImageBitmap(file, {imageOrientation: 'from-image'});
    } catch (e) {
      throw new Error('不是有效的图片，无法读取');
    }
    const scale = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
    const w = Math.max(1, Math.round(bmp.width * scale)), h = Math.max(1, Math.round(bmp.height * scale));
    const canvas = document.createElement('canvas');
    canvas.width = w; canvas.height = h;
    canvas.getContext('2d').drawImage(bmp, 0, 0, w, h);
    if (bmp.close) bmp.close();
    const blob = await new Promise((ok, fail) => canvas.toBlob(
      b => (b ? ok(b) : fail(new Error('照片处理失败'))), 'image/jpeg', 0.8));
    if (blob.size > MAX_KEPT) throw new Error('照片过大（上限 10 MB）');
    return blob;
  }

  /* A photo field of a queued form: the camera opens directly (capture), each photo is checked and
   * compressed when it is taken and shown as a thumbnail that can be removed. */
  function photoPicker(input) {
    const list = [];
    const box = document.createElement('div');
    box.className = 'photo-list';
    const err = document.createElement('span');
    err.className = 'err photo-error';
    err.setAttribute('role', 'alert');
    // The input itself stays (its label names it) but is not shown: the browser's own "choose
    // files" text is in the browser's language; a button in ours opens the camera through it.
    const pick = document.createElement('button');
    pick.type = 'button';
    pick.className = 'secondary photo-pick';
    pick.textContent = '📷 拍照 / 选择照片';
    if (input.id) pick.setAttribute('aria-describedby', input.id + '-count');
    pick.addEventListener('click', () => input.click());
    const count = document.createElement('span');
    count.className = 'muted';
    count.id = (input.id || 'photos') + '-count';
    count.setAttribute('aria-live', 'polite');
    input.classList.add('visually-hidden');
    input.tabIndex = -1;
    input.after(pick);
    pick.after(' ', count);
    count.after(box);
    box.after(err);
    input.removeAttribute('name');  // the form's own photo list is sent, not the input's files
    function render() {
      box.textContent = '';
      count.textContent = list.length ? `已选 ${list.length} 张（最多 ${MAX_PHOTOS} 张）` : '';
      list.forEach((blob, i) => {
        const fig = document.createElement('span');
        fig.className = 'photo-thumb';
        const img = document.createElement('img');
        img.src = URL.createObjectURL(blob);
        img.alt = `照片 ${i + 1}`;
        const rm = document.createElement('button');
        rm.type = 'button'; rm.className = 'secondary small'; rm.textContent = '删除';
        rm.setAttribute('aria-label', `删除照片 ${i + 1}`);
        rm.addEventListener('click', () => { list.splice(i, 1); render(); });
        fig.append(img, rm);
        box.appendChild(fig);
      });
    }
    input.addEventListener('change', async () => {
      err.textContent = '';
      const problems = [];
      for (const file of Array.from(input.files || [])) {
        if (list.length >= MAX_PHOTOS) { problems.push(`最多 ${MAX_PHOTOS} 张照片`); break; }
        try { list.push(await compress(file)); } catch (e) { problems.push(`${file.name}：${e.message}`); }
      }
      err.textContent = problems.join('；');
      input.value = '';
      render();
    });
    return {list, clear() { list.length = 0; render(); err.textContent = ''; }};
  }

  /* ------------------------------------------------------------------ forms */
  function fieldsOf(form, submitter) {
    const out = {};
    const fd = submitter ? new FormData(form, submitter) : new FormData(form);
    for (const [name, value] of fd.entries()) {
      if (name === 'csrfmiddlewaretoken' || typeof value !== 'string') continue;
      if (name in out) out[name] = [].concat(out[name], value);
      else out[name] = value;
    }
    return out;
  }

  function say(form, text, cls) {
    let box = form.querySelector('.queue-msg');
    if (!box) {
      box = document.createElement('div');
      box.setAttribute('role', 'status');
      form.prepend(box);
    }
    box.className = `msg ${cls || 'success'} queue-msg`;
    box.textContent = text;
  }

  function showErrors(form, errors, message) {
    form.querySelectorAll('.field-error').forEach(e => e.remove());
    let rest = [];
    Object.entries(errors || {}).forEach(([name, text]) => {
      const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
      if (input && input.type !== 'hidden') {
        const e = document.createElement('span');
        e.className = 'err field-error'; e.setAttribute('role', 'alert'); e.textContent = text;
        input.setAttribute('aria-invalid', 'true');
        input.after(e);
      } else rest.push(text);
    });
    if (rest.length || !errors || !Object.keys(errors).length) say(form, rest.join('；') || message, 'error');
  }

  /* Wait for one item's answer (while it is being sent now). */
  async function outcome(item) {
    await sync();
    const d = await db();
    const sent = await d.get('sent', item.key);
    if (sent) return {state: 'sent', url: sent.url, message: sent.message};
    const left = await d.get('queue', item.key);
    return left ? {state: left.state, message: left.message, errors: left.errors} : {state: 'gone'};
  }

  const forms = new WeakMap();
  function enhance(form) {
    if (forms.has(form)) return;
    const input = form.querySelector('input[type=file][name=photos]');
    forms.set(form, {photos: input ? photoPicker(input) : null});
  }

  /* A report (or any form marked data-queue): kept on the phone, sent now if there is a signal;
   * accepted at once, it opens the result as before; without a signal the form empties for the next one. */
  /* What can be checked on the phone is checked before anything is kept: a required field left
   * empty, a report with no place at all. The reasons go beside the fields. */
  function check(form, fields, submitter) {
    const errors = {};
    form.querySelectorAll('[required]').forEach(el => {
      // A field inside a <details> belongs to the button in there (发现问题 → 上报问题), not to the others.
      const part = el.closest('details');
      if (part && !(submitter && part.contains(submitter))) return;
      if (el.name && !String(fields[el.name] || '').trim()) {
        const label = form.querySelector(`label[for="${CSS.escape(el.id)}"]`);
        errors[el.name] = `请填写${label ? label.textContent.trim() : '此项'}`;
      }
    });
    if (form.dataset.needPlace !== undefined && !fields.lon && !String(fields.address_text || '').trim()) {
      errors.address_text = '请获取当前位置，或填写位置描述';
    }
    return errors;
  }

  async function submitQueued(form, submitter) {
    const state = forms.get(form) || {};
    const kind = form.dataset.queue;
    const fields = fieldsOf(form, submitter);
    const problems = check(form, fields, submitter);
    if (Object.keys(problems).length) {
      showErrors(form, problems, '');
      return;
    }
    form.querySelectorAll('.field-error').forEach(e => e.remove());
    form.querySelectorAll('[aria-invalid]').forEach(e => e.removeAttribute('aria-invalid'));
    const old = form.querySelector('.queue-msg');
    if (old) old.remove();
    const label = form.dataset.label || (fields.description || '').slice(0, 30) || kind;
    const lon = fields.lon ? parseFloat(fields.lon) : null, lat = fields.lat ? parseFloat(fields.lat) : null;
    const button = submitter || form.querySelector('button[type=submit],button:not([type])');
    if (button) button.disabled = true;
    let item;
    try {
      item = await enqueue(kind, fields, {photos: state.photos ? state.photos.list.slice() : [], label,
        lon: lon != null && lat != null ? lon : null, lat: lon != null && lat != null ? lat : null});
    } catch (e) {
      say(form, e.message, 'error');
      if (button) button.disabled = false;
      return;
    }
    if (navigator.onLine) say(form, '正在提交…', 'info');
    const result = navigator.onLine ? await outcome(item) : {state: 'pending'};
    if (button) button.disabled = false;
    if (result.state === 'sent') {
      if (form.dataset.after === 'stay') {
        form.reset();
        if (state.photos) state.photos.clear();
        form.querySelectorAll('details[open]').forEach(d => { d.open = false; });
        say(form, result.message);
        form.dispatchEvent(new CustomEvent('field:done', {detail: {item}}));
      }
      else if (result.url) window.location.assign(result.url);
      return;
    }
    if (result.state === 'refused' || result.state === 'conflict') {
      // The worker is right here: the reasons beside the fields, the item off the queue.
      await (await db()).delete('queue', item.key);
      await refresh();
      showErrors(form, result.errors, result.message);
      return;
    }
    form.reset();
    if (state.photos) state.photos.clear();
    form.querySelectorAll('details[open]').forEach(d => { d.open = false; });
    const c = await counts();
    say(form, `已保存在手机上，有信号时自动上报（待同步 ${c.pending}）`);
    form.dispatchEvent(new CustomEvent('field:queued', {detail: {item}}));
  }

  /* A loop action (the case page's panel) made without a signal: queued with the version the
   * worker saw; if someone acted meanwhile the server answers with a conflict, shown on the queue page. */
  async function queueAction(form, submitter) {
    const m = (form.getAttribute('action') || '').match(/\/incidents\/(\d+)\/act\/(\w+)\//);
    if (!m) return false;
    const state = forms.get(form) || {};
    const fields = Object.assign(fieldsOf(form, submitter), {incident: m[1], action: m[2]});
    const numbered = document.querySelector('[data-number]');
    const label = `${numbered ? numbered.dataset.number : '事件'} · ${(submitter && submitter.textContent.trim()) || m[2]}`;
    try {
      await enqueue('action', fields, {photos: state.photos ? state.photos.list.slice() : [], label});
    } catch (e) {
      say(form, e.message, 'error');
      return true;
    }
    form.reset();
    if (state.photos) state.photos.clear();
    say(form, '没有信号：已保存在手机上，恢复网络后按顺序提交；如有他人先办理，会提示您');
    lockPanel(m[1]);
    return true;
  }

  document.addEventListener('submit', e => {
    const form = e.target;
    if (form.dataset.queue) {
      e.preventDefault();
      e.stopImmediatePropagation();
      submitQueued(form, e.submitter);
    } else if (form.matches('form.act') && !navigator.onLine) {
      e.preventDefault();
      e.stopImmediatePropagation();
      queueAction(form, e.submitter);
    }
  }, true);

  /* A case with an action waiting on this phone: its panel says so and takes no second one (which
   * would only come back as a conflict with oneself). */
  function lockPanel(incidentId) {
    document.querySelectorAll('form.act').forEach(f => {
      if ((f.getAttribute('action') || '').includes(`/incidents/${incidentId}/act/`)) {
        f.querySelectorAll('button,input,select,textarea').forEach(el => { el.disabled = true; });
      }
    });
    const panel = document.getElementById('action-panel');
    if (panel && !panel.querySelector('.queued-note')) {
      const note = document.createElement('div');
      note.className = 'msg info queued-note';
      note.setAttribute('role', 'status');
      note.textContent = '此事件有一条办理保存在手机上，等待同步；同步后再办理其他事项。';
      panel.prepend(note);
    }
  }
  async function lockQueuedCases() {
    const forms = Array.from(document.querySelectorAll('form.act'));
    if (!forms.length) return;
    const ids = new Set((await allItems()).filter(i => i.kind === 'action' && i.state === 'pending')
      .map(i => String(i.fields.incident)));
    forms.forEach(f => {
      const m = (f.getAttribute('action') || '').match(/\/incidents\/(\d+)\/act\//);
      if (m && ids.has(m[1])) lockPanel(m[1]);
    });
  }

  function enhanceAll(root) {
    (root || document).querySelectorAll('form[data-queue], form.act').forEach(enhance);
  }

  /* ------------------------------------------------------------------ this phone, this person */
  function forgetPages() {
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({type: 'forget-pages'});
    }
  }
  document.addEventListener('submit', e => {
    if (!e.target.matches('form[action$="/logout/"]')) return;
    // Decided at once (the count is kept current), so that 取消 really stops the sign-out.
    if (pendingNow && !window.confirm(`还有 ${pendingNow} 条记录没有同步。退出后它们留在这部手机上，您下次登录时再同步。确定退出？`)) {
      e.preventDefault();
      e.stopImmediatePropagation();
      return;
    }
    forgetPages();
  }, true);
  try {
    // Pages kept for someone else who signed in on this phone are not shown to this person.
    const owner = localStorage.getItem('shanzhi.pages-owner');
    if (owner && owner !== USER) forgetPages();
    localStorage.setItem('shanzhi.pages-owner', USER);
  } catch (e) { /* private mode: nothing kept, nothing to forget */ }

  /* ------------------------------------------------------------------ start */
  const WARM = ['/work/', '/incidents/new/', '/incidents/patrols/', '/messages/', '/field/queue/', '/'];
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js', {scope: '/'}).catch(() => {});
    // The field pages fetched ahead once in a while, so that a page never opened with a signal
    // still opens without one.
    navigator.serviceWorker.ready.then(reg => {
      let last = 0;
      try { last = parseInt(sessionStorage.getItem('shanzhi.warmed') || '0', 10); } catch (e) { /* none */ }
      if (navigator.onLine && reg.active && Date.now() - last > 10 * 60 * 1000) {
        reg.active.postMessage({type: 'warm', urls: WARM});
        try { sessionStorage.setItem('shanzhi.warmed', String(Date.now())); } catch (e) { /* none */ }
      }
    }).catch(() => {});
  }
  window.addEventListener('online', () => { refresh(); sync(); });
  window.addEventListener('offline', refresh);
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') sync(); });
  document.body.addEventListener('htmx:afterSwap', e => enhanceAll(e.target));
  setInterval(() => { if (navigator.onLine) sync(); }, 20000);

  S.field = {enqueue, sync, allItems, sentItems, counts, refresh, compress, db,
    remove: async key => { await (await db()).delete('queue', key); await refresh(); },
    retry: async key => {
      const d = await db(); const item = await d.get('queue', key);
      if (item) { item.state = 'pending'; item.message = ''; await d.put('queue', item); }
      await refresh(); return sync();
    }};
  enhanceAll();
  lockQueuedCases().catch(() => {});
  refresh().then(() => { if (navigator.onLine) sync(); });
  document.dispatchEvent(new CustomEvent('field:ready'));
  S.fieldReady = true;
})();

/* The queue page: what this phone still holds, what came back refused or in conflict, what was sent. */
(function () {
  'use strict';
  const S = window.Shanzhi || {};
  const app = document.getElementById('queue-app');
  if (!app || !S.field) return;
  const KIND = {report: '上报事件', patrol_start: '开始巡查', patrol_check: '巡查打卡', track: '巡查轨迹',
    patrol_finish: '结束巡查', action: '办理'};
  const time = ms => new Date(ms).toLocaleString('zh-CN', {month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit'});
  function row(item, buttons) {
    const li = document.createElement('li');
    li.className = 'queue-item';
    li.dataset.key = item.key;
    const head = document.createElement('div');
    const b = document.createElement('b');
    const kind = KIND[item.kind] || item.kind;
    b.textContent = (item.label || '').startsWith(kind) ? item.label : `${kind}：${item.label || ''}`;
    head.append(b, document.createTextNode(`　${time(item.made_at)}`));
    if (item.photos && item.photos.length) head.append(document.createTextNode(`　照片 ${item.photos.length} 张`));
    li.appendChild(head);
    const said = item.fields && (item.fields.description || item.fields.note);
    if (said && !item.sent_at) {
      const d = document.createElement('div');
      d.className = 'muted'; d.textContent = said;
      li.appendChild(d);
    }
    (item.sent_at ? [] : item.photos || []).forEach((blob, i) => {
      const img = document.createElement('img');
      img.className = 'queue-photo'; img.alt = `照片 ${i + 1}`; img.src = URL.createObjectURL(blob);
      li.appendChild(img);
    });
    if (item.message) {
      const m = document.createElement('div');
      m.className = item.state === 'conflict' ? 'err' : (item.sent_at ? 'ok' : 'err');
      m.textContent = (item.state === 'conflict' ? '冲突：' : '') + item.message;
      li.appendChild(m);
    }
    if (item.url) {
      const a = document.createElement('a');
      a.href = item.url; a.textContent = '查看';
      li.appendChild(a);
    }
    buttons.forEach(([text, fn, cls]) => {
      const btn = document.createElement('button');
      btn.type = 'button'; btn.className = cls || 'secondary small'; btn.textContent = text;
      btn.addEventListener('click', async () => { await fn(item); render(); });
      li.append(' ', btn);
    });
    return li;
  }
  function fill(id, rows, empty) {
    const ul = document.getElementById(id);
    ul.textContent = '';
    if (!rows.length) {
      const li = document.createElement('li');
      li.className = 'muted'; li.textContent = empty;
      ul.appendChild(li);
    }
    rows.forEach(r => ul.appendChild(r));
  }
  async function render() {
    const items = await S.field.allItems();
    fill('queue-pending', items.filter(i => i.state === 'pending').map(i => row(i, [])), '没有等待提交的记录');
    fill('queue-problems', items.filter(i => i.state !== 'pending').map(i => row(i, [
      ['重新提交', it => S.field.retry(it.key), 'small'],
      ['删除', it => (window.confirm('删除后这条记录不会再提交，确定删除？') ? S.field.remove(it.key) : null)],
    ])), '没有');
    fill('queue-sent', (await S.field.sentItems()).map(i => row(i, [])), '还没有');
  }
  document.getElementById('sync-now').addEventListener('click', () => S.field.sync().then(render));
  document.addEventListener('field:queue', render);
  render();
})();
