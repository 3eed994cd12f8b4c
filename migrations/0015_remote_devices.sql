-- Remote users' device lists, cached for keys/query and kept current by m.device_list_update and
-- m.signing_key_update EDUs (resynced through user/devices when an update does not follow on).

CREATE TABLE e2e_remote_device_lists (
  user_id text PRIMARY KEY,
  stream_id bigint NOT NULL,
  devices text NOT NULL,
  master_key text,
  self_signing_key text,
  updated_ts bigint NOT NULL
);
COMMENT ON TABLE e2e_remote_device_lists IS 'The last known device list of a remote user whose server keeps us informed (we share a room).';
COMMENT ON COLUMN e2e_remote_device_lists.user_id IS 'Remote user id.';
COMMENT ON COLUMN e2e_remote_device_lists.stream_id IS 'The user''s device list version on their server (user/devices stream_id, EDU stream_id); EDUs whose prev_id misses it start a resync.';
COMMENT ON COLUMN e2e_remote_device_lists.devices IS 'JSON text: {device_id: {keys?, device_display_name?}} as user/devices lists them.';
COMMENT ON COLUMN e2e_remote_device_lists.master_key IS 'JSON text of the user''s master cross-signing key, or null.';
COMMENT ON COLUMN e2e_remote_device_lists.self_signing_key IS 'JSON text of the user''s self-signing key, or null.';
COMMENT ON COLUMN e2e_remote_device_lists.updated_ts IS 'When the entry was last written, ms since the Unix epoch.';
