// Open penalty cases by grid and officers' patrol tracks on the vendored Leaflet map (no tiles:
// intranets have no internet; the towns' outlines give the place).
(function () {
  var el = document.getElementById("team-map");
  if (!el || !window.L) { return; }
  fetch(el.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(draw)
    .catch(function () {});
  function popup(text, url) {  // data reaches the page as text, never as markup
    var box = document.createElement("div");
    box.textContent = text;
    if (url) {
      var a = document.createElement("a");
      a.href = url; a.textContent = " 查看";
      box.appendChild(a);
    }
    return box;
  }
  function draw(data) {
  var map = L.map(el, { zoomControl: true, attributionControl: false });
  var bounds = [];
  fetch(el.dataset.towns).then(function (r) { return r.json(); }).then(function (geo) {
    L.geoJSON(geo, { style: { color: "#90a4ae", weight: 1, fillOpacity: 0.04 } }).addTo(map);
    if (!bounds.length) { map.fitBounds(L.geoJSON(geo).getBounds()); }
  }).catch(function () {});
  (data.patrols || []).forEach(function (p) {
    if (p.track.length < 2) { return; }
    var line = L.polyline(p.track.map(function (pt) { return [pt[1], pt[0]]; }), { color: "#00897b", weight: 2, opacity: 0.7 });
    line.bindPopup(popup(p.who + " · " + p.at + " · " + p.km + " km · " + p.min + " 分钟", p.url));
    line.addTo(map);
    bounds.push(line.getBounds());
  });
  (data.grids || []).forEach(function (g) {
    var m = L.circleMarker([g.lat, g.lon], { radius: 5 + Math.min(14, g.n * 2), color: "#d84315", fillOpacity: 0.5 });
    m.bindPopup(popup(g.name + "：" + g.n + " 件办理中"));
    m.addTo(map);
    bounds.push(L.latLngBounds([[g.lat, g.lon], [g.lat, g.lon]]));
  });
  if (bounds.length) {
    var all = bounds[0];
    bounds.forEach(function (b) { all.extend(b); });
    map.fitBounds(all.pad(0.2));
  } else {
    map.setView([31.8, 120.3], 11);
  }
  }
})();
