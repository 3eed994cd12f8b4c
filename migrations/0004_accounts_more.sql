-- Refresh tokens, login tokens, user-interactive auth sessions and registration tokens.

CREATE TABLE refresh_tokens (
  id bigserial PRIMARY KEY,
  token_hash bytea NOT NULL UNIQUE,
  user_id text NOT NULL,
  device_id text NOT NULL,
  created_ts bigint NOT NULL,
  expires_ts bigint,
  next_token_id bigint REFERENCES refresh_tokens (id) ON DELETE SET NULL,
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_device ON refresh_tokens (user_id, device_id);
CREATE INDEX refresh_tokens_next ON refresh_tokens (next_token_id);
COMMENT ON TABLE refresh_tokens IS 'Refresh tokens (POST /refresh), stored only as hashes.';
COMMENT ON COLUMN refresh_tokens.id IS 'Internal id, referenced by the access token issued with it and by its predecessor.';
COMMENT ON COLUMN refresh_tokens.token_hash IS 'SHA-256 of the token string.';
COMMENT ON COLUMN refresh_tokens.user_id IS 'User the token refreshes for.';
COMMENT ON COLUMN refresh_tokens.device_id IS 'Device the token belongs to; deleting the device deletes its refresh tokens.';
COMMENT ON COLUMN refresh_tokens.created_ts IS 'Issue time, ms since the Unix epoch.';
COMMENT ON COLUMN refresh_tokens.expires_ts IS 'Expiry, ms since the Unix epoch; NULL never expires (auth.refresh_token_lifetime_ms unset).';
COMMENT ON COLUMN refresh_tokens.next_token_id IS 'The refresh token issued when this one was used. This one stays valid (retry safety) until the next one or its access token is first used, which deletes this row.';

ALTER TABLE access_tokens
  ADD COLUMN refresh_token_id bigint REFERENCES refresh_tokens (id) ON DELETE CASCADE;
CREATE INDEX access_tokens_refresh_token ON access_tokens (refresh_token_id);
COMMENT ON COLUMN access_tokens.refresh_token_id IS 'The refresh token issued together with this access token; revoking that refresh token revokes this access token too. NULL for non-refreshable tokens.';

CREATE TABLE login_tokens (
  token_hash bytea PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
  created_ts bigint NOT NULL,
  expires_ts bigint NOT NULL
);
CREATE INDEX login_tokens_expires ON login_tokens (expires_ts);
COMMENT ON TABLE login_tokens IS 'Single-use m.login.token tokens from POST /login/get_token; a login deletes its row.';
COMMENT ON COLUMN login_tokens.token_hash IS 'SHA-256 of the token string.';
COMMENT ON COLUMN login_tokens.user_id IS 'User the token logs in as.';
COMMENT ON COLUMN login_tokens.created_ts IS 'Issue time, ms since the Unix epoch.';
COMMENT ON COLUMN login_tokens.expires_ts IS 'After this time (ms since the Unix epoch) the token is refused.';

CREATE TABLE uia_sessions (
  session_id text PRIMARY KEY,
  action text NOT NULL,
  user_id text,
  completed text[] NOT NULL DEFAULT '{}',
  registration_token text,
  created_ts bigint NOT NULL,
  expires_ts bigint NOT NULL
);
CREATE INDEX uia_sessions_expires ON uia_sessions (expires_ts);
COMMENT ON TABLE uia_sessions IS 'User-interactive authentication sessions, in the database so every process of a deployment agrees on them.';
COMMENT ON COLUMN uia_sessions.session_id IS 'The opaque session id handed to the client.';
COMMENT ON COLUMN uia_sessions.action IS 'The operation the session authorises (e.g. register, delete_device:ABC); a session cannot be reused for another.';
COMMENT ON COLUMN uia_sessions.user_id IS 'The user who must authenticate (the requester) or who did (m.login.password); NULL while unknown, e.g. registration.';
COMMENT ON COLUMN uia_sessions.completed IS 'Auth stages completed so far, in order.';
COMMENT ON COLUMN uia_sessions.registration_token IS 'The registration token accepted by m.login.registration_token; consumed only when registration completes.';
COMMENT ON COLUMN uia_sessions.created_ts IS 'Creation time, ms since the Unix epoch.';
COMMENT ON COLUMN uia_sessions.expires_ts IS 'After this time (ms since the Unix epoch) the session is unknown.';

CREATE TABLE registration_tokens (
  token text PRIMARY KEY,
  uses_allowed integer,
  completed integer NOT NULL DEFAULT 0,
  expiry_ts bigint,
  created_ts bigint NOT NULL
);
COMMENT ON TABLE registration_tokens IS 'Registration tokens managed at run time (admin API); tokens in the config file are valid too and unlimited.';
COMMENT ON COLUMN registration_tokens.token IS 'The token string ([A-Za-z0-9._~-], at most 64 characters).';
COMMENT ON COLUMN registration_tokens.uses_allowed IS 'How many registrations the token may complete; NULL is unlimited.';
COMMENT ON COLUMN registration_tokens.completed IS 'Registrations completed with the token.';
COMMENT ON COLUMN registration_tokens.expiry_ts IS 'After this time (ms since the Unix epoch) the token is invalid; NULL never expires.';
COMMENT ON COLUMN registration_tokens.created_ts IS 'Creation time, ms since the Unix epoch.';
