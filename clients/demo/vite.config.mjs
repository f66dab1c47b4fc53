// Vite builds the demo into dist/ and serves it (`vite preview`, or
// `vite` while developing) with /v1 — REST and the room's WebSocket —
// proxied to the backend at CONNVO_API (default the ./scripts/dev port),
// so the page and the API share one origin and need no CORS.
import { defineConfig } from "vite";

const api = process.env.CONNVO_API ?? "http://127.0.0.1:8787";
const proxy = { "/v1": { target: api, changeOrigin: true, ws: true } };

export default defineConfig({
  root: new URL(".", import.meta.url).pathname,
  base: "/demo/",
  build: { outDir: "dist", emptyOutDir: true },
  server: { host: "127.0.0.1", proxy },
  preview: { host: "127.0.0.1", proxy },
});
