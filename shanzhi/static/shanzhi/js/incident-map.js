/* The small map on a case page: where it is, over the town outlines. */
(function () {
  'use strict';
  const el = document.getElementById('where');
  if (!el) return;
  const p = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)];
  const m = L.map(el, {zoomControl: false, attributionControl: false}).setView(p, 16);
  Shanzhi.towns(m, el.dataset.towns, {color: '#555', weight: 1.5, fillColor: '#f3f1ec', fillOpacity: .6, dashArray: '4 3'})
    .then(l => l.bringToBack());
  L.circleMarker(p, {radius: 9, color: '#b3261e', fillColor: '#b3261e', fillOpacity: .7}).addTo(m);
})();
