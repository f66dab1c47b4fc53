// The y-partyserver benchmark peer (issue 17; docs/benchmarks.md, "The
// y-partyserver peer"): one YServer Durable Object per meeting, with
// y-partyserver's defaults (no hibernation, the `onSave` debounce of 2 s
// after the last update, at most 10 s) and its document persisted in the
// object's own SQLite storage, as Connvo's room persists into its own.
//
// What is persisted, and when: `onSave` writes the whole document
// (Y.encodeStateAsUpdate) as one row, replacing the previous one; y-partyserver
// calls it 2 s after the last update, or every 10 s while updates keep coming.
// `onLoad` reads that row back when the object starts. An update is applied
// and broadcast (to every connection, its sender included) before it is
// saved, so the last up-to-10 s of edits live only in memory: a crash loses
// them. Connvo writes each op to storage before it acknowledges or
// broadcasts it.

import { routePartykitRequest } from "partyserver";
import { YServer } from "y-partyserver";
import * as Y from "yjs";

export class NotesRoom extends YServer {
  async onLoad() {
    const sql = this.ctx.storage.sql;
    sql.exec(
      "CREATE TABLE IF NOT EXISTS document (id INTEGER PRIMARY KEY CHECK (id = 0), state BLOB NOT NULL)",
    );
    const [row] = sql.exec("SELECT state FROM document WHERE id = 0").toArray();
    if (row) {
      Y.applyUpdate(this.document, new Uint8Array(row.state));
    }
  }

  async onSave() {
    const state = Y.encodeStateAsUpdate(this.document);
    this.ctx.storage.sql.exec(
      "INSERT INTO document (id, state) VALUES (0, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state",
      state,
    );
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    // The generator waits for this before it connects anyone.
    if (url.pathname === "/health") {
      return new Response("ok");
    }
    return (
      (await routePartykitRequest(request, env)) ??
      new Response("not found", { status: 404 })
    );
  },
};
