/* The command center: trend, classes and the map of open cases (colour by state, red ring if late). */
(function () {
  'use strict';
  /* The period: a preset (days) or a custom range (from/to); only one is sent. */
  const form = document.getElementById('dash-filter');
  if (form) {
    const days = form.querySelector('[data-period]');
    const range = form.querySelectorAll('input[type=date]');
    days.addEventListener('change', e => {
      if (!days.value) { e.stopPropagation(); range[0].focus(); }
    });
    range.forEach(i => i.addEventListener('change', () => { days.value = ''; }));
    form.addEventListener('submit', () => { if (days.value) range.forEach(i => { i.disabled = true; }); });
    form.addEventListener('change', e => {
      if (e.target.matches('select[data-autosubmit]') && days.value) range.forEach(i => { i.disabled = true; });
      if (e.target.name === 'town') {  // another town: its villages, grids and offices are not this one's
        form.querySelectorAll('[name=village], [name=grid], [name=dept]').forEach(el => { el.disabled = true; });
      }
    }, true);
  }
  const trendEl = document.getElementById('trend');
  if (!trendEl) return;
  const tr = Shanzhi.data('trend-data');
  const t = echarts.init(trendEl);
  t.setOption({tooltip: {trigger: 'axis'}, legend: {data: ['上报', '结案'], top: 0}, grid: {left: 40, right: 20, top: 36, bottom: 30},
    xAxis: {type: 'category', data: tr.days}, yAxis: {type: 'value'},
    series: [{name: '上报', type: 'line', smooth: true, data: tr.reported, itemStyle: {color: '#b3261e'}},
             {name: '结案', type: 'line', smooth: true, data: tr.closed, itemStyle: {color: '#2e7d32'}}]});
  const cl = Shanzhi.data('class-data');
  const c = echarts.init(document.getElementById('classes'));
  c.setOption({tooltip: {}, grid: {left: 80, right: 20, top: 10, bottom: 20}, xAxis: {type: 'value'},
    yAxis: {type: 'category', data: cl.map(x => x.subclass__parent__name).reverse()},
    series: [{type: 'bar', data: cl.map(x => x.n).reverse(), itemStyle: {color: '#1d5fd6'}}]});
  const mapEl = document.getElementById('imap');
  const pts = Shanzhi.data('points-data');
  const m = L.map(mapEl, {preferCanvas: true});
  Shanzhi.towns(m, mapEl.dataset.towns, {color: '#555', weight: 1.5, fill: true, fillColor: '#f3f1ec', fillOpacity: .6, dashArray: '4 3'})
    .then(l => l.bringToBack());
  const layer = L.featureGroup().addTo(m);
  const STATE = {registered: '#8e24aa', dispatched: '#1d5fd6', handling: '#00897b', replied: '#f9a825', reported: '#757575'};
  pts.forEach(p => L.circleMarker([p.lat, p.lon], {radius: p.late ? 7 : 5, weight: p.late ? 3 : 1, color: p.late ? '#d32f2f' : '#ffffff',
    fillColor: STATE[p.s] || '#1d5fd6', fillOpacity: .85})
    .bindTooltip(Shanzhi.tip(`${p.n} ${p.c}`)).on('click', () => { location.href = `/incidents/${encodeURIComponent(p.id)}/`; }).addTo(layer));
  if (pts.length) m.fitBounds(layer.getBounds(), {padding: [10, 10], animate: false}); else m.setView([31.82, 120.29], 11);
  addEventListener('resize', () => { t.resize(); c.resize(); });
})();
