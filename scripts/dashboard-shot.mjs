// Takes the dashboard screenshot committed as docs/dashboard.png: against
// a running backend (./scripts/dev; CONNVO_API to point elsewhere), it
// mints local tokens, opens a few live meetings with two sockets each,
// sends a mixed load for LOAD_SECS (default 150; a spread of routes, some
// 4xx) while the rooms stay busy (each host edits the notes, so the rooms
// report fan-out latency, and pings), opens /admin/dashboard in Debian's Chromium (playwright-core,
// as clients/demo's test does) and saves the page. `scripts/shots.mjs`
// runs this and docs-shot.mjs.
//
//   node scripts/dashboard-shot.mjs [out.png]
import { chromium } from "playwright-core";

const API = process.env.CONNVO_API ?? "http://127.0.0.1:8787";
const CHROMIUM = process.env.CONNVO_CHROMIUM ?? "/usr/bin/chromium";
const OUT = process.argv[2] ?? "docs/dashboard.png";

async function json(path, init = {}) {
  const r = await fetch(API + path, init);
  return { status: r.status, body: await r.json().catch(() => null) };
}

async function tokenFor(user_id, role) {
  const minted = await json("/v1/dev/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_id, org_id: "org_dash", role }),
  });
  const token = minted.body.access_token;
  await fetch(API + "/v1/me", { headers: { authorization: `Bearer ${token}` } });
  return token;
}

const token = await tokenFor("user_dash_admin", "admin");
const guest = await tokenFor("user_dash_guest", "member");
const auth = { authorization: `Bearer ${token}` };
const post = (path, tok, body) =>
  json(path, {
    method: "POST",
    headers: { authorization: `Bearer ${tok}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });

// Live meetings: host and guest connected, each socket saying hello.
const sockets = [];
for (let m = 0; m < 3; m++) {
  const created = await post("/v1/meetings", token, {
    title: `Dashboard ${m}`,
    participants: [{ user_id: "user_dash_guest", role: "participant" }],
  });
  const id = created.body.meeting?.id ?? created.body.id;
  await post(`/v1/meetings/${id}/start`, token);
  for (const [tok, client] of [[token, "host"], [guest, "guest"]]) {
    const { body } = await post(`/v1/meetings/${id}/ws-ticket`, tok);
    const ws = new WebSocket(`${API.replace("http", "ws")}/v1/meetings/${id}/ws?ticket=${body.ticket}`);
    await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = fail; });
    ws.send(JSON.stringify({ type: "hello", protocol: 1, client_id: `c_${client}_${m}`, resume: {},
      subscribe: ["notes", "transcript", "chat", "presence", "state", "prompts"] }));
    sockets.push({ ws, host: client === "host", sent: 0 });
  }
}

const paths = ["/v1/version", "/v1/health", "/v1/me", "/v1/meetings", "/v1/notifications", "/v1/no-such-route"];
const until = Date.now() + Number(process.env.LOAD_SECS ?? 150) * 1000;
while (Date.now() < until) {
  await Promise.all(paths.map((p) => fetch(API + p, { headers: auth }).then((r) => r.arrayBuffer())));
  for (const s of sockets) {
    s.ws.send(JSON.stringify({ type: "ping" }));
    // Only the host edits, one op at a time in order: each op's base is
    // the version its previous ones made.
    if (s.host) {
      s.ws.send(JSON.stringify({ type: "notes.op", client_seq: s.sent + 1, base_version: s.sent, op: ["·"] }));
      s.sent += 1;
    }
  }
  await new Promise((r) => setTimeout(r, 250));
}
await new Promise((r) => setTimeout(r, 1500));

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(`${API}/admin/dashboard#token=${token}`);
await page.waitForFunction(() => document.querySelector("#routes tbody tr") !== null, null, { timeout: 15000 });
await page.screenshot({ path: OUT, fullPage: true });
await browser.close();
for (const s of sockets) s.ws.close();
console.log(`saved ${OUT}`);
