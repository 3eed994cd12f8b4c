-- Durable outbound federation: what each destination still has to receive, and the transaction in
-- flight to it. The rows here are the truth; queues and timers only decide when to look at them.

CREATE TABLE federation_outbox_pdus (
  destination text NOT NULL,
  stream_ordering bigint NOT NULL,
  room_id text NOT NULL,
  event_id text NOT NULL,
  PRIMARY KEY (destination, stream_ordering)
);
CREATE INDEX federation_outbox_pdus_room ON federation_outbox_pdus (destination, room_id, stream_ordering);
COMMENT ON TABLE federation_outbox_pdus IS 'Local events not yet acknowledged by a destination; written in the event''s own transaction.';
COMMENT ON COLUMN federation_outbox_pdus.destination IS 'Server name the event must reach.';
COMMENT ON COLUMN federation_outbox_pdus.stream_ordering IS 'The event''s position on the events stream: the send order per destination.';
COMMENT ON COLUMN federation_outbox_pdus.room_id IS 'Room of the event (catch-up keeps only the latest events per room).';
COMMENT ON COLUMN federation_outbox_pdus.event_id IS 'The event; its PDU is read from events when the transaction is built.';

CREATE TABLE federation_outbox_edus (
  destination text NOT NULL,
  edu_id bigint GENERATED ALWAYS AS IDENTITY,
  edu_type text NOT NULL,
  content text NOT NULL,
  created_ts bigint NOT NULL,
  PRIMARY KEY (destination, edu_id)
);
COMMENT ON TABLE federation_outbox_edus IS 'Durable EDUs (receipts, device list updates, to-device) kept until a destination answers 200.';
COMMENT ON COLUMN federation_outbox_edus.destination IS 'Server name the EDU must reach.';
COMMENT ON COLUMN federation_outbox_edus.edu_id IS 'Queue order per destination.';
COMMENT ON COLUMN federation_outbox_edus.edu_type IS 'EDU type, e.g. m.receipt or m.direct_to_device.';
COMMENT ON COLUMN federation_outbox_edus.content IS 'EDU content as JSON text.';
COMMENT ON COLUMN federation_outbox_edus.created_ts IS 'When it was queued, ms since the Unix epoch.';

CREATE TABLE federation_destinations (
  destination text PRIMARY KEY,
  txn_counter bigint NOT NULL DEFAULT 0,
  failures integer NOT NULL DEFAULT 0,
  retry_at_ts bigint,
  last_success_ts bigint,
  pending_txn_id text,
  pending_body text,
  pending_pdus bigint[],
  pending_edus bigint[]
);
COMMENT ON TABLE federation_destinations IS 'Per destination: backoff state and the one transaction in flight (resent unchanged until answered).';
COMMENT ON COLUMN federation_destinations.destination IS 'Remote server name.';
COMMENT ON COLUMN federation_destinations.txn_counter IS 'Transactions built for it so far; part of each transaction id.';
COMMENT ON COLUMN federation_destinations.failures IS 'Consecutive failed attempts (5xx, unreachable); 0 after a success.';
COMMENT ON COLUMN federation_destinations.retry_at_ts IS 'No attempt before this time (backoff or Retry-After), ms since the Unix epoch; null: now.';
COMMENT ON COLUMN federation_destinations.last_success_ts IS 'When it last answered a transaction with 200.';
COMMENT ON COLUMN federation_destinations.pending_txn_id IS 'Id of the transaction in flight; reused on every retry so the receiver dedupes.';
COMMENT ON COLUMN federation_destinations.pending_body IS 'The exact transaction body in flight (JSON), resent as is.';
COMMENT ON COLUMN federation_destinations.pending_pdus IS 'Outbox PDU rows (stream_ordering) the transaction carries, deleted on its answer.';
COMMENT ON COLUMN federation_destinations.pending_edus IS 'Outbox EDU rows (edu_id) the transaction carries, deleted on its answer.';
