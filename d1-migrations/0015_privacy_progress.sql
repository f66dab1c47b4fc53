-- 0015: progress of the privacy export and erasure jobs (issue 14,
-- docs/privacy.md P30–P36). Both jobs work in bounded runs and resume from
-- what they recorded here; the cron sweep re-queues open requests whose
-- job went quiet.

-- Export: where the next run starts (the data set and its keyset cursor,
-- JSON, `connvo_shared::privacy::export_run::ExportProgress`), and counters.
ALTER TABLE data_export_requests ADD COLUMN progress TEXT
  CHECK (progress IS NULL OR json_valid(progress));
ALTER TABLE data_export_requests ADD COLUMN rows_exported INTEGER NOT NULL DEFAULT 0;
-- R2 part objects written so far (`privacy-exports/<id>/part-NNNNN.json`).
ALTER TABLE data_export_requests ADD COLUMN parts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE data_export_requests ADD COLUMN sets_done INTEGER NOT NULL DEFAULT 0;

-- Erasure: the plan's steps finished, rows changed, and what it waits for
-- ('legal_hold', P10) while it cannot go on.
ALTER TABLE data_deletion_requests ADD COLUMN steps_done INTEGER NOT NULL DEFAULT 0;
ALTER TABLE data_deletion_requests ADD COLUMN steps_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE data_deletion_requests ADD COLUMN rows_changed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE data_deletion_requests ADD COLUMN waiting_for TEXT
  CHECK (waiting_for IS NULL OR waiting_for IN ('legal_hold'));

-- The cron sweep: open requests untouched for a while.
CREATE INDEX data_export_requests_stale ON data_export_requests (status, updated_at)
  WHERE status IN ('pending', 'processing');
CREATE INDEX data_deletion_requests_stale ON data_deletion_requests (status, updated_at)
  WHERE status IN ('pending', 'processing');

-- Ready exports past their 30 days: the sweep deletes their files.
CREATE INDEX data_export_requests_expiry ON data_export_requests (expires_at)
  WHERE status = 'ready';

-- Erasure renames a user's released holds (the hold stays, with the
-- pseudonym as its subject); `legal_holds_active` covers only active ones.
CREATE INDEX legal_holds_subject ON legal_holds (scope, subject_id);

INSERT INTO schema_meta (key, value, updated_at)
VALUES ('schema_version', '0015', CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
