-- Secret values, AES-256-GCM encrypted under the master key (never plaintext on disk).
-- The environment and key are the GCM additional data, so a row copied to another name fails to open.
CREATE TABLE secrets (
  environment TEXT NOT NULL,
  key         TEXT NOT NULL,
  iv          BLOB NOT NULL,
  ciphertext  BLOB NOT NULL,
  tag         BLOB NOT NULL,
  updated_at  TEXT NOT NULL,
  updated_by  TEXT,
  PRIMARY KEY (environment, key)
);

-- One row: a MAC of a fixed string under the master key, so starting with another key fails at once
-- instead of at the first deploy.
CREATE TABLE secrets_key_check (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  check_mac TEXT NOT NULL
);
