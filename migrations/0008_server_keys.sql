-- Other servers' signing keys, fetched from them or through notaries, so signatures can be checked
-- across restarts and served again to others when we act as a notary.

CREATE TABLE server_keys (
  server_name text NOT NULL,
  key_id text NOT NULL,
  public_key text NOT NULL,
  valid_until_ts bigint NOT NULL,
  expired_ts bigint,
  fetched_ts bigint NOT NULL,
  response_json text NOT NULL,
  PRIMARY KEY (server_name, key_id)
);
COMMENT ON TABLE server_keys IS 'Verify keys of remote servers, one row per key, from the latest key response that listed it.';
COMMENT ON COLUMN server_keys.server_name IS 'The server the key belongs to (as in ids, with any port).';
COMMENT ON COLUMN server_keys.key_id IS 'Key id with algorithm, e.g. ed25519:a_Obwu.';
COMMENT ON COLUMN server_keys.public_key IS 'Unpadded base64 Ed25519 public key.';
COMMENT ON COLUMN server_keys.valid_until_ts IS 'valid_until_ts of the response that listed the key, as published (the 7-day cap is applied on use), ms since the Unix epoch.';
COMMENT ON COLUMN server_keys.expired_ts IS 'For keys listed in old_verify_keys: when the server stopped using the key; NULL for current keys.';
COMMENT ON COLUMN server_keys.fetched_ts IS 'When we received that response, ms since the Unix epoch; the 7-day validity cap counts from here.';
COMMENT ON COLUMN server_keys.response_json IS 'The key response exactly as received (signatures included), re-served by our notary endpoints.';
