// NotesDocument and the helpers, without a server: a tiny in-test room that
// transforms submitted ops over what it committed since their base, as the
// real room does (docs/protocol.md, "Notes"), so the client's side of the
// OT (in-flight and pending ops, transforms, acks) is checked by itself.

import assert from "node:assert/strict";
import { test } from "node:test";
import { type } from "ot-text-unicode";

import { NotesDocument, RoomClient, diffOp } from "../dist/index.js";

class TinyRoom {
  constructor() {
    this.content = "";
    this.log = []; // committed WireOps; log[i].version === i + 1
  }
  submit(clientId, sub) {
    let op = sub.op;
    for (const committed of this.log.slice(sub.base_version)) {
      op = type.transform(op, committed.op, "left");
    }
    this.content = type.apply(this.content, op);
    const wire = {
      version: this.log.length + 1,
      op,
      author_id: clientId,
      client_id: clientId,
      client_seq: sub.client_seq,
      base_version: sub.base_version,
      committed_at_ms: 0,
    };
    this.log.push(wire);
    return wire;
  }
}

test("diffOp turns one text into another, counting Unicode scalar values", () => {
  for (const [from, to] of [
    ["", "abc"],
    ["abc", ""],
    ["hello world", "hello brave world"],
    ["héllo 👋 there", "héllo 🌍 there!"],
    ["same", "same"],
  ]) {
    assert.equal(type.apply(from, diffOp(from, to)), to, `${from} -> ${to}`);
  }
  assert.deepEqual(diffOp("a👋b", "a🌍b"), [1, "🌍", { d: 1 }]);
});

test("backoff grows exponentially, is capped and jittered into the upper half", () => {
  const b = { initialMs: 100, maxMs: 1000, factor: 2 };
  assert.equal(RoomClient.backoffDelay(0, b, () => 0), 50);
  assert.equal(RoomClient.backoffDelay(0, b, () => 1), 100);
  assert.equal(RoomClient.backoffDelay(3, b, () => 1), 800);
  assert.equal(RoomClient.backoffDelay(10, b, () => 1), 1000);
  assert.equal(RoomClient.backoffDelay(10, b, () => 0), 500);
});

test("two documents with concurrent in-flight and pending edits converge", () => {
  const room = new TinyRoom();
  const a = new NotesDocument("a");
  const b = new NotesDocument("b");
  for (const doc of [a, b]) {
    doc.reset("", 0);
    doc.connect();
  }
  a.edit(["hello"]);
  b.edit(["world"]);
  const subA = a.pollSubmit();
  const subB = b.pollSubmit();
  assert.equal(a.pollSubmit(), null, "one op in flight at a time");
  a.edit([5, "!"]); // pending behind the in-flight op
  const wa = room.submit("a", subA);
  const wb = room.submit("b", subB);
  // a: its ack, then b's op; b: a's op, then its ack.
  a.ack(wa.client_seq, wa.version);
  a.applyServerOp(wb);
  b.applyServerOp(wa);
  b.ack(wb.client_seq, wb.version);
  const next = a.pollSubmit();
  assert.equal(next.base_version, 2);
  const wc = room.submit("a", next);
  a.ack(wc.client_seq, wc.version);
  b.applyServerOp(wc);
  assert.equal(a.content, room.content);
  assert.equal(b.content, room.content);
  assert.equal(Array.from(room.content).sort().join(""), Array.from("hello!world").sort().join(""));
  assert.ok(room.content.includes("hello!") && room.content.includes("world"), room.content);
  assert.equal(a.hasUnacked || b.hasUnacked, false);
});

test("our own op coming back in notes.ops counts as its ack; a resend keeps its client_seq", () => {
  const room = new TinyRoom();
  const a = new NotesDocument("a");
  a.reset("", 0);
  a.connect();
  a.edit(["x"]);
  const sub = a.pollSubmit();
  a.disconnect();
  a.connect();
  const again = a.pollSubmit();
  assert.equal(again.client_seq, sub.client_seq);
  const wire = room.submit("a", again);
  assert.equal(a.applyServerOp(wire), null);
  assert.equal(a.version, 1);
  assert.equal(a.hasUnacked, false);
});

test("a snapshot or a reject drops what cannot be rebased", () => {
  const a = new NotesDocument("a");
  a.reset("abc", 3);
  a.connect();
  a.edit([3, "d"]);
  const sub = a.pollSubmit();
  assert.equal(a.reject(sub.client_seq + 1, "zzz", 9), false, "a stale reject changes nothing");
  assert.equal(a.reject(sub.client_seq, "abc", 4), true);
  assert.equal(a.content, "abc");
  assert.equal(a.version, 4);
  assert.throws(() => a.applyServerOp({ version: 6, op: ["q"], client_id: "b", client_seq: 1 }), /gap/);
});
