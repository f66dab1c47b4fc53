// @connvo/client: a typed client for Connvo Edge's meeting rooms.
//
// - `RoomClient` (room.ts): the room's WebSocket protocol (docs/protocol.md)
//   with tickets, hello, subscriptions, resume, reconnect with backoff,
//   pings, notes with OT, transcript, chat, presence and prompts.
// - `NotesDocument` (notes.ts): the notes stream's OT client on ot-text-unicode.
// - `RestClient` (rest.ts): the few REST calls the room needs; to be
//   replaced by the client generated from the OpenAPI spec.
// - The frame types (generated/ from the Rust types with ts-rs; frames.ts).

export * from "./generated/index.js";
export * from "./frames.js";
export * from "./notes.js";
export * from "./rest.js";
export * from "./room.js";
