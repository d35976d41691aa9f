// The overview's charts: reads /console/overview/metrics.json and draws each series with uPlot.
// Without JavaScript the page still shows the latest values as numbers.
(function () {
  "use strict";
  const SERIES = {
    requests: { label: "Requests/s", key: "requestsPerS", color: "#1f4fd8" },
    errors: { label: "5xx share %", key: "errorRate", color: "#b42318", scale: 100 },
    p50: { label: "p50 ms", key: "p50Ms", color: "#11703a" },
    p99: { label: "p99 ms", key: "p99Ms", color: "#7a4d00" },
    refreshes: { label: "Token refreshes", key: "refreshes", color: "#6b3fd4" },
    queue: { label: "Webhook queue", key: "webhookQueue", color: "#0b7285" },
  };
  const charts = [];
  function dark() {
    return globalThis.matchMedia && globalThis.matchMedia("(prefers-color-scheme: dark)").matches;
  }
  function build(el, spec, xs, ys) {
    const ink = dark() ? "#a1aab8" : "#596271";
    const grid = dark() ? "#29303b" : "#e2e5eb";
    const axis = { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
    const opts = {
      width: Math.max(200, el.clientWidth),
      height: 150,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [axis, Object.assign({ size: 44 }, axis)],
      series: [{}, {
        label: spec.label,
        stroke: spec.color,
        width: 2,
        fill: spec.color + "22",
        spanGaps: true,
      }],
    };
    el.textContent = "";
    return new globalThis.uPlot(opts, [xs, ys], el);
  }
  function load() {
    fetch("/console/overview/metrics.json", { credentials: "same-origin" })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (body) {
        if (!body) return;
        const xs = body.samples.map(function (s) {
          return s.at / 1000;
        });
        document.querySelectorAll("[data-chart]").forEach(function (el, i) {
          const spec = SERIES[el.getAttribute("data-chart")];
          if (!spec) return;
          const ys = body.samples.map(function (s) {
            const v = s[spec.key];
            return v === null ? null : v * (spec.scale || 1);
          });
          if (xs.length < 2) {
            el.textContent = "Collecting samples (one every 10 s)…";
            return;
          }
          // Shares and latencies have no value without calls: an empty plot looks broken.
          if (
            !ys.some(function (v) {
              return v !== null;
            })
          ) {
            if (charts[i]) charts[i].destroy();
            charts[i] = null;
            el.textContent = "No proxied calls in these two hours yet.";
            return;
          }
          if (charts[i]) charts[i].setData([xs, ys]);
          else charts[i] = build(el, spec, xs, ys);
        });
      })
      .catch(function () {});
  }
  globalThis.addEventListener("resize", function () {
    document.querySelectorAll("[data-chart]").forEach(function (el, i) {
      if (charts[i]) charts[i].setSize({ width: Math.max(200, el.clientWidth), height: 150 });
    });
  });
  document.addEventListener("DOMContentLoaded", function () {
    load();
    setInterval(load, 10000);
  });
})();
