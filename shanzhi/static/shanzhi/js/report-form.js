/* The report form: the device's position (taken at once when the phone already allows it), the
 * grid card of where one stands, or a standard address from the picker. */
(function () {
  'use strict';
  const $ = id => document.getElementById(id);
  const S = window.Shanzhi || {};
  const input = $('id_address_text'), options = $('addr-options');
  if (input && options) {
    options.addEventListener('click', e => {
      const b = e.target.closest('.addr-option');
      if (!b) return;
      input.value = b.dataset.text; $('id_lon').value = b.dataset.lon; $('id_lat').value = b.dataset.lat;
      $('id_crs').value = 'wgs84'; $('loc-text').textContent = '已按标准地址定位'; options.textContent = '';
    });
  }
  function hereCard(lon, lat) {
    const card = $('here-card');
    if (!card) return;
    if (!navigator.onLine) {
      card.hidden = false;
      card.textContent = '离线：位置已记下，所属网格在同步后确定';
      return;
    }
    fetch(`/geo/grids/here/?lon=${lon}&lat=${lat}`, {credentials: 'same-origin', redirect: 'error',
      headers: {'X-Requested-With': 'fetch'}})
      .then(r => (r.ok && !r.redirected ? r.text() : Promise.reject()))
      .then(html => {
        // The server's own partial (escaped by its templates), parsed without running anything.
        const doc = new DOMParser().parseFromString(html, 'text/html');
        card.replaceChildren(...doc.body.childNodes);
        card.hidden = false;
      }).catch(() => {});
  }
  function locate() {
    const t = $('loc-text');
    if (!navigator.geolocation) { t.textContent = '此设备不支持定位，请填写位置描述'; return; }
    t.textContent = '定位中…';
    navigator.geolocation.getCurrentPosition(p => {
      if (S.notePosition) S.notePosition(p);
      $('id_lon').value = p.coords.longitude.toFixed(7); $('id_lat').value = p.coords.latitude.toFixed(7); $('id_crs').value = 'wgs84';
      t.textContent = `已定位：${p.coords.longitude.toFixed(5)}, ${p.coords.latitude.toFixed(5)}（±${Math.round(p.coords.accuracy)} 米）`;
      hereCard(p.coords.longitude.toFixed(7), p.coords.latitude.toFixed(7));
    }, e => { t.textContent = '定位失败（' + e.message + '），请填写位置描述或选择标准地址'; },
    {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  }
  function locateIfAllowed() {
    if (navigator.permissions) {
      navigator.permissions.query({name: 'geolocation'}).then(s => { if (s.state === 'granted') locate(); }).catch(() => {});
    }
  }
  const btn = $('locate-btn');
  if (btn) {
    btn.addEventListener('click', locate);
    locateIfAllowed();
  }
  const form = $('report-form');
  if (form) form.addEventListener('field:queued', () => {
    // The form is empty for the next report (a reset keeps hidden fields: the last position is
    // cleared by hand): where the worker stands now, again.
    $('id_lon').value = ''; $('id_lat').value = ''; $('id_crs').value = 'wgs84';
    const card = $('here-card');
    if (card) { card.hidden = true; card.textContent = ''; }
    $('loc-text').textContent = '未定位（也可只填写位置描述）';
    locateIfAllowed();
  });
})();
