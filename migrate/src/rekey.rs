//! Re-keying a provisional user (rule L4, docs/migration.md "Provisional
//! accounts"): an account WorkOS did not know at import was written under
//! `legacy_<uuid>`; once WorkOS has a user with that email, the next
//! `import` or `sync` moves the user and everything pointing at them to the
//! WorkOS id in one atomic batch, so the person signs in to their history.
//!
//! Pure: which users move ([`candidates`]) and the statements that move one
//! ([`statements`]). The columns to copy and the references to rewrite come
//! from the target's own schema (`pragma_table_info`,
//! `pragma_foreign_key_list`), so a table a later migration adds is covered
//! without a list here to keep up to date.

use std::collections::HashMap;

use crate::mapping::Identity;
use crate::value::Val;
use crate::writes::{issue_resolve, MapEntry, Stmt};

/// One provisional user to move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub legacy_id: String,
    /// `legacy_<uuid>`, the key the user has now.
    pub from: String,
    /// The WorkOS user id WorkOS now reports for the email.
    pub to: String,
}

/// Provisional users whose identity now resolves to a WorkOS user. `map`
/// is each legacy account's `legacy_id_map` entry (table `users`).
pub fn candidates(
    identities: &HashMap<String, Identity>,
    map: impl Fn(&str) -> Option<MapEntry>,
) -> Vec<Move> {
    let mut moves: Vec<Move> = identities
        .iter()
        .filter_map(|(legacy_id, identity)| {
            let Identity::WorkOs(to) = identity else {
                return None;
            };
            let entry = map(legacy_id)?;
            let from = entry.new_key?;
            (entry.status == "provisional" && &from != to).then(|| Move {
                legacy_id: legacy_id.clone(),
                from,
                to: to.clone(),
            })
        })
        .collect();
    moves.sort_by(|a, b| a.legacy_id.cmp(&b.legacy_id));
    moves
}

fn quoted(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// The statements that move one user, in order (one atomic batch):
/// 1. a copy of the `users` row under the new id (`users_columns` are the
///    table's columns; every value kept, `updated_at` too, so parity with
///    the old store still holds);
/// 2. every reference (`(table, column)` with a foreign key to `users`)
///    rewritten to the new id, while both rows exist, so no foreign key
///    action fires;
/// 3. the id map: the user's entry becomes `imported` under the new key,
///    and every key built from the old id (a profile `user`, an interest
///    `user/interest`, a participant `meeting/user`, a merged account's
///    pointer) follows it;
/// 4. the `no_workos_identity` issue resolved;
/// 5. the old row deleted (nothing points at it any more).
pub fn statements(
    m: &Move,
    users_columns: &[String],
    references: &[(String, String)],
    now: i64,
) -> Vec<Stmt> {
    let from = Val::text(&m.from);
    let to = Val::text(&m.to);
    let others: Vec<&String> = users_columns.iter().filter(|c| *c != "id").collect();
    let copied = others
        .iter()
        .map(|c| quoted(c))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = vec![Stmt {
        sql: format!(
            "INSERT INTO users (id, {copied}) SELECT ?2, {copied} FROM users WHERE id = ?1"
        ),
        params: vec![from.clone(), to.clone()],
    }];
    for (table, column) in references {
        out.push(Stmt {
            sql: format!(
                "UPDATE {t} SET {c} = ?2 WHERE {c} = ?1",
                t = quoted(table),
                c = quoted(column)
            ),
            params: vec![from.clone(), to.clone()],
        });
    }
    out.push(Stmt {
        sql: "UPDATE legacy_id_map SET new_key = CASE \
              WHEN new_key = ?1 THEN ?2 \
              WHEN substr(new_key, 1, length(?1) + 1) = ?1 || '/' THEN ?2 || substr(new_key, length(?1) + 1) \
              ELSE substr(new_key, 1, length(new_key) - length(?1)) || ?2 END, \
              updated_at = ?3 \
              WHERE new_key = ?1 \
                 OR substr(new_key, 1, length(?1) + 1) = ?1 || '/' \
                 OR (length(new_key) > length(?1) AND substr(new_key, -length(?1) - 1) = '/' || ?1)"
            .into(),
        params: vec![from.clone(), to.clone(), Val::Int(now)],
    });
    out.push(Stmt {
        sql: "UPDATE legacy_id_map SET status = 'imported', updated_at = ?2 \
              WHERE legacy_table = 'users' AND legacy_id = ?1"
            .into(),
        params: vec![Val::text(&m.legacy_id), Val::Int(now)],
    });
    out.push(issue_resolve("users", &m.legacy_id, now));
    out.push(Stmt {
        sql: "DELETE FROM users WHERE id = ?1".into(),
        params: vec![from],
    });
    out
}

/// The query listing every `(table, column)` with a foreign key to `users`.
pub const REFERENCES_SQL: &str =
    "SELECT m.name, p.\"from\" FROM sqlite_master m, pragma_foreign_key_list(m.name) p \
     WHERE m.type = 'table' AND p.\"table\" = 'users' ORDER BY m.name, p.\"from\"";

/// The query listing the `users` table's columns.
pub const USERS_COLUMNS_SQL: &str = "SELECT name FROM pragma_table_info('users') ORDER BY cid";

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn entry(key: &str, status: &str) -> MapEntry {
        MapEntry {
            new_key: Some(key.into()),
            status: status.into(),
        }
    }

    #[test]
    fn l4_only_provisional_users_that_workos_now_knows_move() {
        let identities = HashMap::from([
            ("a".to_owned(), Identity::WorkOs("user_a".into())),
            ("b".to_owned(), Identity::WorkOs("user_b".into())),
            ("c".to_owned(), Identity::Provisional("legacy_c".into())),
        ]);
        let map = |id: &str| match id {
            "a" => Some(entry("legacy_a", "provisional")),
            "b" => Some(entry("user_b", "imported")),
            "c" => Some(entry("legacy_c", "provisional")),
            _ => None,
        };
        assert_eq!(
            candidates(&identities, map),
            vec![Move {
                legacy_id: "a".into(),
                from: "legacy_a".into(),
                to: "user_a".into()
            }]
        );
    }

    /// Runs the statements on a small schema with foreign keys on, as D1 has them.
    #[test]
    fn l4_the_move_rewrites_every_reference_and_key_and_loses_no_row() {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT, created_at INTEGER, updated_at INTEGER);
             CREATE TABLE profiles (user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE, bio TEXT);
             CREATE TABLE messages (id TEXT PRIMARY KEY, user_id TEXT REFERENCES users (id) ON DELETE SET NULL);
             CREATE TABLE legacy_id_map (legacy_table TEXT, legacy_id TEXT, new_key TEXT, status TEXT, updated_at INTEGER, PRIMARY KEY (legacy_table, legacy_id));
             CREATE TABLE legacy_import_issues (legacy_table TEXT, legacy_id TEXT, resolved_at INTEGER, updated_at INTEGER);
             INSERT INTO users VALUES ('legacy_a', 'a@x.io', 1, 1), ('user_b', 'b@x.io', 1, 1);
             INSERT INTO profiles VALUES ('legacy_a', 'hi');
             INSERT INTO messages VALUES ('m1', 'legacy_a'), ('m2', 'user_b');
             INSERT INTO legacy_id_map VALUES
               ('users', 'a', 'legacy_a', 'provisional', 1),
               ('users', 'a2', 'legacy_a', 'merged', 1),
               ('profiles', 'p', 'legacy_a', 'imported', 1),
               ('user_interests', 'ui', 'legacy_a/golf', 'imported', 1),
               ('meeting_participants', 'mp', 'mtg_1/legacy_a', 'imported', 1),
               ('meeting_participants', 'mp2', 'mtg_1/user_b', 'imported', 1);
             INSERT INTO legacy_import_issues VALUES ('users', 'a', NULL, 1);",
        )
        .unwrap();
        let cols: Vec<String> = db
            .prepare(USERS_COLUMNS_SQL)
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let refs: Vec<(String, String)> = db
            .prepare(REFERENCES_SQL)
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            refs,
            vec![
                ("messages".to_owned(), "user_id".to_owned()),
                ("profiles".to_owned(), "user_id".to_owned())
            ]
        );
        let m = Move {
            legacy_id: "a".into(),
            from: "legacy_a".into(),
            to: "user_a".into(),
        };
        let tx = db.unchecked_transaction().unwrap();
        for s in statements(&m, &cols, &refs, 99) {
            // `Val` is `ToSql` (the target's own binding, `target.rs`).
            tx.execute(&s.sql, rusqlite::params_from_iter(s.params.iter()))
                .unwrap_or_else(|e| panic!("{}: {e}", s.sql));
        }
        tx.commit().unwrap();
        let one =
            |sql: &str| -> String { db.query_row(sql, [], |r| r.get::<_, String>(0)).unwrap() };
        assert_eq!(one("SELECT group_concat(id || ':' || email || ':' || updated_at) FROM (SELECT * FROM users ORDER BY id)"), "user_a:a@x.io:1,user_b:b@x.io:1");
        assert_eq!(
            one("SELECT user_id || ':' || bio FROM profiles"),
            "user_a:hi"
        );
        assert_eq!(one("SELECT group_concat(id || ':' || user_id) FROM (SELECT * FROM messages ORDER BY id)"), "m1:user_a,m2:user_b");
        assert_eq!(
            one("SELECT group_concat(legacy_id || '=' || new_key || ':' || status, ',') FROM (SELECT * FROM legacy_id_map ORDER BY legacy_table, legacy_id)"),
            "mp=mtg_1/user_a:imported,mp2=mtg_1/user_b:imported,p=user_a:imported,ui=user_a/golf:imported,a=user_a:imported,a2=user_a:merged"
        );
        assert_eq!(
            db.query_row(
                "SELECT resolved_at FROM legacy_import_issues WHERE legacy_id = 'a'",
                [],
                |r| r.get::<_, i64>(0)
            )
            .unwrap(),
            99
        );
    }
}
