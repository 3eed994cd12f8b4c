-- Per-user data that /sync carries besides room events: filters, account data, receipts, presence.
-- Each change takes a position on its own stream (stream_id), so sync tokens can say what a client has.

CREATE TABLE user_filters (
  user_id text NOT NULL,
  filter_id bigint GENERATED ALWAYS AS IDENTITY,
  filter_json text NOT NULL,
  created_ts bigint NOT NULL,
  PRIMARY KEY (user_id, filter_id)
);
COMMENT ON TABLE user_filters IS 'Filters uploaded with POST /user/{userId}/filter, kept verbatim.';
COMMENT ON COLUMN user_filters.user_id IS 'Owner; only they may read or use the filter.';
COMMENT ON COLUMN user_filters.filter_id IS 'The filter id handed to the client (as a decimal string; never starts with "{").';
COMMENT ON COLUMN user_filters.filter_json IS 'The Filter object as the client sent it (validated), parsed again on each use.';
COMMENT ON COLUMN user_filters.created_ts IS 'Upload time, ms since the Unix epoch.';

CREATE TABLE account_data (
  user_id text NOT NULL,
  room_id text NOT NULL,
  type text NOT NULL,
  content text NOT NULL,
  stream_id bigint NOT NULL UNIQUE,
  PRIMARY KEY (user_id, room_id, type)
);
CREATE INDEX account_data_user_stream ON account_data (user_id, stream_id);
COMMENT ON TABLE account_data IS 'Global and per-room account data (incl. m.tag and m.fully_read); the latest content per type.';
COMMENT ON COLUMN account_data.user_id IS 'Local user the data belongs to.';
COMMENT ON COLUMN account_data.room_id IS 'Room for room account data; the empty string for global account data.';
COMMENT ON COLUMN account_data.type IS 'Account data event type.';
COMMENT ON COLUMN account_data.content IS 'The content object as JSON text, returned as stored.';
COMMENT ON COLUMN account_data.stream_id IS 'Position on the account_data stream of the last change.';

CREATE TABLE receipts (
  room_id text NOT NULL,
  receipt_type text NOT NULL,
  user_id text NOT NULL,
  thread_id text NOT NULL,
  event_id text NOT NULL,
  ts bigint NOT NULL,
  stream_id bigint NOT NULL UNIQUE,
  PRIMARY KEY (room_id, receipt_type, user_id, thread_id)
);
CREATE INDEX receipts_room_stream ON receipts (room_id, stream_id);
COMMENT ON TABLE receipts IS 'The latest receipt per room, type, user and thread ("up to" markers replace older ones).';
COMMENT ON COLUMN receipts.room_id IS 'Room of the receipt.';
COMMENT ON COLUMN receipts.receipt_type IS 'm.read or m.read.private (private ones are only ever shown to their user).';
COMMENT ON COLUMN receipts.user_id IS 'User who sent the receipt.';
COMMENT ON COLUMN receipts.thread_id IS 'Thread root event id or "main" for threaded receipts; the empty string for unthreaded ones.';
COMMENT ON COLUMN receipts.event_id IS 'Event read up to.';
COMMENT ON COLUMN receipts.ts IS 'When the receipt was sent, ms since the Unix epoch.';
COMMENT ON COLUMN receipts.stream_id IS 'Position on the receipts stream of the last change.';

CREATE TABLE presence (
  user_id text PRIMARY KEY,
  state text NOT NULL,
  status_msg text,
  last_active_ts bigint NOT NULL,
  stream_id bigint NOT NULL UNIQUE
);
COMMENT ON TABLE presence IS 'Each user''s latest presence; users without a row are offline.';
COMMENT ON COLUMN presence.user_id IS 'User the presence belongs to.';
COMMENT ON COLUMN presence.state IS 'online, unavailable or offline, as last set by the user or by syncing.';
COMMENT ON COLUMN presence.status_msg IS 'Optional status message; NULL when none.';
COMMENT ON COLUMN presence.last_active_ts IS 'Last pro-active action (setting online, syncing with set_presence=online), ms since the Unix epoch.';
COMMENT ON COLUMN presence.stream_id IS 'Position on the presence stream of the last change.';
