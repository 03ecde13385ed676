-- Users, sessions, API tokens and agent (node) tokens. Every credential is stored as a hash:
-- passwords with scrypt, tokens and session ids with sha256 (they are high-entropy random strings).
CREATE TABLE users (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  username      TEXT NOT NULL UNIQUE,
  role          TEXT NOT NULL CHECK (role IN ('viewer', 'qa', 'lead', 'admin')),
  -- 'local': password_hash set; 'git': verified against git on each login, no password kept
  source        TEXT NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'git')),
  password_hash TEXT,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);

CREATE TABLE sessions (
  id_hash    TEXT PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_hash  TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  -- a token may be weaker than its owner; the effective role is the lower of the two
  role         TEXT NOT NULL CHECK (role IN ('viewer', 'qa', 'lead', 'admin')),
  token_hash   TEXT NOT NULL UNIQUE,
  created_at   TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at   TEXT,
  UNIQUE (user_id, name)
);

CREATE TABLE agent_tokens (
  node       TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
);
