-- User profiles: displayname, avatar_url, m.tz and custom fields (extended profiles, spec v1.16).

CREATE TABLE profile_fields (
  user_id text NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
  field_name text NOT NULL,
  value jsonb NOT NULL,
  updated_ts bigint NOT NULL,
  PRIMARY KEY (user_id, field_name)
);
COMMENT ON TABLE profile_fields IS 'Global profile fields of local users, one row per field; a user with no rows has an empty profile.';
COMMENT ON COLUMN profile_fields.user_id IS 'Local user the field belongs to.';
COMMENT ON COLUMN profile_fields.field_name IS 'Profile key: displayname, avatar_url, m.tz or a namespaced custom key (at most 255 bytes).';
COMMENT ON COLUMN profile_fields.value IS 'The field value as the client set it (any JSON; strings for displayname, avatar_url and m.tz).';
COMMENT ON COLUMN profile_fields.updated_ts IS 'When the field was last set, ms since the Unix epoch.';
