// Social assistance figures: monthly spending by class (stacked bars) and people covered by class
// (pie), with the vendored ECharts (no CDN).
(function () {
  function data(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  var palette = ["#b5332a", "#1d5fd6", "#2e8b57", "#d98c1a", "#7b4fc9", "#19a3a3", "#8a6d3b", "#c2185b", "#607d8b"];
  var spend = data("spending-data"), el = document.getElementById("spending");
  var charts = [];
  if (el && window.echarts && spend) {
    var c = echarts.init(el);
    var names = Object.keys(spend.series);
    c.setOption({
      color: palette, tooltip: { trigger: "axis" }, legend: { top: 0, type: "scroll" },
      grid: { left: 70, right: 16, top: 36, bottom: 24 },
      xAxis: { type: "category", data: spend.months }, yAxis: { type: "value" },
      series: names.map(function (n) { return { name: n, type: "bar", stack: "total", data: spend.series[n] }; })
    });
    charts.push(c);
  }
  var cls = data("class-data"), pie = document.getElementById("classes");
  if (pie && window.echarts && cls && cls.length) {
    var p = echarts.init(pie);
    p.setOption({
      color: palette, tooltip: { trigger: "item", formatter: "{b}：{c} 人（{d}%）" },
      series: [{ type: "pie", radius: ["40%", "70%"], data: cls.map(function (r) { return { name: r.label, value: r.people }; }) }]
    });
    charts.push(p);
  }
  window.addEventListener("resize", function () { charts.forEach(function (x) { x.resize(); }); });
})();
