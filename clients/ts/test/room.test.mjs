// @connvo/client against a real backend (`wrangler dev`, see backend.mjs):
// two users in one started meeting, each with a RoomClient, as two
// browser tabs would be. Run by scripts/test (`node --test` after `tsc`).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { ApiError, OPERATIONS, RoomClient, devSignIn } from "../dist/index.js";
import { Backend, waitFor } from "./backend.mjs";

let backend;
let alice; // RestClient signed in as the host
let bob;
let meetingId;
const clients = [];

function roomClient(rest, options = {}) {
  const client = new RoomClient({
    meetingId,
    url: (ticket) => rest.roomUrl(meetingId, ticket),
    ticket: rest.ticketSource(meetingId),
    backoff: { initialMs: 100, maxMs: 1000 },
    ...options,
  });
  clients.push(client);
  return client;
}

/** Both clients hold the same document and nothing is left to send. */
function converged(a, b) {
  return (
    a.notes.loaded &&
    b.notes.loaded &&
    !a.notes.hasUnacked &&
    !b.notes.hasUnacked &&
    a.notes.version === b.notes.version &&
    a.notes.content === b.notes.content
  );
}

async function waitConverged(a, b, what) {
  try {
    await waitFor(what, () => converged(a, b), 20_000);
  } catch (e) {
    throw new Error(
      `${e.message}: a=${JSON.stringify([a.notes.version, a.notes.content, a.status])} ` +
        `b=${JSON.stringify([b.notes.version, b.notes.content, b.status])}\n${backend.logTail(30)}`,
    );
  }
}

/**
 * Types `text` one character at a time at the end of the local document,
 * as a person appending to the notes does.
 */
async function type(client, text) {
  for (const ch of Array.from(text)) {
    const end = Array.from(client.notes.content).length;
    client.editNotes(end > 0 ? [end, ch] : [ch]);
    await new Promise((r) => setTimeout(r, 5));
  }
}

before(async () => {
  backend = await Backend.start();
  alice = await devSignIn(backend.url, "user_client_alice", "org_client");
  bob = await devSignIn(backend.url, "user_client_bob", "org_client");
  const meeting = await alice.createMeeting({
    title: "client test",
    participants: [{ user_id: "user_client_bob", role: "participant" }],
  });
  meetingId = meeting.id;
  await alice.startMeeting(meetingId);
});

after(async () => {
  for (const client of clients) client.disconnect();
  await backend?.cleanup();
});

describe("RoomClient against wrangler dev", () => {
  let a;
  let b;

  test("hello: welcome with the user's role, then the notes snapshot and presence", async () => {
    a = roomClient(alice);
    b = roomClient(bob);
    a.connect();
    b.connect();
    await Promise.all([a.whenOpen(), b.whenOpen()]);
    assert.equal(a.welcome.user_id, "user_client_alice");
    assert.equal(a.welcome.role, "host");
    assert.equal(b.welcome.role, "participant");
    assert.deepEqual(a.welcome.subscribed, ["state", "presence", "notes", "transcript", "chat", "prompts"]);
    await waitFor("the notes snapshot", () => a.notes.loaded && b.notes.loaded);
    assert.equal(a.notes.content, "");
    await waitFor("active state", () => a.meetingState?.state === "active");
    await waitFor("both users online at b", () => {
      const online = b.presence.filter((u) => u.online).map((u) => u.user_id).sort();
      return online.join() === "user_client_alice,user_client_bob";
    });
  });

  test("notes: concurrent typing at both ends converges on one document", async () => {
    await Promise.all([type(a, "alpha "), type(b, "bravo ")]);
    await waitConverged(a, b, "convergence after concurrent typing");
    const text = a.notes.content;
    assert.equal(Array.from(text).length, 12);
    // Each side's characters stay in its own order (OT keeps intentions).
    for (const word of ["alpha", "bravo"]) {
      const letters = Array.from(word);
      let i = 0;
      for (const ch of text) if (ch === letters[i]) i++;
      assert.equal(i, letters.length, `${word} in order within ${JSON.stringify(text)}`);
    }
  });

  test("notes: a client that went offline keeps editing and converges after reconnecting", async () => {
    const before = a.notes.content;
    a.disconnect();
    assert.equal(a.status, "idle");
    // Offline edits queue locally; the other side edits meanwhile.
    a.editNotes([Array.from(before).length, "[a offline]"]);
    a.setNotesText(a.notes.content + "!");
    b.editNotes([">> "]);
    await waitFor("b's edits acked", () => !b.notes.hasUnacked);
    assert.equal(a.notes.hasUnacked, true);
    assert.ok(!a.notes.content.includes(">>"), "a is offline: it has not seen b's edit");
    const chatWhileOffline = a.sendChat("sent while offline");

    a.connect();
    await a.whenOpen();
    await waitConverged(a, b, "convergence after a's reconnect");
    assert.ok(a.notes.content.startsWith(">> "), a.notes.content);
    assert.ok(a.notes.content.endsWith("[a offline]!"), a.notes.content);
    const seq = await chatWhileOffline;
    await waitFor("b gets a's offline chat", () => b.chat.some((m) => m.seq === seq));
    assert.equal(b.chat.find((m) => m.seq === seq).text, "sent while offline");
  });

  test("a dropped connection reconnects with backoff and resumes every stream exactly once", async () => {
    const statuses = [];
    const off = a.on("status", (s) => statuses.push(s));
    a.simulateDrop();
    await waitFor("a reconnecting", () => statuses.includes("reconnecting"));
    // While a is away: chat, a caption and notes from b.
    await b.whenOpen();
    const seq = await b.sendChat("while you were away");
    assert.ok(b.caption("hello from bob's microphone"));
    b.editNotes(["# "]);
    await a.whenOpen();
    off();
    assert.deepEqual(statuses.slice(0, 1), ["reconnecting"]);
    await waitConverged(a, b, "convergence after the drop");
    await waitFor("a resumes chat", () => a.chat.some((m) => m.seq === seq));
    await waitFor("a resumes the transcript", () =>
      a.transcript.some((c) => c.text === "hello from bob's microphone"),
    );
    const chunk = a.transcript.find((c) => c.text === "hello from bob's microphone");
    assert.equal(chunk.speaker_id, "user_client_bob");
    assert.equal(chunk.source, "participant");
    for (const list of [a.chat, a.transcript, b.chat, b.transcript]) {
      const seqs = list.map((x) => x.seq);
      assert.deepEqual(seqs, [...new Set(seqs)].sort((x, y) => x - y), "each item once, in order");
    }
  });

  test("chat, transcript and presence reach the other client", async () => {
    const seq = await a.sendChat("hi bob");
    await waitFor("bob sees the chat", () => b.chat.some((m) => m.seq === seq && m.text === "hi bob"));
    assert.equal(b.chat.find((m) => m.seq === seq).user_id, "user_client_alice");
    assert.ok(a.setSpeaking(true));
    await waitFor("bob sees alice speaking", () =>
      b.presence.some((u) => u.user_id === "user_client_alice" && u.speaking),
    );
    assert.ok(a.caption("a caption from alice"));
    await waitFor("bob gets alice's caption", () =>
      b.transcript.some((c) => c.text === "a caption from alice" && c.speaker_id === "user_client_alice"),
    );
    await waitFor("speaking time in state", () => (b.meetingState?.speaking_ms?.user_client_alice ?? 0) > 0);
  });

  test("a bad write is answered to its sender only, with a stable code", async () => {
    const errors = [];
    const off = a.on("error", (e) => errors.push(e));
    a.react("prm_does_not_exist", "used");
    await waitFor("an error frame", () => errors.length > 0);
    off();
    assert.equal(errors[0].code, "INVALID_FIELD");
    assert.equal(a.status, "open");
  });

  test("pings are answered and keep the connection open", async () => {
    const pinger = roomClient(bob, { pingIntervalMs: 100, pongTimeoutMs: 2000, subscribe: ["state"] });
    let pongs = 0;
    pinger.on("frame", (f) => {
      if (f.type === "pong") pongs++;
    });
    const statuses = [];
    pinger.on("status", (st) => statuses.push(st));
    pinger.connect();
    await pinger.whenOpen();
    await waitFor("three pongs", () => pongs >= 3);
    assert.equal(pinger.status, "open");
    assert.deepEqual(statuses, ["connecting", "open"]);
    pinger.disconnect();
  });

  test("a client of someone not in the meeting is closed for good", async () => {
    const carol = await devSignIn(backend.url, "user_client_carol", "org_client");
    const c = roomClient(carol);
    c.connect();
    await waitFor("carol's client closed", () => c.status === "closed");
    // The ticket is refused: carol is not a member.
    assert.ok([403, 404].includes(c.closeReason.code), JSON.stringify(c.closeReason));
  });

  test("REST: any operation of the spec by its operationId; errors are ApiError with the stable code", async () => {
    // The generated operation table names the routes the worker serves.
    assert.deepEqual(OPERATIONS.meetings_get, { method: "GET", path: "/v1/meetings/{meeting_id}" });
    const page = await alice.call("meetings_list", { query: { limit: 5 } });
    assert.ok(page.meetings.some((m) => m.id === meetingId), JSON.stringify(page));
    const { participants } = await alice.call("meetings_participants_list", {
      path: { meeting_id: meetingId },
    });
    assert.deepEqual(participants.map((p) => p.user_id).sort(), ["user_client_alice", "user_client_bob"]);
    // A meeting the caller is not in (here: none) is refused, not revealed.
    await assert.rejects(
      alice.call("meetings_get", { path: { meeting_id: "mtg_does_not_exist" } }),
      (e) => e instanceof ApiError && e.status === 403 && e.code === "FORBIDDEN",
    );
    await assert.rejects(
      alice.call("meetings_create", { body: { title: "" } }),
      (e) => e instanceof ApiError && e.status === 400 && e.code === "VALIDATION_ERROR",
    );
  });
});
