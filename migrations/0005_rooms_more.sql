-- Room writer additions: redaction targets, so a redaction that arrived before its target can be applied
-- when the target is stored.

ALTER TABLE events ADD COLUMN redacts text;
CREATE INDEX events_redacts ON events (redacts) WHERE redacts IS NOT NULL;
COMMENT ON COLUMN events.redacts IS 'For m.room.redaction events: the event id it redacts (content.redacts in v11+, top-level redacts before); NULL otherwise.';
