-- End-to-end encryption, server side: device and cross-signing keys, one-time and fallback keys,
-- signatures, the device-list and to-device streams, and server-side key backup. The server stores and
-- relays these opaque objects; it never sees plaintext.

CREATE TABLE e2e_device_keys (
  user_id text NOT NULL,
  device_id text NOT NULL,
  key_json text NOT NULL,
  PRIMARY KEY (user_id, device_id),
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);
COMMENT ON TABLE e2e_device_keys IS 'Identity keys of local devices (keys/upload device_keys), immutable once set.';
COMMENT ON COLUMN e2e_device_keys.user_id IS 'Owner of the device.';
COMMENT ON COLUMN e2e_device_keys.device_id IS 'Device the keys belong to; deleting the device deletes them.';
COMMENT ON COLUMN e2e_device_keys.key_json IS 'The DeviceKeys object as uploaded (with the device''s own signatures), JSON text.';

CREATE TABLE e2e_one_time_keys (
  seq bigserial PRIMARY KEY,
  user_id text NOT NULL,
  device_id text NOT NULL,
  algorithm text NOT NULL,
  key_id text NOT NULL,
  key_json text NOT NULL,
  UNIQUE (user_id, device_id, algorithm, key_id),
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);
CREATE INDEX e2e_one_time_keys_claim ON e2e_one_time_keys (user_id, device_id, algorithm, seq);
COMMENT ON TABLE e2e_one_time_keys IS 'Unclaimed one-time keys; a claim deletes the row it hands out.';
COMMENT ON COLUMN e2e_one_time_keys.seq IS 'Upload order: claims hand out the lowest first (oldest first, MSC4225).';
COMMENT ON COLUMN e2e_one_time_keys.user_id IS 'Owner of the device.';
COMMENT ON COLUMN e2e_one_time_keys.device_id IS 'Device that uploaded the key; deleting the device deletes its keys.';
COMMENT ON COLUMN e2e_one_time_keys.algorithm IS 'Key algorithm, the part of the key id before the colon (e.g. signed_curve25519).';
COMMENT ON COLUMN e2e_one_time_keys.key_id IS 'Key id after the colon, unique per device and algorithm.';
COMMENT ON COLUMN e2e_one_time_keys.key_json IS 'The key (a string or a signed key object) as uploaded, JSON text.';

CREATE TABLE e2e_fallback_keys (
  user_id text NOT NULL,
  device_id text NOT NULL,
  algorithm text NOT NULL,
  key_id text NOT NULL,
  key_json text NOT NULL,
  used boolean NOT NULL DEFAULT false,
  PRIMARY KEY (user_id, device_id, algorithm),
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);
COMMENT ON TABLE e2e_fallback_keys IS 'The current fallback key per device and algorithm, handed out when no one-time key is left.';
COMMENT ON COLUMN e2e_fallback_keys.user_id IS 'Owner of the device.';
COMMENT ON COLUMN e2e_fallback_keys.device_id IS 'Device that uploaded the key; deleting the device deletes it.';
COMMENT ON COLUMN e2e_fallback_keys.algorithm IS 'Key algorithm (e.g. signed_curve25519); one fallback key per algorithm.';
COMMENT ON COLUMN e2e_fallback_keys.key_id IS 'Key id after the colon.';
COMMENT ON COLUMN e2e_fallback_keys.key_json IS 'The signed key object (with fallback: true) as uploaded, JSON text.';
COMMENT ON COLUMN e2e_fallback_keys.used IS 'True once claimed; the key stays claimable, and a new upload resets the flag.';

CREATE TABLE e2e_cross_signing_keys (
  user_id text NOT NULL,
  key_type text NOT NULL CHECK (key_type IN ('master', 'self_signing', 'user_signing')),
  public_key text NOT NULL,
  key_json text NOT NULL,
  PRIMARY KEY (user_id, key_type)
);
COMMENT ON TABLE e2e_cross_signing_keys IS 'The current cross-signing keys of local users (keys/device_signing/upload).';
COMMENT ON COLUMN e2e_cross_signing_keys.user_id IS 'Owner of the key.';
COMMENT ON COLUMN e2e_cross_signing_keys.key_type IS 'master, self_signing or user_signing.';
COMMENT ON COLUMN e2e_cross_signing_keys.public_key IS 'The unpadded base64 ed25519 public key (the part after "ed25519:" in its key id).';
COMMENT ON COLUMN e2e_cross_signing_keys.key_json IS 'The CrossSigningKey object as uploaded (signatures from the upload included), JSON text.';

CREATE TABLE e2e_key_signatures (
  target_user_id text NOT NULL,
  target_key_id text NOT NULL,
  signer_user_id text NOT NULL,
  signer_key_id text NOT NULL,
  signature text NOT NULL,
  PRIMARY KEY (target_user_id, target_key_id, signer_user_id, signer_key_id)
);
COMMENT ON TABLE e2e_key_signatures IS 'Signatures added with keys/signatures/upload, merged into the signed key when it is queried.';
COMMENT ON COLUMN e2e_key_signatures.target_user_id IS 'Owner of the signed key.';
COMMENT ON COLUMN e2e_key_signatures.target_key_id IS 'The signed key: a device id, or a cross-signing key''s public key.';
COMMENT ON COLUMN e2e_key_signatures.signer_user_id IS 'User whose key made the signature; signatures by another user are shown only to that user.';
COMMENT ON COLUMN e2e_key_signatures.signer_key_id IS 'Key id of the signing key, e.g. ed25519:<public key or device id>.';
COMMENT ON COLUMN e2e_key_signatures.signature IS 'Unpadded base64 ed25519 signature, verified before it was stored.';

CREATE TABLE device_list_changes (
  stream_id bigint NOT NULL,
  user_id text NOT NULL,
  device_id text
);
CREATE INDEX device_list_changes_stream ON device_list_changes (stream_id);
CREATE INDEX device_list_changes_user ON device_list_changes (user_id, stream_id);
COMMENT ON TABLE device_list_changes IS 'The device_lists stream: one row per user whose devices or keys changed at a position. Remote users get rows here too once federation feeds them.';
COMMENT ON COLUMN device_list_changes.stream_id IS 'Position on the device_lists stream.';
COMMENT ON COLUMN device_list_changes.user_id IS 'User (local or remote) whose device list or cross-signing keys changed.';
COMMENT ON COLUMN device_list_changes.device_id IS 'The device that changed; NULL for cross-signing key changes.';

CREATE TABLE to_device_inbox (
  stream_id bigint NOT NULL,
  user_id text NOT NULL,
  device_id text NOT NULL,
  sender text NOT NULL,
  type text NOT NULL,
  content text NOT NULL,
  PRIMARY KEY (user_id, device_id, stream_id),
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);
COMMENT ON TABLE to_device_inbox IS 'To-device messages queued per recipient device until it syncs with a later since (then deleted).';
COMMENT ON COLUMN to_device_inbox.stream_id IS 'Position on the to_device stream; a device receives its messages in this order.';
COMMENT ON COLUMN to_device_inbox.user_id IS 'Recipient user.';
COMMENT ON COLUMN to_device_inbox.device_id IS 'Recipient device; deleting the device deletes its queue.';
COMMENT ON COLUMN to_device_inbox.sender IS 'User who sent the message.';
COMMENT ON COLUMN to_device_inbox.type IS 'Event type of the message.';
COMMENT ON COLUMN to_device_inbox.content IS 'The message content, JSON text as sent.';

CREATE TABLE to_device_high_water (
  single boolean PRIMARY KEY DEFAULT true CHECK (single),
  position bigint NOT NULL
);
COMMENT ON TABLE to_device_high_water IS 'One row: the highest to_device position ever written. Delivered messages are deleted, so the inbox alone cannot say where the stream resumes after a restart.';
COMMENT ON COLUMN to_device_high_water.single IS 'Always true: makes the table hold at most one row.';
COMMENT ON COLUMN to_device_high_water.position IS 'Highest position written on the to_device stream.';

CREATE TABLE to_device_txns (
  user_id text NOT NULL,
  device_id text NOT NULL,
  txn_id text NOT NULL,
  created_ts bigint NOT NULL,
  PRIMARY KEY (user_id, device_id, txn_id),
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);
COMMENT ON TABLE to_device_txns IS 'Transaction ids of sendToDevice requests already handled, so a retry sends nothing twice.';
COMMENT ON COLUMN to_device_txns.user_id IS 'Sending user.';
COMMENT ON COLUMN to_device_txns.device_id IS 'Sending device (transaction ids are scoped to the access token''s device).';
COMMENT ON COLUMN to_device_txns.txn_id IS 'The txnId path parameter.';
COMMENT ON COLUMN to_device_txns.created_ts IS 'When the request was first handled, ms since the Unix epoch.';

CREATE TABLE room_key_backup_versions (
  user_id text NOT NULL,
  version bigint NOT NULL,
  algorithm text NOT NULL,
  auth_data text NOT NULL,
  etag bigint NOT NULL DEFAULT 0,
  deleted boolean NOT NULL DEFAULT false,
  PRIMARY KEY (user_id, version)
);
COMMENT ON TABLE room_key_backup_versions IS 'Server-side key backup versions (room_keys/version); version numbers are never reused.';
COMMENT ON COLUMN room_key_backup_versions.user_id IS 'Owner of the backup.';
COMMENT ON COLUMN room_key_backup_versions.version IS 'Version number, handed to clients as a decimal string.';
COMMENT ON COLUMN room_key_backup_versions.algorithm IS 'Backup algorithm, e.g. m.megolm_backup.v1.curve25519-aes-sha2.';
COMMENT ON COLUMN room_key_backup_versions.auth_data IS 'Algorithm-specific auth_data object, JSON text as sent.';
COMMENT ON COLUMN room_key_backup_versions.etag IS 'Bumped on every change to the version''s keys; clients compare it to see whether to fetch keys.';
COMMENT ON COLUMN room_key_backup_versions.deleted IS 'True once deleted; the row stays so the number is not reused.';

CREATE TABLE room_key_backups (
  user_id text NOT NULL,
  version bigint NOT NULL,
  room_id text NOT NULL,
  session_id text NOT NULL,
  first_message_index bigint NOT NULL,
  forwarded_count bigint NOT NULL,
  is_verified boolean NOT NULL,
  session_data text NOT NULL,
  PRIMARY KEY (user_id, version, room_id, session_id),
  FOREIGN KEY (user_id, version) REFERENCES room_key_backup_versions (user_id, version) ON DELETE CASCADE
);
COMMENT ON TABLE room_key_backups IS 'Backed-up megolm sessions (room_keys/keys), opaque encrypted blobs plus what the replacement rules compare.';
COMMENT ON COLUMN room_key_backups.user_id IS 'Owner of the backup.';
COMMENT ON COLUMN room_key_backups.version IS 'Backup version the key was stored under.';
COMMENT ON COLUMN room_key_backups.room_id IS 'Room the megolm session belongs to.';
COMMENT ON COLUMN room_key_backups.session_id IS 'Megolm session id.';
COMMENT ON COLUMN room_key_backups.first_message_index IS 'First message index the stored key can decrypt; lower is better.';
COMMENT ON COLUMN room_key_backups.forwarded_count IS 'How many times the key was forwarded; lower is better.';
COMMENT ON COLUMN room_key_backups.is_verified IS 'Whether the device that sent the key was verified; verified keys win.';
COMMENT ON COLUMN room_key_backups.session_data IS 'Algorithm-specific encrypted session data object, JSON text as sent.';
