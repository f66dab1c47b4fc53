-- Demo data for ./scripts/dev: three people in one organisation, their
-- interests, and one scheduled meeting. Idempotent (INSERT OR IGNORE), so
-- running the dev command again changes nothing. Timestamps are fixed
-- (2026-01-01T00:00:00Z) so the data is reproducible.
INSERT OR IGNORE INTO users (id, org_id, org_role, email, display_name, is_active, created_at, updated_at) VALUES
  ('user_demo_alice', 'org_demo', 'admin',  'alice@example.test', 'Alice Example', 1, 1767225600000, 1767225600000),
  ('user_demo_bob',   'org_demo', 'member', 'bob@example.test',   'Bob Example',   1, 1767225600000, 1767225600000),
  ('user_demo_carol', 'org_demo', 'member', 'carol@example.test', 'Carol Example', 1, 1767225600000, 1767225600000);

INSERT OR IGNORE INTO profiles (user_id, display_name, headline, bio, languages, skills, roles, created_at, updated_at) VALUES
  ('user_demo_alice', 'Alice Example', 'Head of Product', 'Builds collaborative tools.', '["en"]', '["product","strategy"]', '["product"]', 1767225600000, 1767225600000),
  ('user_demo_bob',   'Bob Example',   'Staff Engineer',  'Distributed systems, Rust.',  '["en","de"]', '["rust","databases"]', '["engineering"]', 1767225600000, 1767225600000),
  ('user_demo_carol', 'Carol Example', 'Designer',        'Research-led UX.',            '["en","fr"]', '["ux","research"]', '["design"]', 1767225600000, 1767225600000);

INSERT OR IGNORE INTO interests (key, label, category, created_at, updated_at) VALUES
  ('realtime', 'Real-time systems', 'engineering', 1767225600000, 1767225600000),
  ('product-discovery', 'Product discovery', 'product', 1767225600000, 1767225600000),
  ('ux-research', 'UX research', 'design', 1767225600000, 1767225600000);

INSERT OR IGNORE INTO user_interests (user_id, interest_key, created_at) VALUES
  ('user_demo_alice', 'product-discovery', 1767225600000),
  ('user_demo_alice', 'realtime', 1767225600000),
  ('user_demo_bob', 'realtime', 1767225600000),
  ('user_demo_carol', 'ux-research', 1767225600000),
  ('user_demo_carol', 'product-discovery', 1767225600000);

INSERT OR IGNORE INTO meetings (id, organizer_id, org_id, title, description, scheduled_at, duration_ms, state, created_at, updated_at) VALUES
  ('mtg_demo_kickoff', 'user_demo_alice', 'org_demo', 'Demo kickoff', 'A scheduled demo meeting.', 1767229200000, 1800000, 'scheduled', 1767225600000, 1767225600000);

INSERT OR IGNORE INTO meeting_participants (meeting_id, user_id, role, presence, created_at, updated_at) VALUES
  ('mtg_demo_kickoff', 'user_demo_alice', 'host', 'invited', 1767225600000, 1767225600000),
  ('mtg_demo_kickoff', 'user_demo_bob', 'participant', 'invited', 1767225600000, 1767225600000),
  ('mtg_demo_kickoff', 'user_demo_carol', 'observer', 'invited', 1767225600000, 1767225600000);
