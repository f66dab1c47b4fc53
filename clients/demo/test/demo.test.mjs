// The browser demo in Chromium (Debian's package, installed by
// scripts/bootstrap; driven by playwright-core): a backend on wrangler dev,
// the built demo served by `vite preview` with /v1 proxied to it, and two
// browser contexts — two people — in one meeting. They type into the notes
// at the same time and must converge; chat must reach the other side.
// Screenshots go to clients/demo/test-results/.

import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";
import { preview } from "vite";

import { Backend } from "../../ts/test/backend.mjs";

const DEMO = join(dirname(fileURLToPath(import.meta.url)), "..");
const SHOTS = join(DEMO, "test-results");
const CHROMIUM = process.env.CONNVO_CHROMIUM ?? "/usr/bin/chromium";

let backend;
let server;
let browser;

before(async () => {
  assert.ok(existsSync(join(DEMO, "dist/index.html")), "build the demo first (npm run build -w @connvo/demo)");
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: run scripts/bootstrap`);
  mkdirSync(SHOTS, { recursive: true });
  backend = await Backend.start();
  process.env.CONNVO_API = backend.url;
  server = await preview({
    configFile: join(DEMO, "vite.config.mjs"),
    logLevel: "warn",
    preview: { port: 0, host: "127.0.0.1" },
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.httpServer.close(resolve) : resolve()));
  await backend?.cleanup();
});

function demoUrl() {
  const address = server.httpServer.address();
  return `http://127.0.0.1:${address.port}/demo/`;
}

async function signIn(page, user) {
  await page.goto(demoUrl());
  await page.fill("#user-id", user);
  await page.click("#signin-button");
  await page.waitForSelector("#meeting:not([hidden])");
}

/** `word`'s characters appear in `text` in order (each typist's intent kept). */
function inOrder(text, word) {
  let i = 0;
  for (const ch of text) if (ch === word[i]) i++;
  return i === word.length;
}

test("two people in one meeting: notes typed at the same time converge, chat arrives", async () => {
  const ada = await (await browser.newContext()).newPage();
  const grace = await (await browser.newContext()).newPage();
  const failures = [];
  for (const page of [ada, grace]) page.on("pageerror", (e) => failures.push(e.message));

  // Grace signs in first: her user must exist to be invited.
  await signIn(grace, "user_demo_grace");
  await signIn(ada, "user_demo_ada");
  await ada.fill("#title", "Demo test");
  await ada.fill("#invite", "user_demo_grace");
  await ada.click("#create-button");
  await ada.waitForSelector("#status[data-status=open]");
  const meetingId = await ada.textContent("#room-id");
  assert.match(meetingId, /\S/);

  await grace.fill("#meeting-id", meetingId);
  await grace.click("#join-button");
  await grace.waitForSelector("#status[data-status=open]");
  for (const page of [ada, grace]) await page.waitForSelector("#notes:not([disabled])");
  await ada.waitForSelector('#presence-list li.online[data-user="user_demo_grace"]');

  // Both type at once, character by character.
  const adaText = "Ada: agenda first. ";
  const graceText = "Grace: questions later. ";
  await Promise.all([
    ada.locator("#notes").pressSequentially(adaText, { delay: 15 }),
    grace.locator("#notes").pressSequentially(graceText, { delay: 15 }),
  ]);
  let notes = ["", ""];
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    notes = await Promise.all([ada, grace].map((p) => p.inputValue("#notes")));
    const settled = await Promise.all(
      [ada, grace].map((p) => p.evaluate(() => !window.connvoRoom.notes.hasUnacked)),
    );
    if (notes[0] === notes[1] && settled.every(Boolean) && notes[0].length === adaText.length + graceText.length) {
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(notes[0], notes[1], "both editors show the same notes");
  assert.equal(notes[0].length, adaText.length + graceText.length, notes[0]);
  assert.ok(inOrder(notes[0], adaText) && inOrder(notes[0], graceText), notes[0]);

  // Chat from Ada reaches Grace; a caption from Grace reaches Ada.
  await ada.fill("#chat-input", "Hello Grace!");
  await ada.click("#chat-send");
  await grace.waitForSelector('#chat-list li:has-text("Hello Grace!")', { timeout: 10_000 });
  await grace.fill("#caption", "Nice to meet you, Ada");
  await grace.press("#caption", "Enter");
  await ada.waitForSelector('#transcript-list li:has-text("Nice to meet you, Ada")', { timeout: 10_000 });

  await ada.setViewportSize({ width: 1200, height: 820 });
  await ada.screenshot({ path: join(SHOTS, "demo-ada.png"), fullPage: true });
  await grace.screenshot({ path: join(SHOTS, "demo-grace.png"), fullPage: true });
  assert.deepEqual(failures, [], "no errors in the pages");
});
