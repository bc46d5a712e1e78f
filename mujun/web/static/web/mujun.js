// mujun's pages: Plotly charts from server-built figures, drill-down on click, the parcel map,
// the explanation fragment, and buttons that submit once.
(function () {
  "use strict";

  function drawCharts() {
    document.querySelectorAll(".chart[data-figure]").forEach(function (el) {
      var fig = JSON.parse(el.dataset.figure);
      // a year axis shows whole years (2020, 2021), never 2,020.5
      var years = fig.data.length > 0 && fig.data.every(function (t) {
        return Array.isArray(t.x) && t.x.length > 0 && t.x.every(function (v) {
          return Number.isInteger(v) && v > 1900 && v < 2200;
        });
      });
      if (years) {
        fig.layout.xaxis = Object.assign({}, fig.layout.xaxis || {}, { dtick: 1, tickformat: "d" });
      }
      Plotly.newPlot(el, fig.data, fig.layout, { displaylogo: false, responsive: true });
      el.on("plotly_click", function (ev) {
        var url = ev.points && ev.points[0] && ev.points[0].customdata;
        if (typeof url === "string" && url.charAt(0) === "/") window.location.href = url;
      });
    });
  }

  function loadExplain() {
    var box = document.getElementById("explain");
    if (!box) return;
    fetch(box.dataset.src, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var h2 = box.querySelector("h2").outerHTML;
        box.innerHTML = h2 + html;
        box.dataset.loaded = "1";
      })
      .catch(function () { box.querySelector("p").textContent = "—"; });
  }

  function pct(x) { return x == null ? "—" : (x * 100).toFixed(1) + "%"; }
  function num(x, d) { return x == null ? "—" : Number(x).toFixed(d); }
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function showParcel(panel, template, id) {
    fetch(template.replace("PARCEL", encodeURIComponent(id)), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (p) {
        var rows = (p.occupants || []).map(function (o) {
          return "<tr><td>" + esc(o.name) + "<br><small>" + esc(o.uscc) + "</small></td><td>" + esc(o.role) +
            "</td><td>" + num(o.land_mu, 2) + "</td><td>" + pct(o.share) + "</td></tr>";
        }).join("");
        panel.innerHTML = "<h2 data-parcel='" + esc(p.parcel_id) + "'>" + esc(p.parcel_id) + "</h2>" +
          "<p>" + esc(p.division) + " · " + num(p.area_mu, 2) + " 亩 · <b class='g" + esc(p.grade || "") + "'>" +
          esc(p.grade || "—") + "</b></p><p>权属 owner: " + esc(p.owner.name) + " <small>" + esc(p.owner.uscc) +
          "</small></p><p>占用 occupied " + pct(p.occupied_share) + " · 空置 vacant " + pct(p.vacant_share) +
          "</p><p>亩均税收 " + num(p.tax_per_mu, 2) + " · 亩均增加值 " + num(p.value_added_per_mu, 2) + "</p>" +
          "<table class='small occupants'><tr><th>使用者 occupant</th><th></th><th>亩</th><th>份额</th></tr>" + rows + "</table>";
      });
  }

  function drawMap() {
    var el = document.getElementById("map");
    if (!el) return;
    var panel = document.getElementById("parcel-panel");
    fetch(el.dataset.src, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        var traces = [];
        var grades = ["A", "B", "C", "D", ""];
        grades.forEach(function (g) {
          var xs = [], ys = [];
          d.parcels.forEach(function (p) {
            if ((p.grade || "") !== g) return;
            p.ring.forEach(function (c) { xs.push(c[0]); ys.push(c[1]); });
            xs.push(null); ys.push(null);
          });
          if (xs.length) traces.push({ type: "scatter", mode: "lines", x: xs, y: ys, fill: "toself",
            fillcolor: d.colours[g], line: { color: "#555", width: 0.5 }, name: g || "未评", hoverinfo: "skip" });
        });
        var vx = [], vy = [];
        d.parcels.forEach(function (p) {
          if (p.vacant == null || p.vacant <= 0.2) return;
          p.ring.forEach(function (c) { vx.push(c[0]); vy.push(c[1]); });
          vx.push(null); vy.push(null);
        });
        if (vx.length) traces.push({ type: "scatter", mode: "lines", x: vx, y: vy, name: "空置 > 20%",
          line: { color: "#e31a1c", width: 2, dash: "dot" }, hoverinfo: "skip" });
        var lx = [], ly = [];
        d.parcels.forEach(function (p) {
          if (!p.lowland) return;
          p.ring.forEach(function (c) { lx.push(c[0]); ly.push(c[1]); });
          lx.push(null); ly.push(null);
        });
        if (lx.length) traces.push({ type: "scatter", mode: "lines", x: lx, y: ly, name: "低效用地",
          line: { color: "#6a3d9a", width: 2.5 }, hoverinfo: "skip" });
        var cx = [], cy = [], ids = [], text = [];
        d.parcels.forEach(function (p) {
          var sx = 0, sy = 0, n = p.ring.length;
          p.ring.forEach(function (c) { sx += c[0]; sy += c[1]; });
          cx.push(sx / n); cy.push(sy / n); ids.push(p.id);
          // Plotly draws hover text as markup: the id is a name from the data, escaped like any other
          text.push(esc(p.id) + "<br>" + esc(p.grade || "—") + " · " + num(p.area_mu, 1) + " 亩 · 空置 " + pct(p.vacant) +
            (p.lowland ? "<br>低效用地: " + esc(p.lowland) : ""));
        });
        traces.push({ type: "scatter", mode: "markers", x: cx, y: cy, customdata: ids, text: text,
          hoverinfo: "text", marker: { size: 7, color: "rgba(0,0,0,0.25)" }, name: "宗地 parcel" });
        Plotly.newPlot(el, traces, {
          margin: { l: 10, r: 10, t: 10, b: 10 }, height: 640, showlegend: true, hovermode: "closest",
          xaxis: { visible: false }, yaxis: { visible: false, scaleanchor: "x" }, dragmode: "pan",
          plot_bgcolor: "#f4f4f0"
        }, { displaylogo: false, responsive: true, scrollZoom: true }).then(function () {
          el.dataset.ready = String(ids.length);
        });
        el.on("plotly_click", function (ev) {
          var pt = ev.points && ev.points[0];
          if (pt && typeof pt.customdata === "string") showParcel(panel, el.dataset.parcel, pt.customdata);
        });
      });
  }

  function submitOnce() {
    document.querySelectorAll("form").forEach(function (form) {
      form.addEventListener("submit", function () {
        form.querySelectorAll("button[data-once]").forEach(function (b) {
          setTimeout(function () { b.disabled = true; }, 0);
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts(); loadExplain(); drawMap(); submitOnce();
  });
})();
