// Takes the dashboard screenshot committed as docs/dashboard.png: against
// a running backend (./scripts/dev; CONNVO_API to point elsewhere), it
// mints a local admin token, sends a short mixed load (a spread of routes,
// some 4xx), opens /admin/dashboard in Debian's Chromium (playwright-core,
// as clients/demo's test does) and saves the page.
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

const minted = await json("/v1/dev/token", {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ user_id: "user_dash_admin", org_id: "org_dash", role: "admin" }),
});
const token = minted.body.access_token;
const auth = { authorization: `Bearer ${token}` };
const paths = ["/v1/version", "/v1/health", "/v1/me", "/v1/meetings", "/v1/notifications", "/v1/no-such-route"];
for (let round = 0; round < 60; round++) {
  await Promise.all(paths.map((p) => fetch(API + p, { headers: auth }).then((r) => r.arrayBuffer())));
}
await new Promise((r) => setTimeout(r, 1500));

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(`${API}/admin/dashboard#token=${token}`);
await page.waitForFunction(() => document.querySelector("#routes tbody tr") !== null, null, { timeout: 15000 });
await page.screenshot({ path: OUT, fullPage: true });
await browser.close();
console.log(`saved ${OUT}`);
