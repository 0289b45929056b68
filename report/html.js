(function () {
  "use strict";
  const D = TEMPEST;
  if (!D.x || !D.x.length) {
    window.tempestReady = true; // no load: no charts
    return;
  }
  const shade = { baseline: "rgba(84,174,255,0.13)", chaos: "rgba(255,129,130,0.22)", recovery: "rgba(74,194,107,0.15)" };
  const phaseOf = {};
  D.phases.forEach(function (p) { phaseOf[p.name] = p; });
  const xMin = D.x[0], xMax = D.phases.length ? D.phases[D.phases.length - 1].to : D.x[D.x.length - 1];

  // Shading of the phases, drawn under the series.
  function phasesPlugin() {
    return { hooks: { drawClear: [function (u) {
      const c = u.ctx, top = u.bbox.top, h = u.bbox.height;
      c.save();
      c.beginPath();
      c.rect(u.bbox.left, top, u.bbox.width, h);
      c.clip();
      D.phases.forEach(function (p) {
        const x0 = u.valToPos(p.from, "x", true), x1 = u.valToPos(p.to, "x", true);
        c.fillStyle = shade[p.name] || "transparent";
        c.fillRect(x0, top, x1 - x0, h);
      });
      c.restore();
    }] } };
  }

  // Threshold lines of one chart, over their phase or the whole load.
  function thresholdsPlugin(lines) {
    return { hooks: { draw: [function (u) {
      const c = u.ctx;
      c.save();
      c.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
      c.lineWidth = 1.5 * devicePixelRatio;
      c.font = (11 * devicePixelRatio) + "px system-ui,sans-serif";
      c.textAlign = "left";
      c.textBaseline = "bottom";
      lines.forEach(function (t) {
        const span = t.phase && phaseOf[t.phase] ? phaseOf[t.phase] : { from: xMin, to: xMax };
        const y = u.valToPos(t.value, "y", true);
        const x0 = Math.max(u.valToPos(span.from, "x", true), u.bbox.left);
        const x1 = Math.min(u.valToPos(span.to, "x", true), u.bbox.left + u.bbox.width);
        c.strokeStyle = c.fillStyle = t.passed ? "#6e7781" : "#cf222e";
        c.beginPath(); c.moveTo(x0, y); c.lineTo(x1, y); c.stroke();
        c.fillText(t.label + (t.passed ? "" : " (not met)"), x0 + 4 * devicePixelRatio, y - 4 * devicePixelRatio);
      });
      c.restore();
    }] } };
  }

  // One DOM marker per injection (and per revert) in the plot area, so
  // they can be hovered and found.
  function markersPlugin() {
    let els = [];
    function place(u) {
      els.forEach(function (m) { m.el.style.left = u.valToPos(m.at, "x") + "px"; });
    }
    return { hooks: {
      init: [function (u) {
        D.injections.forEach(function (inj, i) {
          const el = document.createElement("div");
          el.className = "marker inject";
          el.dataset.index = i;
          el.dataset.at = inj.at;
          el.title = "injected: " + inj.label;
          u.over.appendChild(el);
          els.push({ el: el, at: inj.at });
          if (inj.reverted) {
            const r = document.createElement("div");
            r.className = "marker revert";
            r.dataset.index = i;
            r.dataset.at = inj.reverted;
            r.title = "reverted: " + inj.label;
            u.over.appendChild(r);
            els.push({ el: r, at: inj.reverted });
          }
        });
      }],
      ready: [place],
      setScale: [function (u, key) { if (key === "x") place(u); }],
      setSize: [place],
    } };
  }

  function maxOf(arrs, lines) {
    let m = 0;
    arrs.forEach(function (a) { a.forEach(function (v) { if (v > m) m = v; }); });
    lines.forEach(function (t) { if (t.value > m) m = t.value; });
    return m > 0 ? m * 1.12 : 1;
  }

  const width = Math.max(600, Math.min(1350, document.querySelector("main").clientWidth - 10));
  function chart(id, title, unit, series, data) {
    const lines = D.thresholds.filter(function (t) { return t.chart === id; });
    const el = document.getElementById("chart-" + id);
    const top = maxOf(data, lines);
    const u = new uPlot({
      title: title,
      width: width,
      height: 230,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); },
      scales: { x: { time: true, min: xMin, max: xMax }, y: { range: function () { return [0, top]; } } },
      axes: [{}, { label: unit, size: 60 }],
      series: [{ label: "time (UTC)" }].concat(series),
      plugins: [phasesPlugin(), thresholdsPlugin(lines), markersPlugin()],
    }, [D.x].concat(data), el);
    el.uplot = u;
    return u;
  }
  window.tempestCharts = [
    chart("rate", "Request rate", "req/s", [{ label: "requests/s", stroke: "#0969da", width: 1.5 }], [D.rate]),
    chart("errors", "Error rate", "% failed", [{ label: "failed %", stroke: "#cf222e", width: 1.5 }], [D.errorPct]),
    chart("latency", "Latency", "ms", [
      { label: "mean ms", stroke: "#8250df", width: 1.5 },
      { label: "max ms", stroke: "#bf8700", width: 1 },
    ], [D.meanMs, D.maxMs]),
  ];
  window.tempestReady = true;
})();
