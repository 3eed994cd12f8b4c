-- Local accounts, their devices and access tokens.
CREATE TABLE users (
  user_id text PRIMARY KEY,
  password_hash text,
  is_admin boolean NOT NULL DEFAULT false,
  is_guest boolean NOT NULL DEFAULT false,
  deactivated boolean NOT NULL DEFAULT false,
  created_ts bigint NOT NULL
);
COMMENT ON TABLE users IS 'Accounts of this server''s own users; remote users never appear here.';
COMMENT ON COLUMN users.user_id IS 'Full Matrix user id, @localpart:server_name.';
COMMENT ON COLUMN users.password_hash IS 'Argon2id PHC string; NULL when the account cannot log in with a password.';
COMMENT ON COLUMN users.is_admin IS 'Server administrator (admin API access).';
COMMENT ON COLUMN users.is_guest IS 'Guest account (registered with kind=guest).';
COMMENT ON COLUMN users.deactivated IS 'Deactivated accounts keep their id reserved but cannot log in or act.';
COMMENT ON COLUMN users.created_ts IS 'Registration time, ms since the Unix epoch.';

CREATE TABLE devices (
  user_id text NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
  device_id text NOT NULL,
  display_name text,
  last_seen_ip text,
  last_seen_ts bigint,
  created_ts bigint NOT NULL,
  PRIMARY KEY (user_id, device_id)
);
COMMENT ON TABLE devices IS 'A user''s logged-in devices (sessions).';
COMMENT ON COLUMN devices.user_id IS 'Owner of the device.';
COMMENT ON COLUMN devices.device_id IS 'Client-chosen or generated device id, unique per user.';
COMMENT ON COLUMN devices.display_name IS 'Human-readable name, public to other users via keys/query.';
COMMENT ON COLUMN devices.last_seen_ip IS 'Client IP of the last authenticated request (throttled updates).';
COMMENT ON COLUMN devices.last_seen_ts IS 'Time of the last authenticated request, ms since the Unix epoch.';
COMMENT ON COLUMN devices.created_ts IS 'When the device first logged in, ms since the Unix epoch.';

CREATE TABLE access_tokens (
  token_hash bytea PRIMARY KEY,
  user_id text NOT NULL,
  device_id text NOT NULL,
  created_ts bigint NOT NULL,
  expires_ts bigint,
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);
CREATE INDEX access_tokens_device ON access_tokens (user_id, device_id);
COMMENT ON TABLE access_tokens IS 'Access tokens, stored only as hashes so a database leak reveals no usable token.';
COMMENT ON COLUMN access_tokens.token_hash IS 'SHA-256 of the token string; tokens carry at least 128 random bits.';
COMMENT ON COLUMN access_tokens.user_id IS 'User the token acts as.';
COMMENT ON COLUMN access_tokens.device_id IS 'Device the token belongs to; deleting the device deletes its tokens.';
COMMENT ON COLUMN access_tokens.created_ts IS 'Issue time, ms since the Unix epoch.';
COMMENT ON COLUMN access_tokens.expires_ts IS 'Expiry (refreshable tokens), ms since the Unix epoch; NULL never expires.';
