/* 随手拍: the citizen's position from the phone. */
(function () {
  'use strict';
  const btn = document.getElementById('locate');
  if (!btn) return;
  btn.addEventListener('click', () => {
    const t = document.getElementById('loc');
    if (!navigator.geolocation) { t.textContent = '无法定位'; return; }
    t.textContent = '定位中…';
    navigator.geolocation.getCurrentPosition(p => {
      document.getElementById('lon').value = p.coords.longitude.toFixed(7);
      document.getElementById('lat').value = p.coords.latitude.toFixed(7);
      t.textContent = '已定位';
    }, () => { t.textContent = '定位失败'; });
  });
})();
