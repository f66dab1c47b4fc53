// The contract run's fixtures: real rows created through the API before
// schemathesis starts, so operations whose path names an id (a connection,
// a proposal, a notification, a hold, …) are exercised past their 404 and
// their 200s are checked against the typed schemas.
//
// `create(url, admin)` signs in a second member of the admin's organisation,
// creates the rows and returns `{ids, skipped}`: `ids` maps a fixture name to
// its id, `skipped` says which fixtures could not be made and why (the run
// goes on without them). `config(ids)` turns the ids into schemathesis.toml
// sections: for each operation, its path parameters bound to the ids.

export const PEER = "user_contract_peer";

async function call(url, token, method, path, body) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, body: json, text };
}

/** Calls and requires one of `ok` statuses; returns the body. */
async function expect(url, token, method, path, body, ok = [200, 201, 202]) {
  const r = await call(url, token, method, path, body);
  if (!ok.includes(r.status)) throw new Error(`${method} ${path}: ${r.status} ${r.text.slice(0, 300)}`);
  return r.body;
}

async function devToken(url, claims) {
  const r = await fetch(`${url}/v1/dev/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ttl_secs: 3600, ...claims }),
  });
  if (!r.ok) throw new Error(`dev token for ${claims.user_id}: ${r.status} ${await r.text()}`);
  return (await r.json()).access_token;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` (returning a value or null) until it answers or `ms` pass. */
async function eventually(ms, probe) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value != null || Date.now() > until) return value ?? null;
    await sleep(500);
  }
}

export async function create(url, admin, { orgId, adminId }) {
  const ids = { peer: PEER, reindex_entity: "meetings" };
  const skipped = {};
  const attempt = async (name, make) => {
    try {
      await make();
    } catch (err) {
      skipped[name] = err.message;
    }
  };
  const peer = await devToken(url, { user_id: PEER, org_id: orgId, role: "member" });
  await expect(url, peer, "GET", "/v1/me");
  const profile = (name) => ({
    display_name: name,
    headline: "Builds realtime systems",
    bio: "Rust on the edge, collaborative editing and video.",
    skills: ["rust", "webassembly"],
  });
  await expect(url, admin, "PUT", "/v1/me/profile", profile("Contract Admin"));
  await expect(url, peer, "PUT", "/v1/me/profile", profile("Contract Peer"));

  // Two meetings with both, started and ended: their insights come from
  // the queue (the local heuristic provider) while the other fixtures are
  // made. The first is read; the second's insight is the one deleted.
  const meeting = async () => {
    const m = await expect(url, admin, "POST", "/v1/meetings", {
      title: "Contract fixture",
      scheduled_at: Date.now(),
      duration_ms: 1800000,
      participants: [{ user_id: PEER }],
    });
    await expect(url, admin, "POST", `/v1/meetings/${m.id}/start`);
    await expect(url, admin, "POST", `/v1/meetings/${m.id}/end`);
    return m.id;
  };
  await attempt("meeting", async () => {
    ids.meeting = await meeting();
    ids.meeting_deleted_insight = await meeting();
  });

  // One connection per move, each with its own member (a pair has one
  // row): requests to the admin to accept and to decline, the admin's own
  // request to withdraw, and an accepted one to remove. The requests land
  // in the admin's inbox: one notification to read, one to delete.
  await attempt("connections", async () => {
    const member = async (n) => {
      const id = `${PEER}_${n}`;
      const token = await devToken(url, { user_id: id, org_id: orgId, role: "member" });
      await expect(url, token, "GET", "/v1/me");
      return { id, token };
    };
    const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map(member));
    const ask = (from, to) => expect(url, from, "POST", "/v1/connections", { user_id: to, message: "hello" });
    ids.connection_accept = (await ask(a.token, adminId)).id;
    ids.connection_decline = (await ask(b.token, adminId)).id;
    ids.connection_withdraw = (await ask(admin, c.id)).id;
    ids.connection_remove = (await ask(d.token, adminId)).id;
    await expect(url, admin, "POST", `/v1/connections/${ids.connection_remove}/accept`);
  });
  await attempt("notifications", async () => {
    const items = await eventually(5000, async () => {
      const page = await expect(url, admin, "GET", "/v1/notifications");
      return page.items?.length >= 2 ? page.items : null;
    });
    if (!items) throw new Error("fewer than two notifications reached the admin's inbox");
    ids.notification_read = items[0].id;
    ids.notification_delete = items[1].id;
  });
  await attempt("announcement", async () => {
    const a = await expect(url, admin, "POST", "/v1/admin/announcements", { title: "Contract fixture" });
    ids.announcement = a.announcement_id;
  });

  // Both enter the matching queue; a cycle pairs them.
  await attempt("proposal", async () => {
    const now = Date.now();
    const window = { available_from: now, available_to: now + 2 * 3600000 };
    await expect(url, admin, "POST", "/v1/matching/queue", window);
    await expect(url, peer, "POST", "/v1/matching/queue", window);
    const cycle = await expect(url, admin, "POST", "/v1/dev/matching/cycle", {});
    const id = cycle.shards.flatMap((s) => s.proposals)[0];
    if (!id) throw new Error(`the cycle proposed nothing: ${JSON.stringify(cycle)}`);
    ids.proposal = id;
  });

  await attempt("legal_hold", async () => {
    if (!ids.meeting) throw new Error("no meeting to hold");
    const h = await expect(url, admin, "POST", "/v1/admin/legal-holds", {
      scope: "meeting",
      subject_id: ids.meeting,
      reason: "contract fixture",
    });
    ids.legal_hold = h.hold.id;
  });
  // One policy per scope (an organisation has one per scope): one to
  // change, one to delete.
  await attempt("storage_policies", async () => {
    const policy = (scope, days) =>
      expect(url, admin, "POST", "/v1/admin/storage-policies", {
        name: `Contract fixture (${scope})`,
        scope,
        retention_days: days,
        auto_delete: true,
      });
    ids.storage_policy_update = (await policy("messages", 90)).policy.id;
    ids.storage_policy_delete = (await policy("recordings", 0)).policy.id;
  });
  await attempt("export", async () => {
    const e = await expect(url, admin, "POST", "/v1/privacy/export");
    ids.export = e.export.id;
  });
  await attempt("insights", async () => {
    if (!ids.meeting) throw new Error("no meeting");
    const items = await eventually(20000, async () => {
      const page = await expect(url, admin, "GET", "/v1/insights");
      return page.items?.length >= 2 ? page.items : null;
    });
    if (!items) throw new Error("fewer than two insights within 20 s of the meetings' end");
    ids.insight = items.find((i) => i.meeting_id === ids.meeting_deleted_insight)?.id;
  });
  return { ids, skipped };
}

// Operation → { path parameter → fixture name }. Read-only meeting routes
// get the ended fixture meeting. A move that consumes its row (accept,
// delete, release) has a row of its own where the others read one; its
// first case uses it up and later ones get the documented 409/404.
const BINDINGS = {
  users_profile: { id: "peer" },
  users_block: { id: "peer" },
  users_unblock: { id: "peer" },
  dev_hub_erase: { id: "peer" },
  insights_delete: { id: "insight" },
  connections_accept: { id: "connection_accept" },
  connections_decline: { id: "connection_decline" },
  connections_withdraw: { id: "connection_withdraw" },
  connections_remove: { id: "connection_remove" },
  matching_proposals_get: { id: "proposal" },
  matching_proposals_accept: { id: "proposal" },
  matching_proposals_decline: { id: "proposal" },
  notifications_read: { id: "notification_read" },
  notifications_delete: { id: "notification_delete" },
  admin_announcements_progress: { id: "announcement" },
  admin_search_reindex: { id: "reindex_entity" },
  admin_legal_holds_release: { hold_id: "legal_hold" },
  admin_storage_policies_update: { policy_id: "storage_policy_update" },
  admin_storage_policies_delete: { policy_id: "storage_policy_delete" },
  privacy_export_get: { export_id: "export" },
  meetings_get: { meeting_id: "meeting" },
  meetings_participants_list: { meeting_id: "meeting" },
  meetings_transcript: { meeting_id: "meeting" },
  meetings_segments: { meeting_id: "meeting" },
  meetings_prompts: { id: "meeting" },
  meetings_insights_me: { id: "meeting" },
  meetings_transcript_export: { meeting_id: "meeting" },
  meetings_recordings: { meeting_id: "meeting" },
};

// How often a case takes the fixture's id rather than a generated one:
// most cases reach the real row, some still probe unknown and malformed ids.
const PROBABILITY = 0.8;

/** The schemathesis.toml sections binding the operations to the fixtures. */
export function config(ids) {
  const lines = [];
  const used = new Set();
  const ops = [];
  for (const [op, params] of Object.entries(BINDINGS)) {
    const bound = Object.entries(params).filter(([, fixture]) => ids[fixture]);
    if (bound.length === 0) continue;
    bound.forEach(([, fixture]) => used.add(fixture));
    const table = bound
      .map(([param, fixture]) => `"path.${param}" = { dictionary = "${fixture}", probability = ${PROBABILITY} }`)
      .join(", ");
    ops.push(`[[operations]]\ninclude-operation-id = "${op}"\nparameters = { ${table} }\n`);
  }
  for (const fixture of used) {
    lines.push(`[dictionaries.${fixture}]\nvalues = [${JSON.stringify(ids[fixture])}]\n`);
  }
  return [...lines, ...ops].join("\n");
}
