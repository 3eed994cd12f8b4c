-- Facts about the deployment this database belongs to, written once at first start.
CREATE TABLE instance_meta (
  key text PRIMARY KEY,
  value jsonb NOT NULL
);
COMMENT ON TABLE instance_meta IS 'One row per fact about this deployment (e.g. server_name), checked at every start.';
COMMENT ON COLUMN instance_meta.key IS 'Name of the fact, e.g. server_name.';
COMMENT ON COLUMN instance_meta.value IS 'Its value as JSON; server_name must never change once rooms exist.';
