/* A patrol round: its track; while it is mine and open, positions are posted every 30 s. */
(function () {
  'use strict';
  const el = document.getElementById('tmap');
  if (!el) return;
  const track = Shanzhi.data('track-data') || [];
  const m = L.map(el);
  const line = L.polyline(track.map(p => [p[1], p[0]]), {color: '#b3261e', weight: 4}).addTo(m);
  if (track.length) m.fitBounds(line.getBounds(), {padding: [20, 20], animate: false});
  else m.setView([parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)], 15);
  if (el.dataset.trackUrl && navigator.geolocation) {
    let buf = [];
    navigator.geolocation.watchPosition(p => {
      buf.push({lon: p.coords.longitude, lat: p.coords.latitude, t: Math.floor(p.timestamp / 1000)});
      line.addLatLng([p.coords.latitude, p.coords.longitude]);
    }, () => {}, {enableHighAccuracy: true});
    setInterval(() => {
      if (!buf.length) return;
      const send = buf; buf = [];
      fetch(el.dataset.trackUrl, {method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRFToken': Shanzhi.csrf()},
        body: JSON.stringify(send)}).then(r => r.ok ? r.json() : Promise.reject()).catch(() => { buf = send.concat(buf); });
    }, 30000);
  }
})();
