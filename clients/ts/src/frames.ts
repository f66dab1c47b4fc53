// The room protocol's frames (docs/protocol.md), as TypeScript types.
//
// Server → client frames are generated from the Rust enum that encodes
// them (`ServerMsg` in shared/src/room/protocol/server.rs, through ts-rs:
// see clients/ts/scripts/gen-bindings), so the two cannot drift apart.
// The room parses client frames with private wire structs rather than one
// serialisable enum, so the client → server union is written here, from
// generated field types (Resume, Stream, TranscriptInput, Reaction, Op).

import type {
  ChatInput,
  Op,
  Reaction,
  Resume,
  ServerMsg,
  Stream,
  TranscriptInput,
} from "./generated/index.js";

/** Every frame type the server sends, by its `type`. */
export type ServerFrameType = ServerMsg["type"];

/** The server frame with the given `type`. */
export type ServerFrame<T extends ServerFrameType> = Extract<ServerMsg, { type: T }>;

/** Every client frame may carry a `ref` echoed in the error it causes and in `pong`. */
interface Ref {
  ref?: string;
}

/** A resume cursor: the last seq (or notes version) held per stream. */
export type ResumeCursors = Partial<{ [K in keyof Resume]: number }>;

export type ClientMsg = Ref &
  (
    | {
        type: "hello";
        protocol: 1;
        client_id: string;
        resume?: ResumeCursors;
        subscribe?: Stream[];
      }
    | { type: "subscribe"; streams: Stream[]; resume?: ResumeCursors }
    | { type: "unsubscribe"; streams: Stream[] }
    | { type: "notes.op"; client_seq: number; base_version: number; op: Op }
    | { type: "transcript.append"; chunk: TranscriptChunkInput }
    | ({ type: "chat.send" } & ChatInput)
    | { type: "prompts.react"; prompt_id: string; reaction: Reaction }
    | { type: "presence.update"; speaking: boolean }
    | { type: "ping" }
  );

/** A transcript chunk as sent: the optional fields may be left out. */
export type TranscriptChunkInput = Omit<TranscriptInput, "speaker_id" | "language"> & {
  speaker_id?: string;
  language?: string;
};

/** The protocol version this client speaks. */
export const PROTOCOL_VERSION = 1;

/** Every stream, in the order the room sends their catch-ups (R2). */
export const ALL_STREAMS: readonly Stream[] = [
  "state",
  "presence",
  "notes",
  "transcript",
  "chat",
  "prompts",
];

/**
 * Close codes after which reconnecting cannot help (docs/protocol.md,
 * "Close codes"): removed or never a member, the meeting ended.
 */
export const FINAL_CLOSE_CODES: readonly number[] = [4003, 4009];
