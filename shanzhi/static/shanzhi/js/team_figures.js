// The bureau's cases by enforcement domain, as a bar chart (vendored ECharts; no CDN).
(function () {
  var el = document.getElementById("domains");
  var data = JSON.parse((document.getElementById("domain-data") || {}).textContent || "[]");
  if (!el || !window.echarts || !data.length) { return; }
  var chart = echarts.init(el);
  chart.setOption({
    grid: { left: 110, right: 20, top: 10, bottom: 20 },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: data.map(function (d) { return d[1]; }).reverse() },
    series: [{ type: "bar", data: data.map(function (d) { return d[2]; }).reverse(), itemStyle: { color: "#1d5fd6" } }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
