/* 随手拍: the citizen's position from the phone, and the form's checks before it is sent (the
   server checks again; its messages appear in the same places). Messages go beside their field
   (aria-invalid + aria-describedby) and are listed at the top, which takes the focus. */
(function () {
  'use strict';
  const form = document.getElementById('public-form');
  const done = document.getElementById('report-done');
  if (done) done.focus();
  if (!form) return;

  const summary = document.getElementById('error-summary');
  const list = document.getElementById('error-list');
  const MOBILE = /^1[3-9]\d{9}$/;

  /* The page came back from the server with errors: start at the list of them. */
  if (summary && !summary.hidden) summary.focus();

  function setError(id, message) {
    const input = document.getElementById(id);
    const slot = document.getElementById(id + '-error');
    if (slot) slot.textContent = message || '';
    if (input) {
      if (message) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
  }

  function showSummary(errors) {
    while (list.firstChild) list.removeChild(list.firstChild);
    errors.forEach(([id, message]) => {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = '#' + id;
      a.textContent = message;
      li.appendChild(a);
      list.appendChild(li);
    });
    summary.hidden = !errors.length;
    if (errors.length) summary.focus();
  }

  /* A link in the list moves the focus to its field (not only the scroll position). */
  if (summary) {
    summary.addEventListener('click', e => {
      const a = e.target.closest('a[href^="#"]');
      const field = a && document.getElementById(a.getAttribute('href').slice(1));
      if (!field) return;
      e.preventDefault();
      field.focus();
      field.scrollIntoView({block: 'center'});
    });
  }

  function value(id) {
    const el = document.getElementById(id);
    return el ? el.value.trim() : '';
  }

  function check() {
    const errors = [];
    const phone = value('phone').replace(/[\s-]/g, '').replace(/^\+86/, '');
    if (!phone) errors.push(['phone', '请填写手机号']);
    else if (!MOBILE.test(phone)) errors.push(['phone', '手机号应为 11 位，以 13–19 开头']);
    const code = value('code');
    if (!code) errors.push(['code', '请填写短信验证码（先点“获取验证码”）']);
    else if (!/^\d{6}$/.test(code)) errors.push(['code', '验证码应为 6 位数字']);
    if (!value('description')) errors.push(['description', '请描述问题']);
    if (!value('address_text') && !(value('lon') && value('lat'))) {
      errors.push(['address_text', '请填写地点，或点“使用当前位置”']);
    }
    ['phone', 'code', 'description', 'address_text'].forEach(id => {
      const found = errors.find(([field]) => field === id);
      setError(id, found ? found[1] : '');
    });
    return errors;
  }

  form.addEventListener('submit', e => {
    const errors = check();
    if (errors.length) {
      e.preventDefault();
      showSummary(errors);
    }
  });

  /* The code request's answer (htmx puts it in #code-msg): a refused number marks the field. */
  document.body.addEventListener('htmx:afterSwap', e => {
    const target = e.detail && e.detail.target;
    if (!target || target.id !== 'code-msg') return;
    const phone = document.getElementById('phone');
    if (target.querySelector('.err')) phone.setAttribute('aria-invalid', 'true');
    else if (!document.getElementById('phone-error').textContent) phone.removeAttribute('aria-invalid');
  });

  const btn = document.getElementById('locate');
  if (!btn) return;
  btn.addEventListener('click', () => {
    const t = document.getElementById('loc');
    if (!navigator.geolocation) { t.textContent = '无法定位，请填写地址'; return; }
    t.textContent = '定位中…';
    navigator.geolocation.getCurrentPosition(p => {
      document.getElementById('lon').value = p.coords.longitude.toFixed(7);
      document.getElementById('lat').value = p.coords.latitude.toFixed(7);
      t.textContent = '已定位';
    }, () => { t.textContent = '定位失败，请填写地址'; });
  });
})();
