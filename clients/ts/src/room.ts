// The meeting room client: one WebSocket to a meeting's room, kept alive
// across drops, with the streams' state a UI renders (docs/protocol.md).
//
// - Connecting: a fresh single-use ticket per connection, then `hello`
//   with the cursors held per stream (resume, R6), then `welcome` and the
//   catch-ups.
// - Reconnecting: exponential backoff with jitter after an unexpected
//   close; never after a close that says reconnecting cannot help (4003,
//   4009, 4008 `REPLACED`).
// - Pings: the exact `{"type":"ping"}` frame (the runtime may answer it
//   without waking the room); no frame for `pongTimeoutMs` after a ping
//   drops the connection and reconnects.
// - Notes: a `NotesDocument` (OT on ot-text-unicode) fed with the notes
//   frames; its in-flight op is resent after a reconnect.
// - Chat: sends are kept until acked and resent after a reconnect (the
//   room deduplicates by `client_ref`, R9).
// - `resync` (R15): subscribe again with the stream's cursor.

import type {
  ChatMessage,
  MeetingRole,
  MeetingState,
  PromptEvent,
  Reaction,
  ServerMsg,
  Stream,
  Tally,
  TranscriptChunk,
  UserPresence,
  WireOp,
} from "./generated/index.js";
import {
  FINAL_CLOSE_CODES,
  PROTOCOL_VERSION,
  type ClientMsg,
  type ResumeCursors,
  type ServerFrame,
  type TranscriptChunkInput,
} from "./frames.js";
import { NotesDocument, VersionGapError, diffOp } from "./notes.js";
import type { TicketSource } from "./rest.js";
import type { Op } from "./generated/index.js";

export type ConnectionStatus =
  | "idle" // not started, or stopped by `disconnect()`
  | "connecting"
  | "open" // welcome received
  | "reconnecting" // waiting out a backoff delay
  | "closed"; // the room closed us for good (see `closeReason`)

/** The shape of the WebSocket this client needs (the browser's, Node ≥ 22's, or `ws`). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export interface RoomClientOptions {
  meetingId: string;
  /** Builds the socket URL for a ticket (`RestClient.roomUrl`). */
  url: (ticket: string) => string;
  /** A fresh single-use ticket per connection (`RestClient.ticketSource`). */
  ticket: TicketSource;
  /** Random per page load by default; it keys notes dedup (R19). */
  clientId?: string;
  /** Streams to follow; all by default. */
  subscribe?: Stream[];
  /** The socket constructor; the global `WebSocket` by default. */
  webSocket?: WebSocketFactory;
  backoff?: Partial<BackoffOptions>;
  /** How often to ping an idle connection (default 20 s). */
  pingIntervalMs?: number;
  /** Drop the connection when nothing arrives this long after a ping (default 10 s). */
  pongTimeoutMs?: number;
}

/** A prompt with everyone's current reactions. */
export interface PromptView {
  seq: number;
  prompt_id: string;
  idea_kind: string;
  content: string;
  tags: string[];
  relevance: number;
  trigger: string;
  source: string;
  tally: Tally;
  /** This user's reaction, if any. */
  mine: Reaction | null;
}

export interface MeetingStateView {
  state: MeetingState;
  started_at_ms: number | null;
  ended_at_ms: number | null;
  last_activity_ms: number | null;
  speaking_ms: Record<string, number>;
}

/** Everything the client emits, by event name. */
export interface RoomEvents {
  status: ConnectionStatus;
  welcome: ServerFrame<"welcome">;
  /** The notes changed (a remote op, a snapshot, or a local edit). */
  notes: { content: string; version: number; remote: boolean };
  /** Local notes edits were dropped (snapshot after a long absence, or a reject). */
  notesDropped: { reason: string };
  transcript: TranscriptChunk[];
  chat: ChatMessage[];
  presence: UserPresence[];
  prompts: PromptView[];
  state: MeetingStateView;
  role: MeetingRole;
  /** An `error` frame from the room (answered to us only). */
  error: ServerFrame<"error">;
  /** Every frame, after the client handled it. */
  frame: ServerMsg;
}

type Listener<T> = (value: T) => void;

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 10_000, factor: 2 };

function randomId(): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const OPEN = 1;

export class RoomClient {
  readonly clientId: string;
  readonly notes: NotesDocument;

  private readonly options: RoomClientOptions;
  private readonly backoff: BackoffOptions;
  private readonly listeners = new Map<keyof RoomEvents, Set<Listener<never>>>();

  private socket: WebSocketLike | null = null;
  private status_: ConnectionStatus = "idle";
  private wanted = false;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private pongTimer: ReturnType<typeof setTimeout> | null = null;

  private welcome_: ServerFrame<"welcome"> | null = null;
  private closeReason_: { code: number; reason: string } | null = null;
  private cursors = { transcript_seq: 0, chat_seq: 0, prompts_seq: 0 };
  private readonly transcript_: TranscriptChunk[] = [];
  private readonly chat_: ChatMessage[] = [];
  private readonly presence_ = new Map<string, UserPresence>();
  private readonly prompts_ = new Map<string, PromptView>();
  private state_: MeetingStateView | null = null;
  /** Chat sends not yet acked, by client_ref: resent after a reconnect. */
  private readonly outbox = new Map<
    string,
    { text: string; resolve: (seq: number) => void; reject: (e: Error) => void }
  >();

  constructor(options: RoomClientOptions) {
    this.options = options;
    this.clientId = options.clientId ?? randomId();
    this.notes = new NotesDocument(this.clientId);
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  }

  // ------------------------------------------------------------ reading

  get status(): ConnectionStatus {
    return this.status_;
  }
  get welcome(): ServerFrame<"welcome"> | null {
    return this.welcome_;
  }
  /** Why the room closed us for good, when `status` is `closed`. */
  get closeReason(): { code: number; reason: string } | null {
    return this.closeReason_;
  }
  get userId(): string | null {
    return this.welcome_?.user_id ?? null;
  }
  get transcript(): readonly TranscriptChunk[] {
    return this.transcript_;
  }
  get chat(): readonly ChatMessage[] {
    return this.chat_;
  }
  get presence(): UserPresence[] {
    return [...this.presence_.values()];
  }
  get prompts(): PromptView[] {
    return [...this.prompts_.values()].sort((a, b) => a.seq - b.seq);
  }
  get meetingState(): MeetingStateView | null {
    return this.state_;
  }

  on<K extends keyof RoomEvents>(event: K, listener: Listener<RoomEvents[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  private emit<K extends keyof RoomEvents>(event: K, value: RoomEvents[K]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      (listener as Listener<RoomEvents[K]>)(value);
    }
  }

  // ------------------------------------------------------------ lifecycle

  /** Starts (or resumes) the connection; it reconnects by itself until `disconnect()`. */
  connect(): void {
    if (this.wanted) return;
    this.wanted = true;
    this.closeReason_ = null;
    this.attempt = 0;
    void this.open();
  }

  /** Goes offline on purpose: local edits and chat sends queue until `connect()`. */
  disconnect(): void {
    this.wanted = false;
    this.clearTimers();
    this.dropSocket(1000, "client disconnect");
    this.setStatus("idle");
  }

  /**
   * Closes the socket as a network failure would, without stopping the
   * client: it reconnects with backoff. For tests and the demo.
   */
  simulateDrop(): void {
    this.socket?.close(4000, "simulated drop");
  }

  /** Resolves once the client is `open` (welcome received). */
  whenOpen(timeoutMs = 15_000): Promise<void> {
    if (this.status_ === "open") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`room not open within ${timeoutMs} ms (status ${this.status_})`));
      }, timeoutMs);
      const off = this.on("status", (s) => {
        if (s === "open") {
          clearTimeout(timer);
          off();
          resolve();
        } else if (s === "closed") {
          clearTimeout(timer);
          off();
          reject(new Error(`room closed: ${JSON.stringify(this.closeReason_)}`));
        }
      });
    });
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.status_ === status) return;
    this.status_ = status;
    this.emit("status", status);
  }

  private async open(): Promise<void> {
    this.setStatus("connecting");
    let ticket: string;
    try {
      ticket = await this.options.ticket();
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status === 403 || status === 404 || status === 409) {
        // Not a member (any more), no such meeting, or it is over.
        this.finalClose(status, (e as Error).message);
      } else {
        this.scheduleReconnect();
      }
      return;
    }
    if (!this.wanted) return;
    const make: WebSocketFactory =
      this.options.webSocket ??
      ((url) => new (globalThis as unknown as { WebSocket: new (u: string) => WebSocketLike }).WebSocket(url));
    const socket = make(this.options.url(ticket));
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.sendHello();
    };
    socket.onmessage = (ev) => {
      if (this.socket !== socket) return;
      this.gotTraffic();
      if (typeof ev.data !== "string") return;
      let frame: ServerMsg;
      try {
        frame = JSON.parse(ev.data) as ServerMsg;
      } catch {
        return;
      }
      this.handle(frame);
    };
    socket.onerror = () => {
      // The close event follows and decides.
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.afterClose(ev.code, ev.reason);
    };
  }

  private sendHello(): void {
    const resume: ResumeCursors = {};
    const notesVersion = this.notes.connect();
    if (notesVersion !== undefined) resume.notes_version = notesVersion;
    if (this.cursors.transcript_seq) resume.transcript_seq = this.cursors.transcript_seq;
    if (this.cursors.chat_seq) resume.chat_seq = this.cursors.chat_seq;
    if (this.cursors.prompts_seq) resume.prompts_seq = this.cursors.prompts_seq;
    this.send({
      type: "hello",
      protocol: PROTOCOL_VERSION,
      client_id: this.clientId,
      resume,
      ...(this.options.subscribe ? { subscribe: this.options.subscribe } : {}),
    });
  }

  private afterClose(code: number, reason: string): void {
    this.clearTimers();
    this.notes.disconnect();
    this.welcome_ = null;
    this.presence_.clear();
    if (!this.wanted) return;
    if (FINAL_CLOSE_CODES.includes(code) || (code === 4008 && reason === "REPLACED")) {
      this.finalClose(code, reason);
      return;
    }
    this.scheduleReconnect();
  }

  private finalClose(code: number, reason: string): void {
    this.wanted = false;
    this.closeReason_ = { code, reason };
    for (const { reject } of this.outbox.values()) reject(new Error(`room closed: ${reason}`));
    this.outbox.clear();
    this.setStatus("closed");
  }

  /** The delay before reconnect attempt `attempt` (from 0): exponential, capped, jittered. */
  static backoffDelay(attempt: number, b: BackoffOptions, random = Math.random): number {
    const ceiling = Math.min(b.maxMs, b.initialMs * b.factor ** attempt);
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  }

  private scheduleReconnect(): void {
    if (!this.wanted) return;
    this.setStatus("reconnecting");
    const delay = RoomClient.backoffDelay(this.attempt++, this.backoff);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.wanted) void this.open();
    }, delay);
  }

  private dropSocket(code: number, reason: string): void {
    const socket = this.socket;
    this.socket = null;
    this.notes.disconnect();
    this.welcome_ = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
      try {
        socket.close(code, reason);
      } catch {
        // already closed
      }
    }
  }

  /** A broken connection: drop it and reconnect (a lost frame, a silent peer). */
  private restart(): void {
    this.dropSocket(4000, "client restart");
    this.clearTimers();
    this.scheduleReconnect();
  }

  private clearTimers(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.reconnectTimer = this.pingTimer = this.pongTimer = null;
  }

  private startPings(): void {
    const every = this.options.pingIntervalMs ?? 20_000;
    const timeout = this.options.pongTimeoutMs ?? 10_000;
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      this.send({ type: "ping" });
      if (!this.pongTimer) this.pongTimer = setTimeout(() => this.restart(), timeout);
    }, every);
  }

  private gotTraffic(): void {
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pongTimer = null;
  }

  private send(msg: ClientMsg): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN) return false;
    socket.send(JSON.stringify(msg));
    return true;
  }

  // ------------------------------------------------------------ writing

  /** A local notes edit (an ot-text-unicode op against `notes.content`). */
  editNotes(op: Op): void {
    this.notes.edit(op);
    this.emit("notes", { content: this.notes.content, version: this.notes.version, remote: false });
    this.flushNotes();
  }

  /** Sets the notes to `text` (the diff against the local document), as a textarea reports. */
  setNotesText(text: string): void {
    if (text === this.notes.content) return;
    this.editNotes(diffOp(this.notes.content, text));
  }

  /** Sends a chat message; resolves with its seq once acked (resent across reconnects). */
  sendChat(text: string): Promise<number> {
    const clientRef = `c-${randomId()}`;
    return new Promise((resolve, reject) => {
      this.outbox.set(clientRef, { text, resolve, reject });
      if (this.status_ === "open") this.send({ type: "chat.send", client_ref: clientRef, text });
    });
  }

  /** Appends a transcript chunk (a caption as a stand-in for speech). */
  appendTranscript(chunk: TranscriptChunkInput): boolean {
    return this.send({ type: "transcript.append", chunk });
  }

  /** Posts `text` as a final chunk spoken just now by this user. */
  caption(text: string, language = "en-US"): boolean {
    const end = Date.now();
    const start = end - Math.min(10_000, 300 * text.split(/\s+/).length);
    return this.appendTranscript({
      text,
      confidence: 1,
      start_ms: start,
      end_ms: end,
      final: true,
      language,
    });
  }

  setSpeaking(speaking: boolean): boolean {
    return this.send({ type: "presence.update", speaking });
  }

  react(promptId: string, reaction: Reaction): boolean {
    return this.send({ type: "prompts.react", prompt_id: promptId, reaction });
  }

  private flushNotes(): void {
    if (this.status_ !== "open") return;
    const next = this.notes.pollSubmit();
    if (next) this.send({ type: "notes.op", ...next });
  }

  // ------------------------------------------------------------ frames

  private handle(frame: ServerMsg): void {
    try {
      this.apply(frame);
    } catch (e) {
      if (e instanceof VersionGapError) {
        // A notes frame was lost: reconnecting catches up from our version.
        this.restart();
        return;
      }
      throw e;
    }
    this.emit("frame", frame);
  }

  private apply(frame: ServerMsg): void {
    switch (frame.type) {
      case "welcome":
        this.welcome_ = frame;
        this.attempt = 0;
        this.setStatus("open");
        this.startPings();
        // Resend what the last connection left unacked.
        for (const [client_ref, { text }] of this.outbox) {
          this.send({ type: "chat.send", client_ref, text });
        }
        this.flushNotes();
        this.emit("welcome", frame);
        return;
      case "notes.snapshot": {
        const dropped = this.notes.reset(frame.content, frame.version);
        if (dropped) this.emit("notesDropped", { reason: "snapshot" });
        this.emitNotes(true);
        this.flushNotes();
        return;
      }
      case "notes.ops": {
        let changed = false;
        for (const op of frame.ops as WireOp[]) {
          if (this.notes.applyServerOp(op)) changed = true;
        }
        if (changed) this.emitNotes(true);
        this.flushNotes();
        return;
      }
      case "notes.ack":
        this.notes.ack(frame.client_seq, frame.version);
        this.flushNotes();
        return;
      case "notes.reject":
        if (this.notes.reject(frame.client_seq, frame.content, frame.version)) {
          this.emit("notesDropped", { reason: frame.code });
          this.emitNotes(true);
        }
        this.flushNotes();
        return;
      case "transcript.chunks":
        this.appendSequenced(this.transcript_, frame.chunks, "transcript_seq");
        this.emit("transcript", this.transcript_);
        return;
      case "chat.messages":
        this.appendSequenced(this.chat_, frame.messages, "chat_seq");
        this.emit("chat", this.chat_);
        return;
      case "chat.ack": {
        const sent = this.outbox.get(frame.client_ref);
        this.outbox.delete(frame.client_ref);
        sent?.resolve(frame.seq);
        return;
      }
      case "prompts.items":
        for (const item of frame.items) this.applyPromptItem(item);
        this.emit("prompts", this.prompts);
        return;
      case "presence":
        if (frame.full) this.presence_.clear();
        for (const user of frame.users) {
          if (!user.online && !user.in_call) this.presence_.delete(user.user_id);
          else this.presence_.set(user.user_id, user);
        }
        this.emit("presence", this.presence);
        return;
      case "state":
        this.state_ = {
          state: frame.state,
          started_at_ms: frame.started_at_ms,
          ended_at_ms: frame.ended_at_ms,
          last_activity_ms: frame.last_activity_ms,
          speaking_ms: frame.speaking_ms as Record<string, number>,
        };
        this.emit("state", this.state_);
        return;
      case "resync":
        this.resubscribe(frame.stream);
        return;
      case "role":
        if (this.welcome_) this.welcome_ = { ...this.welcome_, role: frame.role };
        this.emit("role", frame.role);
        return;
      case "error":
        this.emit("error", frame);
        return;
      case "goodbye":
        // The close follows; remember why in case the runtime hides the reason.
        this.closeReason_ = { code: frame.code, reason: frame.reason };
        if (FINAL_CLOSE_CODES.includes(frame.code) || frame.reason === "REPLACED") {
          this.wanted = false;
          this.clearTimers();
          this.setStatus("closed");
        }
        return;
      case "pong":
        return;
    }
  }

  /** Appends the items past the stream's cursor, moving it: a catch-up never duplicates. */
  private appendSequenced<T extends { seq: number }>(
    list: T[],
    items: T[],
    cursor: "transcript_seq" | "chat_seq",
  ): void {
    for (const item of items) {
      if (item.seq <= this.cursors[cursor]) continue;
      list.push(item);
      this.cursors[cursor] = item.seq;
    }
  }

  private applyPromptItem(item: PromptEvent): void {
    if (item.seq <= this.cursors.prompts_seq) return;
    this.cursors.prompts_seq = item.seq;
    if (item.kind === "prompt") {
      if (this.prompts_.has(item.prompt_id)) return;
      this.prompts_.set(item.prompt_id, {
        seq: item.seq,
        prompt_id: item.prompt_id,
        idea_kind: item.idea_kind,
        content: item.content,
        tags: item.tags,
        relevance: item.relevance,
        trigger: item.trigger,
        source: item.source,
        tally: { used: 0, upvoted: 0, dismissed: 0 },
        mine: null,
      });
    } else {
      const prompt = this.prompts_.get(item.prompt_id);
      if (!prompt) return;
      prompt.tally = item.tally;
      if (item.user_id === this.userId) prompt.mine = item.reaction;
    }
  }

  private resubscribe(stream: Stream): void {
    const resume: ResumeCursors = {};
    if (stream === "notes") {
      const version = this.notes.connect();
      if (version !== undefined) resume.notes_version = version;
    } else if (stream === "transcript") {
      resume.transcript_seq = this.cursors.transcript_seq;
    } else if (stream === "chat") {
      resume.chat_seq = this.cursors.chat_seq;
    } else if (stream === "prompts") {
      resume.prompts_seq = this.cursors.prompts_seq;
    }
    this.send({ type: "subscribe", streams: [stream], resume });
    if (stream === "notes") this.flushNotes();
  }

  private emitNotes(remote: boolean): void {
    this.emit("notes", { content: this.notes.content, version: this.notes.version, remote });
  }
}
