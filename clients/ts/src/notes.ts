// The notes stream's client side: one local document kept in step with the
// room's through operational transformation on `ot-text-unicode`. It
// follows the rules of the room's own Rust client (`NotesClient` in
// shared/src/ot/client.rs), which the room's simulations check:
//
// - local edits apply at once and gather in `pending` (composed);
// - at most one op is in flight; it is always expressed against `version`
//   (every server op received since sending transformed it), and after a
//   reconnect it is resent with the same `client_seq`, so the room never
//   applies it twice;
// - a server op is transformed past the in-flight and pending ops (theirs
//   goes first: the server gave the op it committed earlier priority, so
//   ours take the `left` side), then applied;
// - our own op coming back in `notes.ops` (its ack was lost) counts as the ack;
// - a snapshot or a reject drops what cannot be rebased and says what.
//
// No I/O here: the room client feeds it frames and sends what it submits.

import { type } from "ot-text-unicode";
import type { TextOp } from "ot-text-unicode";

import type { Op, WireOp } from "./generated/index.js";

/** An op for the room: the fields of a `notes.op` frame. */
export interface OpSubmission {
  client_seq: number;
  base_version: number;
  op: Op;
}

/** The server skipped a version: a frame was lost, reconnect to catch up. */
export class VersionGapError extends Error {
  constructor(
    readonly expected: number,
    readonly got: number,
  ) {
    super(`notes version gap: expected ${expected}, got ${got}`);
    this.name = "VersionGapError";
  }
}

interface Inflight {
  seq: number;
  op: TextOp;
  sent: boolean;
}

function isNoop(op: TextOp): boolean {
  return type.normalize(op).length === 0;
}

export class NotesDocument {
  private content_ = "";
  private version_ = 0;
  private loaded_ = false;
  private online = false;
  private inflight: Inflight | null = null;
  private pending: TextOp | null = null;
  private nextSeq = 1;

  constructor(readonly clientId: string) {}

  /** The local document, local edits included. */
  get content(): string {
    return this.content_;
  }

  /** The server version the local document is based on. */
  get version(): number {
    return this.version_;
  }

  /** True once the first snapshot arrived: edits need a document. */
  get loaded(): boolean {
    return this.loaded_;
  }

  /** Some local edit is not yet acknowledged by the room. */
  get hasUnacked(): boolean {
    return this.inflight !== null || (this.pending !== null && !isNoop(this.pending));
  }

  /**
   * A connection is up. Returns the version to resume from, or undefined
   * when no document is held yet (the room then sends its snapshot).
   */
  connect(): number | undefined {
    this.online = true;
    if (this.inflight) this.inflight.sent = false;
    return this.loaded_ ? this.version_ : undefined;
  }

  /** The connection is gone; edits keep queueing locally. */
  disconnect(): void {
    this.online = false;
    if (this.inflight) this.inflight.sent = false;
  }

  /** A local edit against `content`; applies at once. */
  edit(op: Op): void {
    if (!this.loaded_) throw new Error("notes: no document yet (wait for the snapshot)");
    const textOp = op as TextOp;
    type.checkOp(textOp);
    this.content_ = type.apply(this.content_, textOp);
    this.pending = this.pending ? type.compose(this.pending, textOp) : textOp;
  }

  /** The next op to send, if any (the in-flight op again after a reconnect). */
  pollSubmit(): OpSubmission | null {
    if (!this.online) return null;
    if (!this.inflight) {
      const op = this.pending;
      this.pending = null;
      if (!op || isNoop(op)) return null;
      this.inflight = { seq: this.nextSeq++, op, sent: false };
    }
    if (this.inflight.sent) return null;
    this.inflight.sent = true;
    return {
      client_seq: this.inflight.seq,
      base_version: this.version_,
      op: this.inflight.op as Op,
    };
  }

  /**
   * A committed op, in version order. Returns the op applied to the local
   * document (moved past local edits), or null when nothing changed.
   */
  applyServerOp(committed: WireOp): TextOp | null {
    if (committed.version <= this.version_) return null;
    const expected = this.version_ + 1;
    if (committed.version !== expected) throw new VersionGapError(expected, committed.version);
    if (
      this.inflight &&
      committed.client_id === this.clientId &&
      committed.client_seq === this.inflight.seq
    ) {
      this.inflight = null;
      this.version_ = committed.version;
      return null;
    }
    let incoming = committed.op as TextOp;
    if (this.inflight) {
      const mine = type.transform(this.inflight.op, incoming, "left");
      incoming = type.transform(incoming, this.inflight.op, "right");
      this.inflight.op = mine;
    }
    if (this.pending) {
      const mine = type.transform(this.pending, incoming, "left");
      incoming = type.transform(incoming, this.pending, "right");
      this.pending = mine;
    }
    this.content_ = type.apply(this.content_, incoming);
    this.version_ = committed.version;
    return incoming;
  }

  /** The room committed our op `clientSeq` as `version` (R4, R22). */
  ack(clientSeq: number, version: number): void {
    if (!this.inflight || this.inflight.seq !== clientSeq) return;
    if (isNoop(this.inflight.op) && version === this.version_) {
      this.inflight = null;
      return;
    }
    const expected = this.version_ + 1;
    if (version !== expected) throw new VersionGapError(expected, version);
    this.inflight = null;
    this.version_ = version;
  }

  /**
   * Replaces the local document with the room's snapshot. Unacknowledged
   * edits cannot be rebased without the missing ops: they are dropped and
   * returned (true when something was dropped).
   */
  reset(content: string, version: number): boolean {
    const dropped = this.hasUnacked;
    this.inflight = null;
    this.pending = null;
    this.content_ = content;
    this.version_ = version;
    this.loaded_ = true;
    return dropped;
  }

  /** The room refused our in-flight op: roll back to its document (R5). */
  reject(clientSeq: number, content: string, version: number): boolean {
    if (!this.inflight || this.inflight.seq !== clientSeq) return false;
    return this.reset(content, version);
  }
}

/**
 * The op that turns `from` into `to` (one retain, delete and insert around
 * the changed middle), for editors that report whole new values, like a
 * textarea. Lengths count Unicode scalar values, as the room's ops do.
 */
export function diffOp(from: string, to: string): Op {
  const a = Array.from(from);
  const b = Array.from(to);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const op: Op = [];
  if (endA === start && endB === start) return op; // no change (a trailing retain is invalid)
  if (start > 0) op.push(start);
  if (endB > start) op.push(b.slice(start, endB).join(""));
  if (endA > start) op.push({ d: endA - start });
  return op;
}
