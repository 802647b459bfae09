/* 督着办: time used against the statutory limit per row (working days). */
(function () {
  'use strict';
  const el = document.getElementById('oversight-chart');
  if (!el || !window.echarts) return;
  const data = Shanzhi.data('oversight-data') || [];
  const c = echarts.init(el);
  c.setOption({
    tooltip: {trigger: 'axis'}, legend: {data: ['实际用时', '法定时限']},
    grid: {left: 140, right: 20, top: 30, bottom: 20},
    xAxis: {type: 'value', name: '工作日'},
    yAxis: {type: 'category', data: data.map(d => d.name).reverse()},
    series: [
      {name: '实际用时', type: 'bar', data: data.map(d => d.used).reverse(), itemStyle: {color: '#b3261e'}},
      {name: '法定时限', type: 'bar', data: data.map(d => d.statutory).reverse(), itemStyle: {color: '#c9cdd4'}},
    ],
  });
  addEventListener('resize', () => c.resize());
})();
