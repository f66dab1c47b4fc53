-- Run after importing a `wrangler d1 export --no-schema` backup into a
-- freshly migrated database (docs/runbooks.md, "Backup and restore").
-- Importing re-fires the triggers of the migrations: the FTS indexes are
-- rebuilt (wanted), and the participant counter is counted a second time on
-- top of the backed-up value (not wanted), so it is recomputed here with the
-- trigger's own definition (0002: one per meeting_participants row).
UPDATE meetings
SET participant_count = (SELECT count(*) FROM meeting_participants p WHERE p.meeting_id = meetings.id)
WHERE participant_count <> (SELECT count(*) FROM meeting_participants p WHERE p.meeting_id = meetings.id);
