-- Rooms and their event graph: events, edges, state groups, extremities, current state, memberships.

CREATE TABLE rooms (
  room_id text PRIMARY KEY,
  room_version text NOT NULL,
  creator text,
  is_public boolean NOT NULL DEFAULT false,
  created_ts bigint NOT NULL
);
COMMENT ON TABLE rooms IS 'Every room this server knows events of.';
COMMENT ON COLUMN rooms.room_id IS 'Room id (!opaque:server, or !hash in v12).';
COMMENT ON COLUMN rooms.room_version IS 'Room version id from the create event ("1".."12").';
COMMENT ON COLUMN rooms.creator IS 'Sender of the create event.';
COMMENT ON COLUMN rooms.is_public IS 'Published in this server''s room directory (publicRooms).';
COMMENT ON COLUMN rooms.created_ts IS 'When this server first stored the room, ms since the Unix epoch.';

CREATE TABLE events (
  event_id text PRIMARY KEY,
  room_id text NOT NULL REFERENCES rooms (room_id),
  stream_ordering bigint UNIQUE,
  topological_ordering bigint NOT NULL,
  type text NOT NULL,
  state_key text,
  sender text NOT NULL,
  origin_server_ts bigint NOT NULL,
  pdu text NOT NULL,
  outlier boolean NOT NULL DEFAULT false,
  rejected_reason text,
  soft_failed boolean NOT NULL DEFAULT false,
  redacted_by text,
  state_group_before bigint,
  state_group_after bigint,
  relates_to_id text,
  relation_type text,
  created_ts bigint NOT NULL
);
CREATE INDEX events_room_stream ON events (room_id, stream_ordering);
CREATE INDEX events_room_topological ON events (room_id, topological_ordering, stream_ordering);
CREATE INDEX events_relations ON events (relates_to_id, relation_type) WHERE relates_to_id IS NOT NULL;
COMMENT ON TABLE events IS 'Every PDU this server stores, accepted, rejected or outlier.';
COMMENT ON COLUMN events.event_id IS 'Event id (reference hash for v3+, sender-chosen for v1/v2).';
COMMENT ON COLUMN events.room_id IS 'Room the event belongs to.';
COMMENT ON COLUMN events.stream_ordering IS 'Position on the events stream (arrival order, what /sync pages by); NULL for outliers and rejected events, negative for backfilled history.';
COMMENT ON COLUMN events.topological_ordering IS 'The event''s depth, for /messages ordering (ties broken by stream_ordering).';
COMMENT ON COLUMN events.type IS 'Event type, copied from the PDU for indexing.';
COMMENT ON COLUMN events.state_key IS 'State key for state events; NULL for message events.';
COMMENT ON COLUMN events.sender IS 'Sender user id, copied from the PDU.';
COMMENT ON COLUMN events.origin_server_ts IS 'Sender''s timestamp, copied from the PDU.';
COMMENT ON COLUMN events.pdu IS 'The PDU in federation format as hashed and signed (text, so v1-v5 number spellings survive); redacted in place once a redaction is applied.';
COMMENT ON COLUMN events.outlier IS 'Known without the state before it (auth chains, invites over federation); not in the timeline.';
COMMENT ON COLUMN events.rejected_reason IS 'Why the auth rules rejected the event; NULL when accepted. Rejected events never update state nor serve as prev_events.';
COMMENT ON COLUMN events.soft_failed IS 'Accepted by its auth events but not by current state: stored, not sent to clients, not used as a prev_event.';
COMMENT ON COLUMN events.redacted_by IS 'Event id of the redaction applied to this event; NULL when not redacted.';
COMMENT ON COLUMN events.state_group_before IS 'State group holding the room state before this event; NULL for outliers.';
COMMENT ON COLUMN events.state_group_after IS 'State group holding the room state after this event (equal to before for non-state or rejected events); NULL for outliers.';
COMMENT ON COLUMN events.relates_to_id IS 'content.m.relates_to.event_id, indexed for /relations and bundled aggregations.';
COMMENT ON COLUMN events.relation_type IS 'content.m.relates_to.rel_type (m.annotation, m.replace, m.thread, m.reference).';
COMMENT ON COLUMN events.created_ts IS 'When this server stored the event, ms since the Unix epoch.';

CREATE TABLE event_edges (
  event_id text NOT NULL,
  prev_event_id text NOT NULL,
  PRIMARY KEY (event_id, prev_event_id)
);
CREATE INDEX event_edges_prev ON event_edges (prev_event_id);
COMMENT ON TABLE event_edges IS 'prev_events of each event (the DAG); the target may not be stored yet.';
COMMENT ON COLUMN event_edges.event_id IS 'The citing event.';
COMMENT ON COLUMN event_edges.prev_event_id IS 'One of its prev_events.';

CREATE TABLE event_auth_edges (
  event_id text NOT NULL,
  auth_event_id text NOT NULL,
  PRIMARY KEY (event_id, auth_event_id)
);
COMMENT ON TABLE event_auth_edges IS 'auth_events of each event, for auth chain walks (state resolution, event_auth, send_join).';
COMMENT ON COLUMN event_auth_edges.event_id IS 'The citing event.';
COMMENT ON COLUMN event_auth_edges.auth_event_id IS 'One of its auth_events.';

CREATE TABLE forward_extremities (
  room_id text NOT NULL,
  event_id text NOT NULL,
  PRIMARY KEY (room_id, event_id)
);
COMMENT ON TABLE forward_extremities IS 'Events with no accepted successor yet: the prev_events of the next event sent in the room.';
COMMENT ON COLUMN forward_extremities.room_id IS 'Room.';
COMMENT ON COLUMN forward_extremities.event_id IS 'An extremity event.';

CREATE TABLE state_groups (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  room_id text NOT NULL,
  prev_group bigint REFERENCES state_groups (id),
  delta_depth integer NOT NULL DEFAULT 0
);
COMMENT ON TABLE state_groups IS 'Immutable snapshots of room state, stored as a delta on prev_group or in full.';
COMMENT ON COLUMN state_groups.id IS 'State group id, referenced by events.state_group_before/after.';
COMMENT ON COLUMN state_groups.room_id IS 'Room whose state this is.';
COMMENT ON COLUMN state_groups.prev_group IS 'Group this one is a delta on; NULL when state_group_entries hold the full state.';
COMMENT ON COLUMN state_groups.delta_depth IS 'Number of deltas down to a full snapshot, to keep lookups short (write a full snapshot past a limit).';

CREATE TABLE state_group_entries (
  state_group bigint NOT NULL REFERENCES state_groups (id),
  type text NOT NULL,
  state_key text NOT NULL,
  event_id text,
  PRIMARY KEY (state_group, type, state_key)
);
COMMENT ON TABLE state_group_entries IS 'Entries of a state group: the full state, or the changes relative to prev_group.';
COMMENT ON COLUMN state_group_entries.state_group IS 'The group.';
COMMENT ON COLUMN state_group_entries.type IS 'Event type of the entry.';
COMMENT ON COLUMN state_group_entries.state_key IS 'State key of the entry.';
COMMENT ON COLUMN state_group_entries.event_id IS 'The state event; NULL means the entry is removed relative to prev_group.';

CREATE TABLE current_state (
  room_id text NOT NULL,
  type text NOT NULL,
  state_key text NOT NULL,
  event_id text NOT NULL,
  PRIMARY KEY (room_id, type, state_key)
);
COMMENT ON TABLE current_state IS 'The room''s state after its forward extremities (resolved), for fast reads and new events.';
COMMENT ON COLUMN current_state.room_id IS 'Room.';
COMMENT ON COLUMN current_state.type IS 'Event type.';
COMMENT ON COLUMN current_state.state_key IS 'State key.';
COMMENT ON COLUMN current_state.event_id IS 'The current state event for (type, state_key).';

CREATE TABLE room_memberships (
  event_id text PRIMARY KEY,
  room_id text NOT NULL,
  user_id text NOT NULL,
  sender text NOT NULL,
  membership text NOT NULL,
  stream_ordering bigint
);
CREATE INDEX room_memberships_user ON room_memberships (user_id, stream_ordering);
CREATE INDEX room_memberships_room ON room_memberships (room_id, user_id);
COMMENT ON TABLE room_memberships IS 'Every accepted m.room.member event, for membership history (sync, history visibility).';
COMMENT ON COLUMN room_memberships.event_id IS 'The member event.';
COMMENT ON COLUMN room_memberships.room_id IS 'Room.';
COMMENT ON COLUMN room_memberships.user_id IS 'Target user (the state_key).';
COMMENT ON COLUMN room_memberships.sender IS 'Who sent it (differs from user_id for invites, kicks, bans).';
COMMENT ON COLUMN room_memberships.membership IS 'join, invite, leave, ban or knock.';
COMMENT ON COLUMN room_memberships.stream_ordering IS 'Stream position of the event (copied from events).';

CREATE TABLE current_memberships (
  room_id text NOT NULL,
  user_id text NOT NULL,
  membership text NOT NULL,
  event_id text NOT NULL,
  stream_ordering bigint,
  forgotten boolean NOT NULL DEFAULT false,
  PRIMARY KEY (room_id, user_id)
);
CREATE INDEX current_memberships_user ON current_memberships (user_id, membership);
COMMENT ON TABLE current_memberships IS 'Each user''s membership in current state, for joined_rooms, sync and member lists.';
COMMENT ON COLUMN current_memberships.room_id IS 'Room.';
COMMENT ON COLUMN current_memberships.user_id IS 'User (local or remote).';
COMMENT ON COLUMN current_memberships.membership IS 'Membership in the current state.';
COMMENT ON COLUMN current_memberships.event_id IS 'The current m.room.member event.';
COMMENT ON COLUMN current_memberships.stream_ordering IS 'Its stream position.';
COMMENT ON COLUMN current_memberships.forgotten IS 'The user forgot the room after leaving (hidden from their sync).';

CREATE TABLE event_txn_ids (
  user_id text NOT NULL,
  device_id text NOT NULL,
  endpoint text NOT NULL,
  txn_id text NOT NULL,
  event_id text NOT NULL,
  request_hash bytea NOT NULL,
  created_ts bigint NOT NULL,
  PRIMARY KEY (user_id, device_id, endpoint, txn_id)
);
CREATE INDEX event_txn_ids_event ON event_txn_ids (event_id);
COMMENT ON TABLE event_txn_ids IS 'Client transaction ids, so a retried send returns the same event (idempotency per device and endpoint).';
COMMENT ON COLUMN event_txn_ids.user_id IS 'Sender.';
COMMENT ON COLUMN event_txn_ids.device_id IS 'Sending device: the scope of the transaction id.';
COMMENT ON COLUMN event_txn_ids.endpoint IS 'Endpoint kind and target (e.g. send/m.room.message in a room, redact/$event), the rest of the scope.';
COMMENT ON COLUMN event_txn_ids.txn_id IS 'The client''s transaction id.';
COMMENT ON COLUMN event_txn_ids.event_id IS 'Event the first request created.';
COMMENT ON COLUMN event_txn_ids.request_hash IS 'SHA-256 of the first request body, to refuse a reused id with a different body.';
COMMENT ON COLUMN event_txn_ids.created_ts IS 'When it was recorded, ms since the Unix epoch (old rows may be pruned).';

CREATE TABLE room_aliases (
  room_alias text PRIMARY KEY,
  room_id text NOT NULL,
  creator text NOT NULL,
  created_ts bigint NOT NULL
);
CREATE INDEX room_aliases_room ON room_aliases (room_id);
COMMENT ON TABLE room_aliases IS 'Local room aliases (#name:our_server) and the room each points to.';
COMMENT ON COLUMN room_aliases.room_alias IS 'Full alias.';
COMMENT ON COLUMN room_aliases.room_id IS 'Target room.';
COMMENT ON COLUMN room_aliases.creator IS 'User who created the alias (may delete it).';
COMMENT ON COLUMN room_aliases.created_ts IS 'Creation time, ms since the Unix epoch.';
