//! The old store: PostgreSQL through tokio-postgres (I/O only). Every column
//! is read as text (arrays as JSON) so `convert` owns every conversion; the
//! session runs in UTC so timestamptz text is in one zone.
//!
//! `prepare` installs, once, what the dual-run needs in the old database:
//! a tombstone table filled by AFTER DELETE triggers (sync's deletes), and
//! an (updated_at, key) index per table for the keyset reads. Nothing else
//! in the old schema is touched; docs/migration.md lists the objects to
//! drop at decommission.

use std::collections::BTreeMap;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls};

use crate::cursor::Cursor;
use crate::reconcile::Account;
use crate::rollback::PgStmt;
use crate::spec::{TableSpec, TABLES};
use crate::value::{col, LegacyRow};

pub type Error = Box<dyn std::error::Error + Send + Sync>;

pub struct Legacy {
    client: Client,
    /// Column names and whether each is an array, per legacy table.
    columns: BTreeMap<&'static str, Vec<(String, bool)>>,
}

/// One row read: its key, its (updated_at) cursor, the row.
pub struct Read {
    pub key: String,
    pub cursor: Cursor,
    pub row: LegacyRow,
}

/// A delete recorded by the tombstone trigger.
pub struct Tombstone {
    pub seq: i64,
    pub table: String,
    pub key: String,
}

impl Legacy {
    pub async fn connect(url: &str) -> Result<Legacy, Error> {
        let (client, conn) = tokio_postgres::connect(url, NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                eprintln!("connvo-migrate: PostgreSQL connection: {e}");
            }
        });
        client
            .batch_execute("SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'")
            .await?;
        let mut legacy = Legacy {
            client,
            columns: BTreeMap::new(),
        };
        for t in TABLES {
            let cols = legacy.table_columns(t.legacy).await?;
            if cols.is_empty() {
                return Err(format!("the old store has no table {}", t.legacy).into());
            }
            legacy.columns.insert(t.legacy, cols);
        }
        Ok(legacy)
    }

    /// The columns of a legacy table, in order (name, is array).
    pub async fn table_columns(&self, table: &str) -> Result<Vec<(String, bool)>, Error> {
        let rows = self
            .client
            .query(
                "SELECT column_name::text, data_type = 'ARRAY' FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                &[&table],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub fn columns(&self, table: &str) -> &[(String, bool)] {
        self.columns.get(table).map_or(&[], |c| c.as_slice())
    }

    fn select_list(&self, spec: &TableSpec) -> String {
        let mut cols: Vec<String> = self
            .columns(spec.legacy)
            .iter()
            .map(|(c, array)| {
                if *array {
                    format!("to_json(t.\"{c}\")::text AS \"{c}\"")
                } else {
                    format!("t.\"{c}\"::text AS \"{c}\"")
                }
            })
            .collect();
        for (expr, name) in spec.extra {
            cols.push(format!("({expr})::text AS \"{name}\""));
        }
        cols.push(format!("({}) AS _key", spec.legacy_key));
        cols.push("t.updated_at::text AS _changed".into());
        cols.join(", ")
    }

    /// Up to `limit` rows after `after`, in (updated_at, key) order.
    pub async fn batch(
        &self,
        spec: &TableSpec,
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<Vec<Read>, Error> {
        let (changed, key) = after.map_or(("-infinity".to_owned(), String::new()), |c| {
            (c.changed.clone(), c.key.clone())
        });
        let sql = format!(
            "SELECT {} FROM {} WHERE (t.updated_at, ({k})) > ($1::text::timestamptz, $2::text) ORDER BY t.updated_at, ({k}) LIMIT $3",
            self.select_list(spec),
            spec.from,
            k = spec.legacy_key
        );
        let rows = self.client.query(&sql, &[&changed, &key, &limit]).await?;
        Ok(rows
            .iter()
            .map(|r| {
                let mut row = LegacyRow::new();
                let n = r.len();
                for i in 0..n - 2 {
                    row.insert(
                        r.columns()[i].name().to_owned(),
                        r.get::<_, Option<String>>(i),
                    );
                }
                Read {
                    key: r.get(n - 2),
                    cursor: Cursor {
                        changed: r.get(n - 1),
                        key: r.get(n - 2),
                    },
                    row,
                }
            })
            .collect())
    }

    /// Every account, for the identity reconciliation.
    pub async fn accounts(&self) -> Result<Vec<Account>, Error> {
        let rows = self
            .client
            .query("SELECT id::text, email, created_at::text FROM users", &[])
            .await?;
        rows.iter()
            .map(|r| {
                let created: String = r.get(2);
                Ok(Account {
                    legacy_id: r.get(0),
                    email: r.get(1),
                    created_at_ms: crate::convert::timestamp_ms(&created)?,
                })
            })
            .collect::<Result<_, String>>()
            .map_err(Into::into)
    }

    /// Installs the tombstone table, its triggers and the keyset indexes
    /// (idempotent).
    pub async fn prepare(&self) -> Result<(), Error> {
        let mut sql = String::from(
            "CREATE TABLE IF NOT EXISTS connvo_migrate_tombstones (\
               seq bigserial PRIMARY KEY, table_name text NOT NULL, legacy_key text NOT NULL, \
               deleted_at timestamptz NOT NULL DEFAULT clock_timestamp());\n\
             CREATE INDEX IF NOT EXISTS connvo_migrate_tombstones_table ON connvo_migrate_tombstones (table_name, seq);\n",
        );
        for t in TABLES {
            let old_key = t.legacy_key.replace("t.", "OLD.");
            let bare_key = t.legacy_key.replace("t.", "");
            sql.push_str(&format!(
                "CREATE OR REPLACE FUNCTION connvo_migrate_tombstone_{n}() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN INSERT INTO connvo_migrate_tombstones (table_name, legacy_key) VALUES ('{n}', {old_key}); RETURN OLD; END $$;\n\
                 DROP TRIGGER IF EXISTS connvo_migrate_tombstone ON {n};\n\
                 CREATE TRIGGER connvo_migrate_tombstone AFTER DELETE ON {n} FOR EACH ROW EXECUTE FUNCTION connvo_migrate_tombstone_{n}();\n\
                 CREATE INDEX IF NOT EXISTS connvo_migrate_{n}_changed ON {n} (updated_at, ({bare_key}));\n",
                n = t.legacy
            ));
        }
        self.client.batch_execute(&sql).await?;
        Ok(())
    }

    /// Deletes recorded after `after_seq`, oldest first.
    pub async fn tombstones(&self, after_seq: i64, limit: i64) -> Result<Vec<Tombstone>, Error> {
        let rows = self
            .client
            .query(
                "SELECT seq, table_name, legacy_key FROM connvo_migrate_tombstones WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[&after_seq, &limit],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| Tombstone {
                seq: r.get(0),
                table: r.get(1),
                key: r.get(2),
            })
            .collect())
    }

    /// Runs SQL on the old store (tests and the benchmark's generator).
    /// Runs the statements in one transaction: all or nothing (the
    /// rollback's replay). Every parameter is text; the SQL casts it.
    pub async fn apply(&self, stmts: &[PgStmt]) -> Result<(), Error> {
        self.client.batch_execute("BEGIN").await?;
        for s in stmts {
            let params: Vec<&(dyn ToSql + Sync)> =
                s.params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
            if let Err(e) = self.client.execute(s.sql.as_str(), &params).await {
                let _ = self.client.batch_execute("ROLLBACK").await;
                return Err(format!("{}: {e}", s.sql).into());
            }
        }
        self.client.batch_execute("COMMIT").await?;
        Ok(())
    }

    /// The serial id of the interest named `name`, inserting it when the
    /// old store does not have it (the rollback of an interest the new
    /// catalogue added).
    pub async fn ensure_interest(
        &self,
        name: &str,
        category: Option<&str>,
    ) -> Result<String, Error> {
        let row = self
            .client
            .query_one(
                "INSERT INTO interests (name, category) VALUES ($1::text, $2::text) \
                 ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id::text",
                &[&name, &category],
            )
            .await?;
        Ok(row.get(0))
    }

    pub async fn execute(&self, sql: &str) -> Result<(), Error> {
        self.client.batch_execute(sql).await?;
        Ok(())
    }
}

/// The old row as JSON, for the issues table.
pub fn row_json(row: &LegacyRow) -> String {
    serde_json::to_string(row).unwrap_or_else(|_| "{}".into())
}

/// A legacy row's `updated_at` in unix ms (None if unreadable).
pub fn changed_ms(row: &LegacyRow) -> Option<i64> {
    col(row, "updated_at").and_then(|t| crate::convert::timestamp_ms(t).ok())
}
