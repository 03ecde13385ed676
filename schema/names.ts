// One definition of each textual concept the specs, the wire and the runtime share.

/** RFC 1123 label: every name sdp takes (sandbox, service, environment, node, ...). */
export const NAME_PATTERN = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';

/** A git commit sha as sdp stores it: 7 to 64 lowercase hex characters. */
export const COMMIT_PATTERN = '^[0-9a-f]{7,64}$';

/** What every secret value (and credential) is shown as, in drift, live env, logs and errors. */
export const REDACTED = '(redacted)';
