-- Federation transactions received by PUT /_matrix/federation/v1/send/{txnId}, for deduplication.

CREATE TABLE federation_received_transactions (
  origin text NOT NULL,
  txn_id text NOT NULL,
  response text NOT NULL,
  received_ts bigint NOT NULL,
  PRIMARY KEY (origin, txn_id)
);
CREATE INDEX federation_received_transactions_ts ON federation_received_transactions (received_ts);
COMMENT ON TABLE federation_received_transactions IS 'Transactions other servers sent us, so a retried transaction gets the same answer without being processed twice.';
COMMENT ON COLUMN federation_received_transactions.origin IS 'The sending server (the X-Matrix origin).';
COMMENT ON COLUMN federation_received_transactions.txn_id IS 'The transaction id the origin chose (unique per origin only).';
COMMENT ON COLUMN federation_received_transactions.response IS 'The JSON body we answered with ({"pdus": {...}}), sent again on a retry.';
COMMENT ON COLUMN federation_received_transactions.received_ts IS 'When the transaction was processed, ms since the Unix epoch (old rows may be pruned).';
