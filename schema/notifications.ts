// Notifications: the events sdp posts to the webhook targets of the Platform, and the body a
// receiver gets (format `json`; `slack` posts `{ text }` instead). A receiver verifies the body with
// the signature header: `sha256=` + hex HMAC-SHA256 of the raw body under the target's secret.

export const NOTIFICATION_EVENTS = [
  'sync-started',
  'sync-succeeded',
  'sync-failed',
  'health-degraded',
  'health-recovered',
  'sandbox-expired',
  'drift-detected',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export const NOTIFICATION_FORMATS = ['json', 'slack'] as const;
export type NotificationFormat = (typeof NOTIFICATION_FORMATS)[number];

/** The HMAC header (GitHub's X-Hub-Signature-256 convention), sent when the target names a secret. */
export const NOTIFICATION_SIGNATURE_HEADER = 'X-Sdp-Signature-256';
/** The event name and the delivery id, on every request (a receiver may drop a delivery it has seen). */
export const NOTIFICATION_EVENT_HEADER = 'X-Sdp-Event';
export const NOTIFICATION_DELIVERY_HEADER = 'X-Sdp-Delivery';

/** What happened, to which sandbox: the `json` body (less `delivery` and `platform`, added per target). */
export interface NotificationBody {
  event: NotificationEvent;
  /** ISO time the event happened (a retried delivery keeps it) */
  at: string;
  sandbox: string;
  /** one sentence a person reads; Slack's text is made from it */
  message: string;
  /** sync events: the job */
  job?: { id: string; trigger: string; user: string; revision: string };
  /** sync-failed: the step that failed (absent when the sync failed before any step) */
  step?: { id: string; kind: string; resource: string; node: string; error: string };
  /** health events: the sandbox's health with why */
  health?: { status: string; reason: string; message: string };
  /** drift-detected: what differs, by resource and field (values left out) */
  drift?: { resource: string; change: string; field?: string }[];
  gatewayUrl?: string;
  /** a sandbox a SandboxSet made: the set and the branch it was made for */
  generatedBy?: { set: string; branch: string };
}

export interface NotificationPayload extends NotificationBody {
  /** the delivery's id (also X-Sdp-Delivery) */
  delivery: string;
  platform: string;
}
