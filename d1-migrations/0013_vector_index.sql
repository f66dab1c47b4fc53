-- 0013: the exact vector index over D1 (docs/matching.md, M32) reads the
-- newest-computed vectors of a model and source type, optionally within
-- one org, bounded by EXACT_CANDIDATE_LIMIT: one index per access path so
-- the walk stops at the limit instead of sorting the whole model.

CREATE INDEX embeddings_recent ON embeddings (model, source_type, last_computed_at);
CREATE INDEX embeddings_org_recent ON embeddings (model, source_type, org_id, last_computed_at);

INSERT INTO schema_meta (key, value, updated_at)
VALUES ('schema_version', '0013', CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
