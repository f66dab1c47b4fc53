// CPU profile of the worker's isolate inside `wrangler dev` (workerd), taken
// through its V8 inspector while something loads it (issue 17, "Inside
// workerd" in docs/benchmarks.md). The Durable Objects run in the worker's
// isolate, so the profile covers the rooms: our wasm (its functions keep
// their Rust names: the build keeps the name section), the wasm-bindgen JS
// glue, and the runtime's own JS. Native work outside the isolate (workerd's
// C++ for sockets and SQLite) shows as "(program)".
//
//   node scripts/profile-workerd.mjs record [--port N | --next] [--wait-log F [--phase K]] [--delay S] [--seconds S] [--out F]
//   node scripts/profile-workerd.mjs summary F.cpuprofile [--top N]
//   node scripts/profile-workerd.mjs files [--next] [--wait-log F [--phase K]] [--delay S] [--seconds S]
//
// `record --next` waits for the next `wrangler dev` started after it (the
// benchmark starts a fresh one per phase), finds its `--inspector-port` from
// its command line, waits `--delay` seconds (default 8: the phase's set-up),
// samples for `--seconds` (default 10) and writes the .cpuprofile (default
// /tmp/workerd-<time>.cpuprofile), then prints the summary. With
// `--wait-log F` the delay starts when the benchmark's log F says it offers
// load for the K-th time (`--phase K`, default 1), so joining is left out
// however long it takes on a loaded machine. For example:
//
//   ./scripts/bench --target connvo --no-ramp --duration 20 2>&1 | tee /tmp/bench.log &
//   node scripts/profile-workerd.mjs record --next --wait-log /tmp/bench.log --delay 4 --seconds 12
//
// `files` lists the files under that wrangler's state folder (`--persist-to`)
// that changed while it watched: size before and after, and how much the
// workerd processes wrote in that time (/proc/<pid>/io): the Durable
// Objects' SQLite and WAL files, local D1's, the KV and cache stores.
//
// The summary is self time by function (top N, default 20) and by kind:
// wasm, JS glue (wasm-bindgen's imports and exports), other JS, GC, native.
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import WebSocket from "ws";

function flag(args, name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

/** `wrangler dev` processes now running: pid → {port, state, pid}. */
function wranglers() {
  const found = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let argv;
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (!argv.some((a) => a.endsWith("wrangler") || a.includes("wrangler-dist"))) continue;
    if (!argv.includes("dev")) continue;
    const i = argv.indexOf("--inspector-port");
    const s = argv.indexOf("--persist-to");
    if (i >= 0) found.set(Number(entry), { pid: Number(entry), port: Number(argv[i + 1]), state: s >= 0 ? argv[s + 1] : null });
  }
  return found;
}

async function nextWrangler() {
  const before = new Set(wranglers().keys());
  for (;;) {
    for (const [pid, w] of wranglers()) {
      if (!before.has(pid)) return w;
    }
    await sleep(200);
  }
}

/** Every file under `dir` with its size. */
function sizes(dir, out = new Map()) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) sizes(path, out);
    else if (entry.isFile()) {
      try {
        out.set(path, statSync(path).size);
      } catch {
        // gone
      }
    }
  }
  return out;
}

/** Bytes the workerd processes in `pgid` wrote to storage so far. */
function workerdWrites(pgid) {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const pg = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (pg !== pgid || readFileSync(`/proc/${entry}/comm`, "utf8").trim() !== "workerd") continue;
      total += Number(/write_bytes:\s*(\d+)/.exec(readFileSync(`/proc/${entry}/io`, "utf8"))[1]);
    } catch {
      // gone
    }
  }
  return total;
}

async function files(args) {
  const w = args.includes("--next") ? await nextWrangler() : [...wranglers().values()].pop();
  if (!w?.state) throw new Error("no wrangler dev with --persist-to found");
  const log = flag(args, "--wait-log", null);
  if (log) await offeringLoad(log, Number(flag(args, "--phase", "1")));
  await sleep(Number(flag(args, "--delay", "8")) * 1000);
  const stat = readFileSync(`/proc/${w.pid}/stat`, "utf8");
  const pgid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
  const before = sizes(w.state);
  const wroteBefore = workerdWrites(pgid);
  await sleep(Number(flag(args, "--seconds", "10")) * 1000);
  const after = sizes(w.state);
  const wrote = workerdWrites(pgid) - wroteBefore;
  console.log(`workerd wrote ${(wrote / 1048576).toFixed(1)} MiB in ${flag(args, "--seconds", "10")} s (/proc/<pid>/io write_bytes)\n`);
  console.log("| file (under the state folder) | size before | size after |\n|---|---:|---:|");
  const changed = [...after].filter(([path, size]) => before.get(path) !== size);
  changed.sort((a, b) => b[1] - (before.get(b[0]) ?? 0) - (a[1] - (before.get(a[0]) ?? 0)));
  for (const [path, size] of changed.slice(0, 25)) {
    console.log(`| ${path.slice(w.state.length + 1)} | ${before.get(path) ?? "new"} | ${size} |`);
  }
}

async function targetUrl(port) {
  for (let i = 0; i < 600; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/json/list`);
      const list = await r.json();
      const t = list.find((t) => t.webSocketDebuggerUrl);
      if (t) return t.webSocketDebuggerUrl;
    } catch {
      // not up yet
    }
    await sleep(200);
  }
  throw new Error(`no inspector target on port ${port}`);
}

function cdp(url) {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1 << 30 });
  let id = 0;
  const waiting = new Map();
  ws.on("message", (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.id && waiting.has(msg.id)) {
      const { resolve, reject } = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (msg.error) reject(new Error(JSON.stringify(msg.error)));
      else resolve(msg.result);
    }
  });
  const open = new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return {
    open,
    call(method, params = {}) {
      id += 1;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
    },
    close: () => ws.close(),
  };
}

/** Waits until `file` says "offering load" `count` times. */
async function offeringLoad(file, count) {
  for (;;) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      // not there yet
    }
    if ((text.match(/offering load/g) ?? []).length >= count) return;
    await sleep(100);
  }
}

async function record(args) {
  const port = args.includes("--next") ? (await nextWrangler()).port : Number(flag(args, "--port", "9229"));
  const delay = Number(flag(args, "--delay", "8"));
  const seconds = Number(flag(args, "--seconds", "10"));
  const out = flag(args, "--out", `/tmp/workerd-${Date.now()}.cpuprofile`);
  const url = await targetUrl(port);
  const log = flag(args, "--wait-log", null);
  if (log) await offeringLoad(log, Number(flag(args, "--phase", "1")));
  const started = Date.now();
  const session = cdp(url);
  await session.open;
  await session.call("Profiler.enable");
  // 250 µs: enough samples in 10 s to rank functions that take ~1 %.
  await session.call("Profiler.setSamplingInterval", { interval: 250 });
  const wait = delay * 1000 - (Date.now() - started);
  if (wait > 0) await sleep(wait);
  await session.call("Profiler.start");
  await sleep(seconds * 1000);
  const { profile } = await session.call("Profiler.stop");
  session.close();
  writeFileSync(out, JSON.stringify(profile));
  console.error(`[profile] ${out} (${seconds} s on inspector port ${port})`);
  summary(profile, Number(flag(args, "--top", "20")));
}

/** What kind of code a profile node is. */
function kind(node) {
  const { functionName: name, url } = node.callFrame;
  if (name === "(garbage collector)") return "GC";
  if (name === "(idle)") return "idle";
  if (name === "(program)" || name === "(root)") return "native (runtime, outside JS and wasm)";
  if (url.startsWith("wasm://") || /^\$?\w+\.wasm/.test(url)) return "wasm";
  if (/^(__wbg_|__wbindgen|passStringToWasm|getStringFromWasm|getObject|addHeapObject|takeObject|dropObject|handleError|getUint8|getDataView|isLikeNone|debugString|getArrayU8|passArray|makeMutClosure|real|__wbg_adapter)/.test(name))
    return "wasm-bindgen glue (JS)";
  return "other JS";
}

/**
 * What a sample was doing: the first entry of this list that some frame on
 * its stack matches (so a WebSocket send made by the core counts as a
 * send, and the core's own work as the core). Whatever matches nothing is
 * "other".
 */
const WHAT = [
  [/get_websockets_with_tag|getWebSockets|get_tags|getTags/, "socket lookup (tags)"],
  [/serialize_attachment|serializeAttachment|deserialize_attachment|deserializeAttachment|Sockets>::save/, "attachment save / read"],
  [/send_with_str|WebSocket::send|sendJs|send_js|Sockets>::send/, "WebSocket send"],
  [/SqlStorage::exec|SqlCursor|DoSql|sql_exec/, "SQLite (DO storage)"],
  [/console::log|logging::emit/, "logging"],
  [/metrics_sink|metrics_aggregator|MetricsAggregator/, "metrics report"],
  [/d1_sink|connvo_rooms::d1::|D1Database|d1-api/, "D1 (audit, flush)"],
  [/set_alarm|setAlarm/, "alarm"],
  [/RoomCore|connvo_shared::room::|connvo_shared::ot::|connvo_shared::intelligence::/, "room core (wasm)"],
  [/MeetingRoom/, "room shell (wasm)"],
];

function what(node, byId, parent) {
  let best = WHAT.length;
  for (let id = node.id; id !== undefined; id = parent.get(id)) {
    const name = byId.get(id).callFrame.functionName;
    const i = WHAT.findIndex(([re]) => re.test(name));
    if (i >= 0 && i < best) best = i;
  }
  return best < WHAT.length ? WHAT[best][1] : "other";
}

function summary(profile, top = 20) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Self time per node from the samples and their time deltas.
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + dt);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFn = new Map();
  const byKind = new Map();
  const byWhat = new Map();
  let busy = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    const k = kind(node);
    byKind.set(k, (byKind.get(k) ?? 0) + us);
    if (k === "idle") continue;
    busy += us;
    const w = what(node, byId, parent);
    byWhat.set(w, (byWhat.get(w) ?? 0) + us);
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url.startsWith("wasm://") ? "wasm" : `${url.split("/").pop() || "?"}:${lineNumber + 1}`;
    const key = `${functionName || "(anonymous)"} [${where}]`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
  }
  const pct = (us, of) => ((100 * us) / of).toFixed(1);
  console.log(`profile: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (${pct(busy, total)} %)\n`);
  console.log("| kind | self ms | % of busy |\n|---|---:|---:|");
  for (const [k, us] of [...byKind].sort((a, b) => b[1] - a[1])) {
    if (k === "idle") continue;
    console.log(`| ${k} | ${(us / 1e3).toFixed(0)} | ${pct(us, busy)} |`);
  }
  console.log("\n| what (first known cost on the stack) | ms | % of busy |\n|---|---:|---:|");
  for (const [w, us] of [...byWhat].sort((a, b) => b[1] - a[1])) {
    console.log(`| ${w} | ${(us / 1e3).toFixed(0)} | ${pct(us, busy)} |`);
  }
  console.log(`\n| # | function (self time) | self ms | % of busy |\n|---:|---|---:|---:|`);
  [...byFn]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .forEach(([key, us], i) => {
      const name = key.replace(/\|/g, "\\|");
      console.log(`| ${i + 1} | \`${name}\` | ${(us / 1e3).toFixed(0)} | ${pct(us, busy)} |`);
    });
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === "record") {
  await record(args);
} else if (cmd === "files") {
  await files(args);
} else if (cmd === "summary" && args[0]) {
  summary(JSON.parse(readFileSync(args[0], "utf8")), Number(flag(args, "--top", "20")));
} else {
  console.error("usage: profile-workerd.mjs record [--port N | --next] [--delay S] [--seconds S] [--out F]\n       profile-workerd.mjs summary F.cpuprofile [--top N]\n       profile-workerd.mjs files [--next] [--delay S] [--seconds S]");
  process.exit(2);
}
