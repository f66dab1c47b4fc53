// The runtime's own cost per WebSocket event (issue 17, docs/benchmarks.md
// "Inside workerd"): the benchmark's notes load (M rooms × P sockets, E
// messages/s per room from a random member, each delivered to all P) on
// the empty Durable Object handler of bench/peers/echo-do under a fresh
// `wrangler dev`, with workerd's CPU, disk writes and memory read from
// /proc as the load generator reads them for Connvo. Two handlers: `echo`
// (broadcast only) and `store` (one SQLite INSERT per message first).
// Also the resident memory of an idle workerd: the empty handler's, and
// Connvo's worker (the built release wasm) before any room is opened.
//
//   node scripts/echo-load.mjs [--meetings 20] [--participants 5] [--rate 2] [--seconds 15]
//
// Prints a markdown table. Needs ./scripts/build-worker for the idle
// Connvo figure (skipped when workers/build is missing).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import WebSocket from "ws";

const ROOT = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const M = flag("--meetings", 20);
const P = flag("--participants", 5);
const E = flag("--rate", 2);
const SECONDS = flag("--seconds", 15);
const WARMUP_MS = 2000;
// /proc/<pid>/stat counts CPU time in USER_HZ ticks, 100 per second on Linux.
const TICK = 100;

function freePort() {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** workerd processes in a process group. */
function workerds(pgid) {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const comm = readFileSync(`/proc/${entry}/comm`, "utf8").trim();
      if (Number(rest[2]) === pgid && comm === "workerd") pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

function sample(pids) {
  let ticks = 0;
  let written = 0;
  let rssKb = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]);
      const io = readFileSync(`/proc/${pid}/io`, "utf8");
      written += Number(/write_bytes:\s*(\d+)/.exec(io)[1]);
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      rssKb += Number(/VmRSS:\s*(\d+)/.exec(status)[1]);
    } catch {
      // gone
    }
  }
  return { ticks, written, rssMiB: rssKb / 1024 };
}

async function startWrangler(config, extraEnv = {}) {
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), "echo-load-"));
  const child = spawn(
    join(ROOT, "node_modules/.bin/wrangler"),
    ["dev", "--config", config, "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort()),
      "--persist-to", state, "--show-interactive-dev-session=false"],
    {
      cwd: ROOT,
      detached: true,
      stdio: "ignore",
      env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false",
        // As for Connvo (WRANGLER_ENV in tests/src/backend.rs): no local trace store or explorer.
        X_LOCAL_OBSERVABILITY: "false", X_LOCAL_EXPLORER: "false", WRANGLER_REGISTRY_PATH: join(state, "registry"), ...extraEnv },
    },
  );
  for (let i = 0; i < 450; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}${extraEnv.HEALTH ?? "/"}`);
      if (r.status < 500) break;
    } catch {
      // not up yet
    }
    await sleep(200);
  }
  const stop = () => {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
    rmSync(state, { recursive: true, force: true });
  };
  return { port, pgid: child.pid, stop };
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

async function run(mode) {
  const server = await startWrangler("bench/peers/echo-do/wrangler.toml");
  await sleep(1000);
  const pids = workerds(server.pgid);
  const idle = sample(pids);
  const rooms = [];
  for (let m = 0; m < M; m++) {
    const sockets = [];
    for (let p = 0; p < P; p++) {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/?room=r${m}&store=${mode === "store" ? 1 : 0}`, { perMessageDeflate: false });
      await new Promise((resolve, reject) => {
        ws.once("open", resolve);
        ws.once("error", reject);
      });
      sockets.push(ws);
    }
    rooms.push(sockets);
  }
  const latencies = [];
  let measuring = false;
  let received = 0;
  for (const sockets of rooms) {
    for (const ws of sockets) {
      ws.on("message", (data) => {
        const msg = JSON.parse(data.toString());
        if (!measuring || !msg.measured) return;
        received += 1;
        latencies.push(performance.now() - msg.t);
      });
    }
  }
  let seq = 0;
  let sent = 0;
  const timers = rooms.map((sockets, m) =>
    setInterval(() => {
      const from = Math.floor(Math.random() * P);
      seq += 1;
      const frame = { type: "notes.op", client_seq: seq, base_version: seq, op: [seq % 50, "x"], from, room: m, measured: measuring, t: performance.now() };
      if (measuring) sent += 1;
      sockets[from].send(JSON.stringify(frame));
    }, 1000 / E),
  );
  await sleep(WARMUP_MS);
  const before = sample(pids);
  measuring = true;
  let peak = before.rssMiB;
  const sampler = setInterval(() => {
    peak = Math.max(peak, sample(pids).rssMiB);
  }, 200);
  await sleep(SECONDS * 1000);
  measuring = false;
  const after = sample(pids);
  clearInterval(sampler);
  timers.forEach(clearInterval);
  await sleep(1000);
  for (const sockets of rooms) for (const ws of sockets) ws.close();
  server.stop();
  latencies.sort((a, b) => a - b);
  const cpuSeconds = (after.ticks - before.ticks) / TICK;
  return {
    mode,
    sent,
    delivered: received,
    expected: sent * P,
    cpuPct: (100 * cpuSeconds) / SECONDS,
    cpuUsPerMsg: (1e6 * cpuSeconds) / sent,
    bytesPerMsg: (after.written - before.written) / sent,
    idleMiB: idle.rssMiB,
    peakMiB: peak,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
  };
}

async function connvoIdle() {
  if (!existsSync(join(ROOT, "workers/build/index.js"))) return null;
  const server = await startWrangler("wrangler.toml", { CONNVO_SKIP_BUILD: "1", HEALTH: "/v1/version" });
  await sleep(1000);
  const rss = sample(workerds(server.pgid)).rssMiB;
  server.stop();
  return rss;
}

const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const results = [];
for (const mode of ["echo", "store"]) results.push(await run(mode));
const idleConnvo = await connvoIdle();
console.log(`Empty Durable Object handler, ${M} rooms × ${P} sockets, ${E} messages/s per room, ${SECONDS} s measured; load average ${load} at start.\n`);
console.log("| handler | messages/s | delivered / expected | p50 ms | p95 ms | workerd CPU, % of a core | CPU µs per message | disk bytes per message | RSS idle, MiB | RSS peak, MiB |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const r of results) {
  console.log(`| ${r.mode} | ${(r.sent / SECONDS).toFixed(1)} | ${r.delivered} / ${r.expected} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} | ${r.cpuPct.toFixed(1)} | ${r.cpuUsPerMsg.toFixed(0)} | ${r.bytesPerMsg.toFixed(0)} | ${r.idleMiB.toFixed(0)} | ${r.peakMiB.toFixed(0)} |`);
}
if (idleConnvo !== null) console.log(`\nConnvo's worker (workers/build), idle after start: workerd RSS ${idleConnvo.toFixed(0)} MiB.`);
