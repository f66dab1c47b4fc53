-- The seeded interest catalogue (`GET /v1/interests`; profiles name
-- interests by key, and `PUT /v1/me/profile` refuses keys not listed here).
-- Keys are stable lowercase slugs; labels and categories may be edited by a
-- later migration (INSERT ... ON CONFLICT DO UPDATE keeps user_interests).
-- Fixed timestamps (2026-01-01T00:00:00Z) keep the seed reproducible.
INSERT INTO interests (key, label, category, created_at, updated_at) VALUES
  ('ai-ml', 'AI and machine learning', 'engineering', 1767225600000, 1767225600000),
  ('cloud-infrastructure', 'Cloud infrastructure', 'engineering', 1767225600000, 1767225600000),
  ('databases', 'Databases', 'engineering', 1767225600000, 1767225600000),
  ('developer-tools', 'Developer tools', 'engineering', 1767225600000, 1767225600000),
  ('distributed-systems', 'Distributed systems', 'engineering', 1767225600000, 1767225600000),
  ('frontend', 'Frontend development', 'engineering', 1767225600000, 1767225600000),
  ('mobile', 'Mobile development', 'engineering', 1767225600000, 1767225600000),
  ('open-source', 'Open source', 'engineering', 1767225600000, 1767225600000),
  ('realtime', 'Real-time systems', 'engineering', 1767225600000, 1767225600000),
  ('rust', 'Rust', 'engineering', 1767225600000, 1767225600000),
  ('security', 'Security', 'engineering', 1767225600000, 1767225600000),
  ('webassembly', 'WebAssembly', 'engineering', 1767225600000, 1767225600000),
  ('data-science', 'Data science', 'data', 1767225600000, 1767225600000),
  ('analytics', 'Analytics', 'data', 1767225600000, 1767225600000),
  ('data-engineering', 'Data engineering', 'data', 1767225600000, 1767225600000),
  ('product-discovery', 'Product discovery', 'product', 1767225600000, 1767225600000),
  ('product-strategy', 'Product strategy', 'product', 1767225600000, 1767225600000),
  ('growth', 'Growth', 'product', 1767225600000, 1767225600000),
  ('pricing', 'Pricing', 'product', 1767225600000, 1767225600000),
  ('ux-research', 'UX research', 'design', 1767225600000, 1767225600000),
  ('interaction-design', 'Interaction design', 'design', 1767225600000, 1767225600000),
  ('accessibility', 'Accessibility', 'design', 1767225600000, 1767225600000),
  ('design-systems', 'Design systems', 'design', 1767225600000, 1767225600000),
  ('fundraising', 'Fundraising', 'business', 1767225600000, 1767225600000),
  ('startups', 'Startups', 'business', 1767225600000, 1767225600000),
  ('sales', 'Sales', 'business', 1767225600000, 1767225600000),
  ('marketing', 'Marketing', 'business', 1767225600000, 1767225600000),
  ('partnerships', 'Partnerships', 'business', 1767225600000, 1767225600000),
  ('leadership', 'Leadership', 'people', 1767225600000, 1767225600000),
  ('hiring', 'Hiring', 'people', 1767225600000, 1767225600000),
  ('mentoring', 'Mentoring', 'people', 1767225600000, 1767225600000),
  ('remote-work', 'Remote work', 'people', 1767225600000, 1767225600000),
  ('climate', 'Climate tech', 'industry', 1767225600000, 1767225600000),
  ('fintech', 'Fintech', 'industry', 1767225600000, 1767225600000),
  ('healthtech', 'Health tech', 'industry', 1767225600000, 1767225600000),
  ('edtech', 'Education tech', 'industry', 1767225600000, 1767225600000)
ON CONFLICT (key) DO UPDATE SET label = excluded.label, category = excluded.category;

INSERT INTO schema_meta (key, value, updated_at)
VALUES ('schema_version', '0007', CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
