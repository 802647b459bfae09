/* The grid map: polygons by level and town, a grid card on click, town outlines underneath. */
(function () {
  'use strict';
  const el = document.getElementById('map');
  if (!el) return;
  const COLORS = {1: '#b3261e', 2: '#1d5fd6', 3: '#2e7d32', 4: '#8e24aa'};
  const WEIGHT = {1: 3, 2: 1.5, 3: 1, 4: 1};
  const map = L.map(el, {preferCanvas: true, zoomSnap: 0.25});
  window.gridMap = map;
  const tiles = Shanzhi.data('tiles') || {};
  if (tiles.url) L.tileLayer(tiles.url, {attribution: tiles.attribution, maxZoom: 19}).addTo(map);
  const layers = {};
  let selected = null;
  const style = f => ({color: COLORS[f.properties.level] || '#555', weight: WEIGHT[f.properties.level] || 1,
    fillOpacity: f.properties.level == 1 ? 0.04 : 0.08});
  function load() {
    const town = document.getElementById('town').value;
    Object.values(layers).forEach(l => map.removeLayer(l));
    const levels = [...document.querySelectorAll('.lv:checked')].map(x => x.value);
    let total = 0, pending = levels.length;
    const bounds = L.latLngBounds([]);
    if (!pending) document.getElementById('count').textContent = '';
    levels.sort().forEach(lv => {
      const q = new URLSearchParams({level: lv, town});
      fetch(`${el.dataset.grids}?${q}`).then(r => r.json()).then(fc => {
        const layer = L.geoJSON(fc, {style, onEachFeature: (f, l) => {
          l.bindTooltip(Shanzhi.tip(f.properties.name, `${f.properties.town} · ${f.properties.village}`), {sticky: true});
          l.on('click', () => {
            if (selected) selected.setStyle(style(selected.feature));
            selected = l; l.setStyle({weight: 4, color: '#ff9800', fillOpacity: 0.25});
            htmx.ajax('GET', `/geo/grids/${encodeURIComponent(f.properties.id)}/card/`, {target: '#card', swap: 'innerHTML'});
          });
        }});
        layers[lv] = layer.addTo(map);
        total += fc.features.length;
        if (layer.getBounds().isValid()) bounds.extend(layer.getBounds());
        if (--pending === 0) {
          document.getElementById('count').textContent = `共 ${total} 个网格`;
          if (bounds.isValid()) map.fitBounds(bounds, {padding: [10, 10], animate: false});
          Object.keys(layers).sort().forEach(k => layers[k].bringToFront());
          el.dataset.loaded = '1';
        }
      });
    });
  }
  document.getElementById('town').addEventListener('change', load);
  document.querySelectorAll('.lv').forEach(x => x.addEventListener('change', load));
  const pane = map.createPane('towns');
  pane.style.zIndex = 350; pane.style.pointerEvents = 'none';
  fetch(el.dataset.towns).then(r => r.json()).then(fc => {
    L.geoJSON(fc, {pane: 'towns', interactive: false, style: {color: '#3b3b3b', weight: 2.5, fill: false, dashArray: '6 4'}}).addTo(map);
    fc.features.forEach(f => {
      const label = document.createElement('span');
      label.textContent = f.properties.name;
      L.marker(f.properties.center, {pane: 'towns', interactive: false,
        icon: L.divIcon({className: 'town-label', html: label, iconSize: null})}).addTo(map);
    });
  });
  map.setView([31.82, 120.29], 11);
  load();
})();
