// Takes the API docs screenshot committed as docs/api-docs.png: against a
// running backend (./scripts/dev; CONNVO_API to point elsewhere), it mints
// a dev token, opens /docs (Swagger UI, the worker's static assets) in
// Debian's Chromium (playwright-core, as clients/demo's test does),
// clicks **Authorize** and pastes the token as the bearer, then expands
// `GET /v1/me`, runs it (Try it out is on: `tryItOutEnabled`) and saves
// the operation with its 200 answer.
//
//   node scripts/docs-shot.mjs [out.png]
import { chromium } from "playwright-core";

const API = process.env.CONNVO_API ?? "http://127.0.0.1:8787";
const CHROMIUM = process.env.CONNVO_CHROMIUM ?? "/usr/bin/chromium";
const OUT = process.argv[2] ?? "docs/api-docs.png";

const minted = await fetch(`${API}/v1/dev/token`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ user_id: "user_demo_alice", org_id: "org_demo" }),
}).then((r) => r.json());
const token = minted.access_token;
if (!token) throw new Error(`no dev token: ${JSON.stringify(minted)}`);

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(`${API}/docs`);
  // Authorize: the bearer scheme's value box, then Authorize and Close.
  await page.locator(".auth-wrapper button.authorize").click();
  const modal = page.locator(".dialog-ux .modal-ux");
  await modal.locator("input").first().fill(token);
  await modal.locator("button.authorize").first().click();
  await modal.locator("button.btn-done, button.close-modal").first().click();
  // GET /v1/me: expand, execute, wait for the live answer.
  const op = page
    .locator(".opblock.opblock-get", { has: page.locator('.opblock-summary-path[data-path="/v1/me"]') })
    .first();
  await op.locator(".opblock-summary").click();
  const tryIt = op.locator("button.try-out__btn");
  if (await tryIt.isVisible().catch(() => false) && (await tryIt.textContent()).includes("Try")) await tryIt.click();
  await op.locator("button.execute").click();
  await op.locator(".live-responses-table tr.response .response-col_status").first().waitFor({ timeout: 15000 });
  const status = (await op.locator(".live-responses-table tr.response .response-col_status").first().textContent()).trim();
  if (!status.startsWith("200")) throw new Error(`GET /v1/me answered ${status}`);
  // The page's header with the Authorize button, then the operation.
  await page.evaluate(() => window.scrollTo(0, 0));
  await op.evaluate((el) => el.scrollIntoView({ block: "start" }));
  await page.evaluate(() => window.scrollBy(0, -60));
  await page.screenshot({ path: OUT });
  console.log(`saved ${OUT}`);
} finally {
  await browser.close();
}
