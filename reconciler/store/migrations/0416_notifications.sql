-- Notification deliveries: one row per event and webhook target, tried until delivered or out of
-- attempts. `body` is the event as sent (secrets already redacted); the URL is not kept here (it is
-- the target's, in the revision in force, read when the delivery is tried).
CREATE TABLE notification_deliveries (
  id               TEXT PRIMARY KEY,
  target           TEXT NOT NULL,
  event            TEXT NOT NULL,
  sandbox          TEXT NOT NULL,
  body             TEXT NOT NULL,     -- JSON NotificationBody
  status           TEXT NOT NULL,     -- pending | delivered | failed
  attempts         INTEGER NOT NULL DEFAULT 0,
  created_at       TEXT NOT NULL,
  next_attempt_at  TEXT,
  last_attempt_at  TEXT,
  delivered_at     TEXT,
  last_error       TEXT,
  response_status  INTEGER
);
CREATE INDEX notification_deliveries_due ON notification_deliveries(status, next_attempt_at);
CREATE INDEX notification_deliveries_created ON notification_deliveries(created_at);
