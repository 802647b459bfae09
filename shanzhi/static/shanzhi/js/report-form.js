/* The grid worker's report form: device position, or a standard address from the picker. */
(function () {
  'use strict';
  const $ = id => document.getElementById(id);
  const input = $('id_address_text'), options = $('addr-options');
  if (input && options) {
    options.addEventListener('click', e => {
      const b = e.target.closest('.addr-option');
      if (!b) return;
      input.value = b.dataset.text; $('id_lon').value = b.dataset.lon; $('id_lat').value = b.dataset.lat;
      $('id_crs').value = 'wgs84'; $('loc-text').textContent = '已按标准地址定位'; options.textContent = '';
    });
  }
  const btn = $('locate-btn');
  if (btn) btn.addEventListener('click', () => {
    const t = $('loc-text');
    if (!navigator.geolocation) { t.textContent = '此设备不支持定位'; return; }
    t.textContent = '定位中…';
    navigator.geolocation.getCurrentPosition(p => {
      $('id_lon').value = p.coords.longitude.toFixed(7); $('id_lat').value = p.coords.latitude.toFixed(7); $('id_crs').value = 'wgs84';
      t.textContent = `已定位：${p.coords.longitude.toFixed(5)}, ${p.coords.latitude.toFixed(5)}（±${Math.round(p.coords.accuracy)} 米）`;
    }, e => { t.textContent = '定位失败：' + e.message; }, {enableHighAccuracy: true, timeout: 15000});
  });
})();
