// Small behaviours: charts from JSON blocks, copy buttons, theme toggle. No build step.
(function () {
  "use strict";
  function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
  var charts = [];
  // Axis numbers as plain decimals (Chart.js writes a cost of 0.000012 as "1.2E-5").
  function plain(value) { return Number(value).toLocaleString("en-US", { maximumSignificantDigits: 6 }); }
  function drawCharts(root) {
    if (!window.Chart) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chart);
      if (!source || canvas.dataset.drawn) return;
      canvas.dataset.drawn = "1";
      var spec = JSON.parse(source.textContent);
      var text = css("--text"), grid = css("--border");
      charts.push(new Chart(canvas, {
        type: spec.type || "line",
        data: { labels: spec.labels, datasets: spec.datasets.map(function (d, i) {
          var colour = i === 0 ? css("--bar") : css("--warn");
          return Object.assign({ borderColor: colour, backgroundColor: colour, tension: 0.2 }, d);
        }) },
        options: { maintainAspectRatio: false, animation: false,
          plugins: { legend: { labels: { color: text } } },
          scales: { x: { ticks: { color: text }, grid: { color: grid } },
                    y: { ticks: { color: text, callback: plain }, grid: { color: grid }, beginAtZero: true },
                    y1: { display: spec.datasets.some(function (d) { return d.yAxisID === "y1"; }),
                          position: "right", ticks: { color: text, callback: plain }, grid: { drawOnChartArea: false }, beginAtZero: true } } }
      }));
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    drawCharts(document);
    var toggle = document.getElementById("theme-toggle");
    if (toggle) toggle.addEventListener("click", function () {
      var dark = document.documentElement.dataset.theme === "dark" ||
        (!document.documentElement.dataset.theme && matchMedia("(prefers-color-scheme: dark)").matches);
      var next = dark ? "light" : "dark";
      document.documentElement.dataset.theme = next;
      try { localStorage.setItem("agentops-theme", next); } catch (e) { /* private mode */ }
      charts.forEach(function (c) { c.destroy(); });
      charts = [];
      document.querySelectorAll("canvas[data-drawn]").forEach(function (c) { delete c.dataset.drawn; });
      drawCharts(document);
    });
    document.body.addEventListener("htmx:afterSwap", function (e) { drawCharts(e.target); });
    document.body.addEventListener("click", function (e) {
      var button = e.target.closest("button[data-copy]");
      if (!button) return;
      var source = document.getElementById(button.dataset.copy);
      var done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.textContent).then(done);
      } else {
        var area = document.createElement("textarea");
        area.value = source.textContent; document.body.appendChild(area); area.select();
        document.execCommand("copy"); area.remove(); done();
      }
    });
  });
})();
