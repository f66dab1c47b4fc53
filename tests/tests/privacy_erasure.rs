//! Issue 14, erasure against the real local runtime (docs/privacy.md
//! P6–P10, P34–P36): Ada asks to be erased while an admin holds her
//! account, so the request waits (and blocks a new export); once the hold
//! is released, the job erases her. Afterwards no row outside the audit
//! log holds her id, email or name; Bob's rows in their shared meeting
//! stay, with her side renamed to a pseudonym; her export files are gone
//! from R2.

mod privacy_common;

use std::path::Path;
use std::time::Duration;

use connvo_e2e::meet::World;
use privacy_common::{poll, ready_export, seed, ADA, ADA_EMAIL, ADA_NAME, BOB};
use serde_json::{json, Value};

const ADMIN: &str = "user_01ADMIN";

/// Every object key in the local R2 buckets (miniflare keeps their
/// metadata in SQLite under `v3/r2`).
fn r2_keys(state: &Path) -> Vec<String> {
    let mut keys = Vec::new();
    let mut dirs = vec![state.join("v3/r2")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "sqlite") {
                let conn = rusqlite::Connection::open_with_flags(
                    &p,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                )
                .unwrap();
                let Ok(mut stmt) = conn.prepare("SELECT key FROM _mf_objects") else {
                    continue;
                };
                let rows: Vec<String> = stmt
                    .query_map([], |r| r.get::<_, String>(0))
                    .unwrap()
                    .flatten()
                    .collect();
                keys.extend(rows);
            }
        }
    }
    keys
}

/// Every (table, row) outside the audit log whose text holds one of
/// `needles`. FTS shadow tables are checked through their index instead.
fn leftovers(w: &World, needles: &[&str]) -> Vec<String> {
    let tables = w.d1("SELECT name FROM sqlite_master WHERE type = 'table'
           AND name NOT GLOB 'sqlite_*' AND name NOT GLOB '_cf_*'
           AND name NOT GLOB '*_fts' AND name NOT GLOB '*_fts_*' AND name NOT GLOB '*_vocab'
           AND name <> 'audit_logs'");
    let mut found = Vec::new();
    for t in tables {
        let name = t["name"].as_str().unwrap();
        for row in w.d1(&format!("SELECT * FROM \"{name}\"")) {
            let text = row.to_string().to_lowercase();
            for needle in needles {
                if text.contains(&needle.to_lowercase()) {
                    found.push(format!("{name}: {row}"));
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn p10_p36_an_erased_user_leaves_no_personal_data_outside_the_audit_log() {
    let w = World::start_with(&[ADA, BOB, ADMIN], seed()).await;
    let admin = w.token_with_role(ADMIN, "admin");

    // Ada has an export (files in R2, a notification) and a consent.
    let export = ready_export(&w, ADA).await;
    let export_id = export["export"]["id"].as_str().unwrap().to_owned();
    let a = w
        .call(
            "POST",
            "/v1/me/consents",
            Some(ADA),
            Some(&json!({"consent_type": "terms", "version": "2026-01", "consented": true})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert!(r2_keys(w.backend.state_dir())
        .iter()
        .any(|k| k.contains(&export_id)));

    // An admin holds her account.
    let a = w
        .call_with(
            "POST",
            "/v1/admin/legal-holds",
            Some(&admin),
            Some(&json!({"scope": "user", "subject_id": ADA, "reason": "litigation"})),
            &[],
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let hold_id = a.body["hold"]["id"].as_str().unwrap().to_owned();

    // Bad input writes nothing.
    let a = w
        .call(
            "POST",
            "/v1/privacy/delete-account",
            Some(ADA),
            Some(&json!({"now": true})),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(w.d1("SELECT id FROM data_deletion_requests").is_empty());

    let a = w
        .call("POST", "/v1/privacy/delete-account", Some(ADA), None)
        .await;
    assert_eq!(a.status, 202, "{}", a.body);
    let id = a.body["deletion"]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/privacy/delete-account/{id}");

    // P10: held, it waits and changes nothing.
    let view = poll(&w, ADA, &path, |b| {
        b["deletion"]["waiting_for"] == "legal_hold"
    })
    .await;
    assert_eq!(view["deletion"]["status"], "pending");
    assert_eq!(
        w.d1(&format!("SELECT id FROM users WHERE id = '{ADA}'"))
            .len(),
        1
    );
    assert_eq!(
        w.d1(&format!("SELECT id FROM messages WHERE user_id = '{ADA}'"))
            .len(),
        3
    );
    // The scan below finds her everywhere before the erasure.
    let before = leftovers(&w, &[ADA, ADA_EMAIL, ADA_NAME]);
    for table in [
        "users:",
        "profiles:",
        "messages:",
        "meeting_participants:",
        "data_export_requests:",
    ] {
        assert!(
            before.iter().any(|row| row.starts_with(table)),
            "{table} {before:?}"
        );
    }
    // Only she sees it; an open erasure blocks a new export (P12).
    let other = w.call("GET", &path, Some(BOB), None).await;
    assert_eq!(other.status, 404, "{}", other.body);
    let a = w.call("POST", "/v1/privacy/export", Some(ADA), None).await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert_eq!(a.body["error"]["details"]["reason"], "DELETION_IN_PROGRESS");

    // Released: asking again answers the same request and moves it on.
    let a = w
        .call_with(
            "DELETE",
            &format!("/v1/admin/legal-holds/{hold_id}"),
            Some(&admin),
            None,
            &[],
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = w
        .call("POST", "/v1/privacy/delete-account", Some(ADA), None)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["deletion"]["id"], id.as_str());

    let done = w
        .wait_row(
            &format!(
                "SELECT user_id, pseudonym, steps_done, steps_total FROM data_deletion_requests
                 WHERE id = '{id}' AND status = 'completed'"
            ),
            Duration::from_secs(90),
        )
        .await;
    assert_eq!(done["user_id"], Value::Null);
    assert_eq!(done["steps_done"], done["steps_total"]);
    let alias = done["pseudonym"].as_str().unwrap().to_owned();
    assert!(alias.starts_with("erased_"));

    // Nothing outside the audit log names her.
    let left = leftovers(&w, &[ADA, ADA_EMAIL, ADA_NAME]);
    assert!(left.is_empty(), "personal data left:\n{}", left.join("\n"));
    assert!(w
        .d1("SELECT rowid FROM profiles_fts WHERE profiles_fts MATCH 'lovelace'")
        .is_empty());

    // Her side of the shared meeting is the pseudonym's; Bob's is whole.
    let tomb = w.d1(&format!(
        "SELECT email, display_name, is_active FROM users WHERE id = '{alias}'"
    ));
    assert_eq!(
        tomb,
        vec![json!({"email": null, "display_name": null, "is_active": 0})]
    );
    assert_eq!(
        w.d1(&format!(
            "SELECT id FROM messages WHERE user_id = '{alias}'"
        ))
        .len(),
        3
    );
    assert_eq!(
        w.d1(&format!("SELECT id FROM messages WHERE user_id = '{BOB}'"))
            .len(),
        2
    );
    assert_eq!(
        w.d1("SELECT organizer_id FROM meetings WHERE id = 'mtg_shared'")[0]["organizer_id"],
        alias.as_str()
    );
    assert_eq!(
        w.d1(&format!("SELECT id FROM insights WHERE user_id = '{BOB}'"))
            .len(),
        1
    );
    // The audit log keeps her trail (P8).
    assert!(!w
        .d1(&format!(
            "SELECT id FROM audit_logs WHERE actor_user_id = '{ADA}'"
        ))
        .is_empty());
    // Her export's files left R2.
    let keys = r2_keys(w.backend.state_dir());
    assert!(
        !keys.iter().any(|k| k.contains(&export_id)),
        "export files left: {keys:?}"
    );
}
