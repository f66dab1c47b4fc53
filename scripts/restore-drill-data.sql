-- The restore drill's small generated data set (scripts/restore-drill):
-- deterministic rows in the tables a restore must bring back, made with
-- recursive CTEs so the file stays short. Triggers fill the FTS indexes.
-- 40 users, 10 meetings of 4 members, chat, transcript, segments, notes,
-- audit rows, consents, a legal hold, notifications and an insight each.
-- participant_count starts at 0: the participants trigger counts them.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
INSERT INTO users (id, org_id, org_role, email, display_name, created_at, updated_at)
SELECT printf('drill_user_%02d', i), 'org_drill', CASE WHEN i = 1 THEN 'admin' ELSE 'member' END,
       printf('drill%02d@example.test', i), printf('Drill Person %d', i), 1700000000000 + i, 1700000000000 + i
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
INSERT INTO meetings (id, organizer_id, org_id, title, scheduled_at, state, started_at, concluded_at, participant_count, created_at, updated_at)
SELECT printf('drill_meeting_%02d', i), printf('drill_user_%02d', i), 'org_drill', printf('Drill meeting %d', i),
       1700000100000 + i * 3600000, CASE WHEN i % 3 = 0 THEN 'concluded' ELSE 'scheduled' END,
       CASE WHEN i % 3 = 0 THEN 1700000100000 + i * 3600000 END,
       CASE WHEN i % 3 = 0 THEN 1700000100000 + i * 3600000 + 1800000 END, 0,
       1700000000000 + i, 1700000000000 + i
FROM n;

WITH RECURSIVE m(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM m WHERE i < 10),
               k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 3)
INSERT INTO meeting_participants (meeting_id, user_id, role, presence, created_at, updated_at)
SELECT printf('drill_meeting_%02d', i), printf('drill_user_%02d', ((i + j * 7 - 1) % 40) + 1),
       CASE WHEN j = 0 THEN 'host' ELSE 'participant' END, 'invited', 1700000000000, 1700000000000
FROM m, k;

WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 199)
INSERT INTO messages (meeting_id, seq, id, user_id, content, created_at)
SELECT printf('drill_meeting_%02d', (i % 10) + 1), i / 10, printf('msg_%03d', i),
       printf('drill_user_%02d', (i % 10) + 1), printf('message %d: ünïcode ✓ and ''quotes''', i),
       1700000200000 + i * 1000
FROM n;

WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299)
INSERT INTO transcripts (meeting_id, seq, bucket_ms, kind, source, speaker_id, text, confidence, language, start_ms, end_ms, created_at)
SELECT printf('drill_meeting_%02d', (i % 10) + 1), i / 10, ((i / 10) * 2000 / 300000) * 300000, 'final', 'client',
       printf('drill_user_%02d', (i % 10) + 1), printf('transcript line %d', i), 0.5 + (i % 5) / 10.0, 'en',
       (i / 10) * 2000, (i / 10) * 2000 + 1500, 1700000300000 + i
FROM n;

WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 49)
INSERT INTO transcript_segments (id, meeting_id, speaker_id, speakers, text, topics, start_ms, end_ms, first_seq, last_seq, created_at, updated_at)
SELECT printf('seg_%03d', i), printf('drill_meeting_%02d', (i % 10) + 1), printf('drill_user_%02d', (i % 10) + 1),
       json_array(printf('drill_user_%02d', (i % 10) + 1)), printf('segment about topic %d', i % 7), json_array('topic'),
       (i / 10) * 60000, (i / 10) * 60000 + 59000, 0, 5, 1700000400000 + i, 1700000400000 + i
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
INSERT INTO meeting_notes (meeting_id, content, version, last_author_id, created_at, updated_at)
SELECT printf('drill_meeting_%02d', i), printf('Notes of meeting %d', i), 1, printf('drill_user_%02d', i),
       1700000500000, 1700000500000
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
INSERT INTO note_ops (meeting_id, version, base_version, author_id, client_id, client_seq, op_kind, op, created_at)
SELECT printf('drill_meeting_%02d', i), 1, 0, printf('drill_user_%02d', i), 'c1', 1, 'insert',
       json_array(printf('Notes of meeting %d', i)), 1700000500000
FROM n;

WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99)
INSERT INTO audit_logs (id, actor_user_id, org_id, resource_type, resource_id, action, outcome, metadata, created_at)
SELECT printf('aud_%03d', i), printf('drill_user_%02d', (i % 40) + 1), 'org_drill', 'meeting',
       printf('drill_meeting_%02d', (i % 10) + 1), 'meeting.read', 'allow', json_object('n', i), 1700000600000 + i
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
INSERT INTO user_consents (id, user_id, consent_type, version, consented, created_at)
SELECT printf('con_%02d', i), printf('drill_user_%02d', i), 'recording', '2026-01', i % 4 <> 0, 1700000700000 + i
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
INSERT INTO notifications (id, user_id, kind, title, data, dedupe_key, created_at, updated_at)
SELECT printf('ntf_%02d', i), printf('drill_user_%02d', i), 'meeting_starting', 'Your meeting starts soon',
       json_object('i', i), printf('drill:%d', i), 1700000800000 + i, 1700000800000 + i
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
INSERT INTO insights (id, user_id, meeting_id, summary, created_at, updated_at)
SELECT printf('ins_%02d', i), printf('drill_user_%02d', i), printf('drill_meeting_%02d', i),
       printf('Summary %d', i), 1700000900000 + i, 1700000900000 + i
FROM n;

INSERT INTO legal_holds (id, scope, subject_id, reason, placed_by, created_at, updated_at)
VALUES ('hold_drill', 'meeting', 'drill_meeting_03', 'litigation (drill)', 'drill_user_01', 1700001000000, 1700001000000);
