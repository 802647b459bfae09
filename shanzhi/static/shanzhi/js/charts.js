/* Small charts: people per area on the home page, organisations by kind on a pillar page. */
(function () {
  'use strict';
  const bar = document.getElementById('people-chart');
  if (bar) {
    const data = Shanzhi.data('people-data');
    const c = echarts.init(bar);
    c.setOption({tooltip: {}, grid: {left: 90, right: 20, top: 10, bottom: 20}, xAxis: {type: 'value'},
      yAxis: {type: 'category', data: data.map(d => d.name).reverse()},
      series: [{type: 'bar', data: data.map(d => d.value).reverse(), itemStyle: {color: '#b3261e'}}]});
    addEventListener('resize', () => c.resize());
  }
  const pie = document.getElementById('org-chart');
  if (pie) {
    const c = echarts.init(pie);
    c.setOption({tooltip: {trigger: 'item'}, series: [{type: 'pie', radius: ['40%', '70%'], data: Shanzhi.data('org-data')}]});
    addEventListener('resize', () => c.resize());
  }
})();
