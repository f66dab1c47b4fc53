// The dashboard's logic: fetch /v1/admin/metrics, draw SVG line charts.
// The token stays in this tab (sessionStorage), never in the URL.
"use strict";

const $ = (id) => document.getElementById(id);
const COLORS = ["#2b6cb0", "#d69e2e", "#c53030", "#2f855a", "#6b46c1"];

function chart(svg, legend, series, unit) {
  const w = svg.clientWidth || 440, h = svg.clientHeight || 180, pad = 34;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const x0 = Math.min(...xs, Date.now() - 60000), x1 = Math.max(...xs, x0 + 60000);
  const y1 = Math.max(1, ...ys) * 1.1;
  const X = (x) => pad + ((x - x0) / (x1 - x0)) * (w - pad - 8);
  const Y = (y) => h - 20 - (y / y1) * (h - 30);
  let out = "";
  for (let i = 0; i <= 4; i++) {
    const v = (y1 * i) / 4, y = Y(v);
    out += `<line x1="${pad}" x2="${w - 8}" y1="${y}" y2="${y}" stroke="#eef0f3"/>`;
    out += `<text x="${pad - 4}" y="${y + 4}" font-size="10" text-anchor="end" fill="#718096">${v.toFixed(v < 10 ? 1 : 0)}</text>`;
  }
  for (const [t, anchor] of [[x0, "start"], [(x0 + x1) / 2, "middle"], [x1, "end"]]) {
    const d = new Date(t);
    out += `<text x="${X(t)}" y="${h - 4}" font-size="10" text-anchor="${anchor}" fill="#718096">${d.toISOString().slice(11, 16)}</text>`;
  }
  series.forEach((s, i) => {
    if (!s.points.length) return;
    const d = s.points.map((p, j) => `${j ? "L" : "M"}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join("");
    out += `<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"/>`;
    for (const p of s.points) out += `<circle cx="${X(p[0])}" cy="${Y(p[1])}" r="2.5" fill="${COLORS[i % COLORS.length]}"/>`;
  });
  svg.innerHTML = out;
  legend.innerHTML = series.map((s, i) => `<span><i style="background:${COLORS[i % COLORS.length]}"></i>${s.name}${unit ? " (" + unit + ")" : ""}</span>`).join("");
}

// A minute's percentile over every route: the largest route value (an upper
// bound: the sketches are merged on the server per route, not across them).
function worst(point, key) {
  return point.routes.reduce((m, r) => Math.max(m, r[key]), 0);
}

function render(m) {
  $("env").textContent = `· ${m.environment}`;
  const pts = m.points;
  chart($("latency"), $("lat-legend"), ["p50_ms", "p95_ms", "p99_ms"].map((k) => ({
    name: k.replace("_ms", ""), points: pts.map((p) => [p.minute_ms, worst(p, k)]),
  })), "");
  chart($("errors"), $("err-legend"), [
    { name: "5xx", points: pts.map((p) => [p.minute_ms, p.requests ? (100 * p.errors_5xx) / p.requests : 0]) },
    { name: "4xx", points: pts.map((p) => [p.minute_ms, p.requests ? (100 * p.errors_4xx) / p.requests : 0]) },
  ], "");
  const gauge = (name) => pts.filter((p) => name in p.gauges).map((p) => [p.minute_ms, p.gauges[name]]);
  chart($("active"), $("act-legend"), [
    { name: "meetings", points: gauge("rooms.active") },
    { name: "sockets", points: gauge("rooms.sockets") },
  ], "");
  chart($("queue"), $("q-legend"), [{ name: "frames waiting", points: gauge("rooms.queue_depth") }], "");
  // room.fanout_ms (O15): items sent in the event that committed them read
  // 0 ms (the runtime's clock does not move while it works); items held by
  // coalescing or load shedding read their wait.
  const fan = (key) => pts.flatMap((p) => (p.room || []).filter((r) => r.name === "room.fanout_ms").map((r) => [p.minute_ms, r[key]]));
  chart($("fanout"), $("fan-legend"), ["p50_ms", "p95_ms", "p99_ms"].map((k) => ({ name: k.replace("_ms", ""), points: fan(k) })), "");
  $("room").querySelector("tbody").innerHTML = m.room.map((r) =>
    `<tr><td>${r.name}</td><td>${r.count}</td><td>${r.p50_ms.toFixed(1)}</td><td>${r.p95_ms.toFixed(1)}</td><td>${r.p99_ms.toFixed(1)}</td><td>${r.max_ms.toFixed(1)}</td></tr>`).join("");
  const rows = m.routes.slice().sort((a, b) => b.count - a.count).map((r) =>
    `<tr><td>${r.name}</td><td>${r.count}</td><td>${r.p50_ms.toFixed(1)}</td><td>${r.p95_ms.toFixed(1)}</td><td>${r.p99_ms.toFixed(1)}</td><td>${r.max_ms.toFixed(1)}</td><td>${r.errors_4xx}</td><td>${r.errors_5xx}</td></tr>`);
  $("routes").querySelector("tbody").innerHTML = rows.join("");
}

async function load() {
  const token = $("token").value.trim();
  sessionStorage.setItem("connvo.metrics.token", token);
  $("status").textContent = "loading…";
  try {
    const r = await fetch(`/v1/admin/metrics?window=${$("window").value}`, { headers: { authorization: `Bearer ${token}` } });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : r.status);
    render(body);
    $("status").textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    $("status").textContent = `error: ${e.message}`;
  }
}

$("token").value = sessionStorage.getItem("connvo.metrics.token") || new URLSearchParams(location.hash.slice(1)).get("token") || "";
$("load").addEventListener("click", load);
$("window").addEventListener("change", load);
if ($("token").value) load();
setInterval(() => { if ($("token").value) load(); }, 30000);
