/* A patrol round's record: its track on the map. (The round itself is walked on the patrol page,
 * js/field-patrol.js, which records the track through the phone's queue.) */
(function () {
  'use strict';
  const el = document.getElementById('tmap');
  if (!el) return;
  const track = Shanzhi.data('track-data') || [];
  const m = L.map(el);
  const line = L.polyline(track.map(p => [p[1], p[0]]), {color: '#b3261e', weight: 4}).addTo(m);
  if (track.length) m.fitBounds(line.getBounds(), {padding: [20, 20], animate: false});
  else m.setView([parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)], 15);
})();
