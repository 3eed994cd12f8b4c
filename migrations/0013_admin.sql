-- Administration: blocked rooms, room deletions (the admin API's delete status), room leaves queued for
-- the process that writes rooms, and shared-secret registration nonces.

CREATE TABLE blocked_rooms (
  room_id text PRIMARY KEY,
  blocked_by text NOT NULL,
  blocked_ts bigint NOT NULL
);
COMMENT ON TABLE blocked_rooms IS 'Rooms local users may no longer join, be invited to or knock on (admin room deletion with block).';
COMMENT ON COLUMN blocked_rooms.room_id IS 'The blocked room; it need not be known to this server.';
COMMENT ON COLUMN blocked_rooms.blocked_by IS 'The admin who blocked it (a user id, or cli:<os user> from hearth admin).';
COMMENT ON COLUMN blocked_rooms.blocked_ts IS 'When it was blocked, ms since the Unix epoch.';

CREATE TABLE room_deletions (
  delete_id text PRIMARY KEY,
  room_id text NOT NULL,
  requested_by text NOT NULL,
  block boolean NOT NULL,
  purge boolean NOT NULL,
  force_purge boolean NOT NULL,
  status text NOT NULL CHECK (status IN ('scheduled', 'active', 'complete', 'failed')),
  error text,
  kicked_users text[] NOT NULL DEFAULT '{}',
  failed_to_kick_users text[] NOT NULL DEFAULT '{}',
  local_aliases text[] NOT NULL DEFAULT '{}',
  created_ts bigint NOT NULL,
  updated_ts bigint NOT NULL
);
CREATE INDEX room_deletions_room ON room_deletions (room_id);
CREATE INDEX room_deletions_scheduled ON room_deletions (created_ts) WHERE status = 'scheduled';
COMMENT ON TABLE room_deletions IS 'Room deletions requested through DELETE /_synapse/admin/v2/rooms/{roomId} or hearth admin room delete; the rows are the delete_status answers.';
COMMENT ON COLUMN room_deletions.delete_id IS 'Opaque id handed to the requester for status polling.';
COMMENT ON COLUMN room_deletions.room_id IS 'The room being deleted (kept after a purge, which deletes every other row of the room).';
COMMENT ON COLUMN room_deletions.requested_by IS 'The admin who asked (a user id, or cli:<os user>).';
COMMENT ON COLUMN room_deletions.block IS 'Whether the room is blocked first, so nobody local can join it again.';
COMMENT ON COLUMN room_deletions.purge IS 'Whether the room''s rows are deleted once every local member has left.';
COMMENT ON COLUMN room_deletions.force_purge IS 'Purge even when some local members could not be made to leave.';
COMMENT ON COLUMN room_deletions.status IS 'scheduled (waiting for the process that writes rooms), active, complete or failed.';
COMMENT ON COLUMN room_deletions.error IS 'Why the deletion failed; NULL unless status is failed.';
COMMENT ON COLUMN room_deletions.kicked_users IS 'Local users who left the room through the deletion.';
COMMENT ON COLUMN room_deletions.failed_to_kick_users IS 'Local users the room writer refused to remove.';
COMMENT ON COLUMN room_deletions.local_aliases IS 'Local aliases of the room that the deletion removed.';
COMMENT ON COLUMN room_deletions.created_ts IS 'When the deletion was requested, ms since the Unix epoch.';
COMMENT ON COLUMN room_deletions.updated_ts IS 'Last status change, ms since the Unix epoch.';

CREATE TABLE pending_room_leaves (
  user_id text PRIMARY KEY,
  requested_by text NOT NULL,
  requested_ts bigint NOT NULL
);
COMMENT ON TABLE pending_room_leaves IS 'Deactivated users whose rooms are still to be left: hearth admin run while a server owns the room writer queues the leaves here for that server.';
COMMENT ON COLUMN pending_room_leaves.user_id IS 'The deactivated local user.';
COMMENT ON COLUMN pending_room_leaves.requested_by IS 'The admin who deactivated the account.';
COMMENT ON COLUMN pending_room_leaves.requested_ts IS 'When the leaves were queued, ms since the Unix epoch.';

CREATE TABLE registration_nonces (
  nonce text PRIMARY KEY,
  created_ts bigint NOT NULL
);
COMMENT ON TABLE registration_nonces IS 'Single-use nonces of shared-secret registration (GET /_synapse/admin/v1/register), in the database so any process may answer the POST.';
COMMENT ON COLUMN registration_nonces.nonce IS 'The nonce handed out (random hex).';
COMMENT ON COLUMN registration_nonces.created_ts IS 'When it was handed out, ms since the Unix epoch; older than a minute is refused.';
