// The figures' charts: every [data-chart] element holds its chart as JSON (app/figures/charts.py)
// and is drawn here with ECharts' SVG renderer. Tooltips render as rich text, since ECharts'
// HTML tooltips set inline styles the strict CSP refuses. The locale follows <html lang>.
(function () {
  "use strict";

  function options(spec, narrow) {
    var right = spec.series.filter(function (s) { return s.axis === 1; });
    var percent = right.some(function (s) { return s.percent; });
    var many = spec.categories.length > (narrow ? 4 : 12);
    var axes = [{ type: "value", minInterval: 1 }];
    if (percent) {
      axes.push({ type: "value", min: 0, max: 100, splitLine: { show: false },
                  axisLabel: { formatter: "{value}%" } });
    } else if (right.length) {
      axes.push({ type: "value", splitLine: { show: false } });
    }
    return {
      aria: { enabled: true },
      animation: false,
      tooltip: { trigger: "axis", renderMode: "richText", confine: true },
      // The legend above the plot: below it, a phone's rotated month labels run into it.
      legend: { type: "scroll", top: 0, itemWidth: narrow ? 14 : 25, itemHeight: narrow ? 10 : 14 },
      grid: { left: 8, right: 8, top: right.length ? 56 : 40, bottom: 4 },
      xAxis: { type: "category", data: spec.categories,
               axisLabel: { rotate: many ? 45 : 0, hideOverlap: true } },
      yAxis: axes,
      series: spec.series.map(function (s) {
        return { name: s.name, type: s.kind || spec.kind, data: s.data, yAxisIndex: s.axis || 0,
                 stack: spec.stack ? "total" : undefined, connectNulls: false };
      })
    };
  }

  function draw(element) {
    var spec = JSON.parse(element.getAttribute("data-chart"));
    var chart = echarts.init(element, null, { renderer: "svg" });
    chart.setOption(options(spec, element.clientWidth < 576));
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.querySelectorAll("[data-chart]").forEach(draw);
})();
