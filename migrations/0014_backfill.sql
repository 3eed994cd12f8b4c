-- Backfilled history: events fetched from other servers when a client pages back past what this
-- server holds get negative stream orderings (events.stream_ordering), handed out by this sequence.

CREATE SEQUENCE backfill_stream_seq;
COMMENT ON SEQUENCE backfill_stream_seq IS 'Backfilled events take -nextval as their stream_ordering: below every live position, further below the older they are, never reused.';
