//! The old → new mapping, as data: for every legacy table, the D1 table it
//! becomes, its keys, the query that reads it, and one rule per new column.
//! `connvo-migrate plan` prints this table, docs/migration.md embeds the
//! same print (a test keeps them equal), and `mapping::map_row` applies the
//! rules, so the three cannot drift apart.

/// How one new column is made from the old row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// The old text as it is; NULL stays NULL.
    Copy,
    /// A timestamp (with or without zone; naive = UTC) as unix ms; required.
    Millis,
    /// The same, NULL allowed.
    MillisOrNull,
    /// The new id of the referenced legacy user (required).
    User,
    /// The same, NULL when the old value is NULL.
    UserOrNull,
    /// The new id of the referenced legacy meeting.
    Meeting,
    /// The new key of the referenced legacy interest.
    Interest,
    /// Trimmed and lowercased.
    Email,
    /// An old enum value through a fixed table; an unknown value is a
    /// reported schema violation.
    Enum(&'static [(&'static str, &'static str)]),
    /// A PostgreSQL array read as JSON, stored as a JSON array.
    JsonArray,
    /// A constant.
    ConstText(&'static str),
    ConstInt(i64),
    /// The meeting's next sequence number, assigned by the target at insert
    /// and kept in legacy_id_map so a re-run updates the same row.
    NextSeq,
    /// Computed by the table's own rule (see `mapping`), described here.
    Derived(&'static str),
}

impl Rule {
    pub fn describe(&self) -> String {
        match self {
            Rule::Copy => "copied".into(),
            Rule::Millis => "timestamp → unix ms (naive = UTC)".into(),
            Rule::MillisOrNull => "timestamp → unix ms, NULL kept".into(),
            Rule::User => "legacy user id → new user id (legacy_id_map)".into(),
            Rule::UserOrNull => "legacy user id → new user id, NULL kept".into(),
            Rule::Meeting => "legacy meeting id → new meeting id (legacy_id_map)".into(),
            Rule::Interest => "legacy interest id → interest key (legacy_id_map)".into(),
            Rule::Email => "trimmed, lowercased".into(),
            Rule::Enum(t) => t
                .iter()
                .map(|(o, n)| {
                    if o == n {
                        (*o).to_owned()
                    } else {
                        format!("{o}→{n}")
                    }
                })
                .collect::<Vec<_>>()
                .join(", "),
            Rule::JsonArray => "text[] → JSON array".into(),
            Rule::ConstText(v) => format!("constant '{v}'"),
            Rule::ConstInt(v) => format!("constant {v}"),
            Rule::NextSeq => "the meeting's next seq at import, remembered in legacy_id_map".into(),
            Rule::Derived(d) => (*d).to_owned(),
        }
    }
}

/// One new column.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub target: &'static str,
    /// The old column(s) it is made from ("" for none).
    pub from: &'static str,
    pub rule: Rule,
}

const fn f(target: &'static str, from: &'static str, rule: Rule) -> Field {
    Field { target, from, rule }
}

/// One legacy table and the D1 table it becomes.
#[derive(Debug)]
pub struct TableSpec {
    pub legacy: &'static str,
    pub target: &'static str,
    /// The legacy key as a text expression over the alias `t`.
    pub legacy_key: &'static str,
    /// The new table's primary key columns.
    pub target_key: &'static [&'static str],
    /// Extra source columns beyond `t.*` (joins, parent existence), as
    /// (expression over `t`, name); every column is read as text.
    pub extra: &'static [(&'static str, &'static str)],
    /// The FROM clause (alias `t`).
    pub from: &'static str,
    pub fields: &'static [Field],
    /// Old columns not carried, and why.
    pub dropped: &'static [(&'static str, &'static str)],
    /// Reference data the D1 migrations seed (the interest catalogue): an
    /// old row whose key is already there maps onto it (status `merged`,
    /// flagged `catalogue_match`) instead of colliding, and seeded rows are
    /// neither live writes nor parity discrepancies.
    pub adopt_existing: bool,
}

impl TableSpec {
    pub fn target_columns(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.fields.iter().map(|f| f.target)
    }
}

pub const CONNECTION_STATUS: &[(&str, &str)] = &[
    ("pending", "pending"),
    ("accepted", "accepted"),
    ("rejected", "declined"),
    ("blocked", "blocked"),
];
pub const MEETING_STATE: &[(&str, &str)] = &[
    ("scheduled", "scheduled"),
    ("live", "active"),
    ("ended", "concluded"),
    ("cancelled", "cancelled"),
];
pub const PARTICIPANT_ROLE: &[(&str, &str)] = &[("host", "host"), ("guest", "participant")];

/// Every table, in import order: parents before the rows that point at them.
pub const TABLES: &[TableSpec] = &[
    TableSpec {
        legacy: "users",
        target: "users",
        legacy_key: "t.id::text",
        target_key: &["id"],
        extra: &[],
        from: "users t",
        fields: &[
            f("id", "email", Rule::Derived("the WorkOS user id with this email (user-management API, case-insensitive); none: `legacy_<uuid>`, flagged no_workos_identity; an account whose email folds to an older account's is merged into it (flagged duplicate_email, not written)")),
            f("email", "email", Rule::Email),
            f("display_name", "full_name", Rule::Copy),
            f("avatar_url", "avatar_url", Rule::Copy),
            f("is_active", "deleted_at", Rule::Derived("1 when deleted_at is NULL, else 0")),
            f("last_seen_at", "last_sign_in_at", Rule::MillisOrNull),
            f("deleted_at", "deleted_at", Rule::MillisOrNull),
            f("created_at", "created_at", Rule::Millis),
            f("updated_at", "updated_at", Rule::Millis),
        ],
        adopt_existing: false,
        dropped: &[("auth_id", "the Supabase auth id; kept in legacy_id_map.detail")],
    },
    TableSpec {
        legacy: "interests",
        target: "interests",
        legacy_key: "t.id::text",
        target_key: &["key"],
        extra: &[],
        from: "interests t",
        fields: &[
            f("key", "name", Rule::Derived("name lowercased, each run of other characters than letters and digits → `-` (the catalogue's slug form); a key the seeded catalogue already has: the old interest maps onto it")),
            f("label", "name", Rule::Copy),
            f("category", "category", Rule::Derived("category, else `general`")),
            f("created_at", "created_at", Rule::Millis),
            f("updated_at", "updated_at", Rule::Millis),
        ],
        adopt_existing: true,
        dropped: &[("id", "serial; replaced by the key (legacy_id_map)")],
    },
    TableSpec {
        legacy: "profiles",
        target: "profiles",
        legacy_key: "t.id::text",
        target_key: &["user_id"],
        extra: &[("u.full_name", "user_full_name"), ("u.email", "user_email")],
        from: "profiles t LEFT JOIN users u ON u.id = t.user_id",
        fields: &[
            f("user_id", "user_id", Rule::Derived("legacy user id → new user id; the profile of a merged duplicate account is flagged merged_account_profile, not written")),
            f("display_name", "users.full_name, users.email", Rule::Derived("the user's full_name, else the email's local part")),
            f("headline", "headline", Rule::Copy),
            f("bio", "bio", Rule::Copy),
            f("goals", "goals", Rule::Copy),
            f("experience", "job_title, company", Rule::Derived("`<job_title> at <company>`, or whichever is set, else NULL")),
            f("languages", "languages", Rule::JsonArray),
            f("skills", "skills", Rule::JsonArray),
            f("roles", "", Rule::ConstText("[]")),
            f("created_at", "created_at", Rule::Millis),
            f("updated_at", "updated_at", Rule::Millis),
        ],
        adopt_existing: false,
        dropped: &[("id", "uuid; profiles are keyed by user_id")],
    },
    TableSpec {
        legacy: "user_interests",
        target: "user_interests",
        legacy_key: "t.user_id::text || '/' || t.interest_id::text",
        target_key: &["user_id", "interest_key"],
        extra: &[],
        from: "user_interests t",
        fields: &[
            f("user_id", "user_id", Rule::User),
            f("interest_key", "interest_id", Rule::Interest),
            f("created_at", "created_at", Rule::Millis),
        ],
        adopt_existing: false,
        dropped: &[("updated_at", "the new table is insert/delete only; read for sync")],
    },
    TableSpec {
        legacy: "connections",
        target: "connections",
        legacy_key: "t.id::text",
        target_key: &["id"],
        extra: &[],
        from: "connections t",
        fields: &[
            f("id", "id", Rule::Copy),
            f("requester_id", "requester_id", Rule::User),
            f("addressee_id", "receiver_id", Rule::User),
            f("status", "status", Rule::Enum(CONNECTION_STATUS)),
            f("message", "message", Rule::Copy),
            f("blocked_by", "status, receiver_id", Rule::Derived("the receiver when blocked (only a receiver could block in the old app), else NULL")),
            f("responded_at", "status, updated_at", Rule::Derived("updated_at once the status is not pending, else NULL")),
            f("created_at", "created_at", Rule::Millis),
            f("updated_at", "updated_at", Rule::Millis),
        ],
        adopt_existing: false,
        dropped: &[],
    },
    TableSpec {
        legacy: "meetings",
        target: "meetings",
        legacy_key: "t.id::text",
        target_key: &["id"],
        extra: &[],
        from: "meetings t",
        fields: &[
            f("id", "id", Rule::Copy),
            f("organizer_id", "host_id", Rule::UserOrNull),
            f("title", "title", Rule::Copy),
            f("description", "description", Rule::Copy),
            f("scheduled_at", "scheduled_at, started_at, created_at", Rule::Derived("scheduled_at, else started_at, else created_at (NOT NULL in the new store)")),
            f("state", "status", Rule::Enum(MEETING_STATE)),
            f("started_at", "started_at", Rule::Derived("started_at; an active or concluded meeting without one: its scheduled time")),
            f("concluded_at", "ended_at", Rule::Derived("when concluded: ended_at, else updated_at; otherwise NULL")),
            f("cancelled_at", "updated_at", Rule::Derived("updated_at when cancelled, else NULL")),
            f("stream_call_type", "stream_room_id", Rule::Derived("`default` when there is a Stream room (the old app's only call type), else NULL")),
            f("stream_call_id", "stream_room_id", Rule::Copy),
            f("stream_call_cid", "stream_room_id", Rule::Derived("`default:<stream_room_id>`, else NULL")),
            f("provisioning_status", "stream_room_id, status", Rule::Derived("`ready` with a Stream room; without: `pending` while scheduled (the new app provisions it), `failed` once over")),
            f("provisioning_error", "stream_room_id, status", Rule::Derived("`legacy meeting without a Stream call` when failed, else NULL")),
            f("version", "", Rule::ConstInt(1)),
            f("created_at", "created_at", Rule::Millis),
            f("updated_at", "updated_at", Rule::Millis),
        ],
        adopt_existing: false,
        dropped: &[],
    },
    TableSpec {
        legacy: "meeting_participants",
        target: "meeting_participants",
        legacy_key: "t.id::text",
        target_key: &["meeting_id", "user_id"],
        extra: &[("EXISTS (SELECT 1 FROM meetings m WHERE m.id = t.meeting_id)", "meeting_id_exists")],
        from: "meeting_participants t",
        fields: &[
            f("meeting_id", "meeting_id", Rule::Meeting),
            f("user_id", "user_id", Rule::User),
            f("role", "role", Rule::Enum(PARTICIPANT_ROLE)),
            f("presence", "joined_at, left_at", Rule::Derived("`left` with left_at, `joined` with joined_at, else `invited`")),
            f("joined_at", "joined_at", Rule::MillisOrNull),
            f("left_at", "left_at", Rule::MillisOrNull),
            f("created_at", "created_at", Rule::Millis),
            f("updated_at", "updated_at", Rule::Millis),
        ],
        adopt_existing: false,
        dropped: &[("id", "uuid; participants are keyed by (meeting_id, user_id)")],
    },
    TableSpec {
        legacy: "messages",
        target: "messages",
        legacy_key: "t.id::text",
        target_key: &["meeting_id", "seq"],
        extra: &[],
        from: "messages t",
        fields: &[
            f("meeting_id", "meeting_id", Rule::Meeting),
            f("seq", "", Rule::NextSeq),
            f("id", "id", Rule::Copy),
            f("user_id", "sender_id", Rule::UserOrNull),
            f("content", "content", Rule::Copy),
            f("created_at", "created_at", Rule::Millis),
        ],
        adopt_existing: false,
        dropped: &[("updated_at", "edits carry over by sync; the new table has no updated_at")],
    },
];

/// The spec of a legacy table.
pub fn table(legacy: &str) -> Option<&'static TableSpec> {
    TABLES.iter().find(|t| t.legacy == legacy)
}

/// The mapping as markdown, exactly as `plan` prints it and
/// docs/migration.md embeds it.
pub fn render_markdown() -> String {
    let mut out = String::new();
    for t in TABLES {
        out.push_str(&format!(
            "### `{}` → `{}` (key {} → {})\n\n| new column | from | rule |\n|---|---|---|\n",
            t.legacy,
            t.target,
            t.legacy_key.replace("t.", "").replace("::text", ""),
            t.target_key.join(", ")
        ));
        for fl in t.fields {
            let from = if fl.from.is_empty() { "—" } else { fl.from };
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                fl.target,
                from,
                fl.rule.describe().replace('|', "\\|")
            ));
        }
        for (col, why) in t.dropped {
            out.push_str(&format!("| — | {col} | not carried: {why} |\n"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_embed_the_mapping_plan_prints() {
        let doc = include_str!("../../docs/migration.md");
        let start = doc.find("<!-- mapping:begin -->").expect("begin marker")
            + "<!-- mapping:begin -->\n".len();
        let end = doc.find("<!-- mapping:end -->").expect("end marker");
        assert_eq!(
            &doc[start..end],
            render_markdown(),
            "docs/migration.md's mapping differs from `connvo-migrate plan`; paste its output between the markers"
        );
    }

    #[test]
    fn parents_are_imported_before_their_children() {
        let pos = |n: &str| TABLES.iter().position(|t| t.legacy == n).unwrap();
        assert!(pos("users") < pos("profiles"));
        assert!(pos("interests") < pos("user_interests"));
        assert!(pos("users") < pos("connections"));
        assert!(pos("meetings") < pos("meeting_participants"));
        assert!(pos("meetings") < pos("messages"));
    }

    #[test]
    fn every_target_key_is_a_mapped_column() {
        for t in TABLES {
            for k in t.target_key {
                assert!(t.target_columns().any(|c| c == *k), "{}.{k}", t.target);
            }
        }
    }
}
