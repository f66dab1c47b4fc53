// The empty Durable Object handler: one object per room name, hibernatable
// WebSockets (as Connvo's MeetingRoom accepts them), and for every message
// the least a broadcasting room does: send it to every other socket of the
// room and echo it to its sender as the ack. With `?store=1` it also
// appends the message to the object's SQLite first (one INSERT), the
// least a durable room does. No parsing, no state, no wasm.
import { DurableObject } from "cloudflare:workers";

export class EchoRoom extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.store = false;
  }

  async fetch(request) {
    const url = new URL(request.url);
    if (request.headers.get("upgrade") !== "websocket") return new Response("echo room", { status: 200 });
    const store = url.searchParams.get("store") === "1";
    if (store) {
      this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS items (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)");
    }
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1], [store ? "store" : "echo"]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  webSocketMessage(ws, message) {
    if (this.ctx.getTags(ws)[0] === "store") {
      this.ctx.storage.sql.exec("INSERT INTO items (body) VALUES (?)", message);
    }
    for (const other of this.ctx.getWebSockets()) {
      other.send(message);
    }
  }

  webSocketClose(ws, code) {
    ws.close(code, "bye");
  }
}

export default {
  fetch(request, env) {
    const url = new URL(request.url);
    const room = url.searchParams.get("room") ?? "r0";
    return env.ECHO.get(env.ECHO.idFromName(room)).fetch(request);
  },
};
