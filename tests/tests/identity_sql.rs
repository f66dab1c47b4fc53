//! Issue 3, the identity statements' behaviour on a real SQLite with the
//! D1 migrations applied: the token upsert writes nothing when nothing
//! changed and never undoes a newer WorkOS membership event; membership
//! events apply in `updated_at` order; the admin audit lists stay in their org.

use std::fs;
use std::path::Path;

use connvo_shared::sql;
use rusqlite::{params, Connection};

fn migrated_db() -> Connection {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../d1-migrations");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    let conn = Connection::open_in_memory().unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    for f in files {
        conn.execute_batch(&fs::read_to_string(&f).unwrap())
            .unwrap();
    }
    conn
}

fn row(conn: &Connection) -> (Option<String>, Option<String>, Option<String>) {
    conn.query_row(
        "SELECT org_id, org_role, email FROM users WHERE id = 'u1'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .unwrap()
}

fn upsert(
    conn: &Connection,
    org: Option<&str>,
    role: Option<&str>,
    email: Option<&str>,
    iat_ms: i64,
    now: i64,
) -> usize {
    conn.execute(
        sql::users::USER_UPSERT_FROM_TOKEN,
        params!["u1", org, role, email, iat_ms, now],
    )
    .unwrap()
}

#[test]
fn token_upsert_writes_only_when_something_changed() {
    let conn = migrated_db();
    assert_eq!(
        upsert(&conn, Some("o1"), Some("admin"), None, 1_000, 1_000),
        1,
        "insert"
    );
    assert_eq!(
        upsert(&conn, Some("o1"), Some("admin"), None, 2_000, 2_000),
        0,
        "same values: no write"
    );
    assert_eq!(
        upsert(
            &conn,
            Some("o1"),
            Some("admin"),
            Some("a@x.test"),
            3_000,
            3_000
        ),
        1,
        "email added"
    );
    assert_eq!(
        upsert(&conn, Some("o1"), Some("admin"), None, 4_000, 4_000),
        0,
        "no email claim keeps the stored one"
    );
    assert_eq!(
        row(&conn),
        (
            Some("o1".into()),
            Some("admin".into()),
            Some("a@x.test".into())
        )
    );
    assert_eq!(
        upsert(&conn, Some("o1"), Some("member"), None, 5_000, 5_000),
        1,
        "role changed"
    );
}

#[test]
fn a_stale_token_never_undoes_a_newer_membership_event() {
    let conn = migrated_db();
    upsert(&conn, Some("o1"), Some("admin"), None, 1_000, 1_000);
    // WorkOS demotes at t = 5000.
    let applied = conn
        .execute(
            sql::users::USER_APPLY_MEMBERSHIP_EVENT,
            params!["u1", "o1", "member", 5_000, 5_001],
        )
        .unwrap();
    assert_eq!(applied, 1);
    // A token issued at 4000 still says admin: no write, the demotion stands.
    assert_eq!(
        upsert(&conn, Some("o1"), Some("admin"), None, 4_000, 6_000),
        0
    );
    assert_eq!(row(&conn).1.as_deref(), Some("member"));
    // An older event arriving late changes nothing.
    let late = conn
        .execute(
            sql::users::USER_APPLY_MEMBERSHIP_EVENT,
            params!["u1", "o1", "admin", 3_000, 6_500],
        )
        .unwrap();
    assert_eq!(late, 0);
    // A token issued after the event applies.
    assert_eq!(
        upsert(&conn, Some("o1"), Some("admin"), None, 7_000, 7_000),
        1
    );
    assert_eq!(row(&conn).1.as_deref(), Some("admin"));
}

#[test]
fn membership_removal_needs_the_same_org_and_a_newer_event() {
    let conn = migrated_db();
    upsert(&conn, Some("o1"), Some("admin"), None, 1_000, 1_000);
    let clear = |org: &str, at: i64| {
        conn.execute(
            sql::users::USER_CLEAR_MEMBERSHIP_EVENT,
            params!["u1", org, at, at + 1],
        )
        .unwrap()
    };
    assert_eq!(
        clear("o2", 5_000),
        0,
        "another org's removal leaves o1 alone"
    );
    assert_eq!(clear("o1", 5_000), 1);
    assert_eq!(row(&conn).0, None);
    assert_eq!(clear("o1", 6_000), 0, "nothing left to clear");
}

#[test]
fn an_erased_user_is_never_revived_by_a_token() {
    let conn = migrated_db();
    upsert(
        &conn,
        Some("o1"),
        Some("admin"),
        Some("a@x.test"),
        1_000,
        1_000,
    );
    conn.execute(sql::users::USER_SOFT_DELETE, params!["u1", 2_000])
        .unwrap();
    assert_eq!(
        upsert(
            &conn,
            Some("o1"),
            Some("admin"),
            Some("a@x.test"),
            3_000,
            3_000
        ),
        0
    );
    let (active, deleted): (i64, Option<i64>) = conn
        .query_row(sql::users::USER_GET_FOR_AUTH, ["u1"], |r| {
            Ok((r.get("is_active")?, r.get("deleted_at")?))
        })
        .unwrap();
    assert_eq!((active, deleted), (0, Some(2_000)));
}

#[test]
fn admin_audit_lists_never_leave_the_org() {
    let conn = migrated_db();
    for (id, actor, org, res, action, at) in [
        ("a1", "u1", "o1", "m1", "x.read", 100),
        ("a2", "u1", "o2", "m1", "x.read", 200),
        ("a3", "u2", "o1", "m2", "y.write", 300),
    ] {
        conn.execute(
            sql::audit::AUDIT_INSERT,
            params![
                id,
                actor,
                org,
                "meeting",
                res,
                action,
                "allow",
                None::<String>,
                None::<String>,
                None::<String>,
                "{}",
                at
            ],
        )
        .unwrap();
    }
    let ids = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Vec<String> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map(p, |r| r.get::<_, String>("id"))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let max = 9_007_199_254_740_991i64;
    let none: Option<String> = None;
    assert_eq!(
        ids(
            sql::audit::AUDIT_ORG_LIST,
            &[&"o1", &none, &0, &max, &"", &10]
        ),
        ["a3", "a1"]
    );
    assert_eq!(
        ids(
            sql::audit::AUDIT_ORG_LIST,
            &[&"o1", &"y.write", &0, &max, &"", &10]
        ),
        ["a3"]
    );
    assert_eq!(
        ids(
            sql::audit::AUDIT_ORG_LIST_BY_ACTOR,
            &[&"o1", &"u1", &none, &0, &max, &"", &10]
        ),
        ["a1"]
    );
    assert_eq!(
        ids(
            sql::audit::AUDIT_ORG_LIST_BY_MEETING,
            &[&"o2", &"m1", &none, &none, &0, &max, &"", &10]
        ),
        ["a2"]
    );
    // The keyset cursor continues strictly below the last row.
    assert_eq!(
        ids(
            sql::audit::AUDIT_ORG_LIST,
            &[&"o1", &none, &0, &300, &"a3", &10]
        ),
        ["a1"]
    );
}
