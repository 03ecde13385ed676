// The notification queue: each event becomes one persisted delivery per webhook target that wants
// it; deliveries are posted in the background (a few at a time, each with a timeout), tried again
// with exponential backoff until delivered or out of attempts, and resumed after a restart. Nothing
// here blocks or fails a sync: the sink methods only insert rows and return.
// Secret values are redacted from a body before it is stored; target URLs are shown and logged
// without credentials (displayUrl).
import { randomUUID } from 'node:crypto';
import { driftBody, isDrifted, statusEvents, syncBody, type SyncEvent } from '../../core/notify/events.ts';
import { displayUrl, redactSecrets, renderPayload, retryDelayMs, signature } from '../../core/notify/payload.ts';
import type { DeliveryStatus, NotificationsView, SandboxSummary } from '../../schema/api.ts';
import type { DesiredWebhook } from '../../schema/desired.ts';
import {
  NOTIFICATION_DELIVERY_HEADER,
  NOTIFICATION_EVENT_HEADER,
  NOTIFICATION_SIGNATURE_HEADER,
  type NotificationBody,
} from '../../schema/notifications.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { EventSink } from '../sync/events.ts';
import type { Deliveries, Delivery } from './deliveries.ts';

export interface NotifyOptions {
  /** attempts per delivery before it is failed */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** per attempt: connect, send and the receiver's status line */
  timeoutMs: number;
  /** drift must hold this long (and no sync be running) before drift-detected is sent */
  driftDebounceMs: number;
  /** attempts in flight at once, in all and per target (a receiver that hangs holds up only its own) */
  concurrency: number;
  perTarget: number;
}

export const DEFAULT_NOTIFY: NotifyOptions = { maxAttempts: 8, retryBaseMs: 2000, retryMaxMs: 5 * 60_000, timeoutMs: 10_000, driftDebounceMs: 30_000, concurrency: 8, perTarget: 2 };

export interface NotifierDeps {
  deliveries: Deliveries;
  /** the Platform in force: its name and webhook targets (none before a first good revision) */
  platform: () => { name: string; targets: readonly DesiredWebhook[] } | undefined;
  /** the HMAC key of a target's `secret: NAME` (the secret NAME/hmac); undefined when not set */
  hmacKey: (secret: string) => string | undefined;
  /** every secret value in use now (environments, git credentials, HMAC keys): redacted from bodies */
  secretValues: () => string[];
  metrics: Metrics;
  log: Logger;
  version: string;
  options?: Partial<NotifyOptions>;
}

interface DriftWatch {
  timer: NodeJS.Timeout | undefined;
  latest: SandboxSummary;
  /** already reported (or drifted when first seen): quiet until it is in sync again */
  sent: boolean;
}

export class Notifier implements EventSink {
  private readonly o: NotifyOptions;
  /** delivery id -> its attempt, and its target */
  private readonly inFlight = new Map<string, { target: string; done: Promise<void> }>();
  private readonly aborts = new Set<AbortController>();
  private readonly drift = new Map<string, DriftWatch>();
  /** sandboxes in a degraded episode (reported Degraded, not Healthy since) */
  private readonly degraded = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly d: NotifierDeps) {
    this.o = { ...DEFAULT_NOTIFY, ...d.options };
    // deliveries left pending by the last run go out now
    setImmediate(() => this.pump());
  }

  sync(e: SyncEvent): void {
    this.enqueue(syncBody(e, new Date().toISOString()));
  }

  sandbox(prev: SandboxSummary | undefined, next: SandboxSummary | undefined): void {
    if (!next) {
      if (prev) {
        this.stopWatching(prev.name);
        this.degraded.delete(prev.name);
      }
      return;
    }
    const { events, degraded } = statusEvents(prev, next, new Date().toISOString(), this.degraded.has(next.name));
    if (degraded) this.degraded.add(next.name);
    else this.degraded.delete(next.name);
    for (const body of events) this.enqueue(body);
    this.watchDrift(prev, next);
  }

  view(q: { limit: number; status?: DeliveryStatus; sandbox?: string }): NotificationsView {
    const targets = (this.d.platform()?.targets ?? []).map((t) => ({
      name: t.name,
      url: displayUrl(t.url),
      format: t.format,
      events: [...t.events],
      ...(t.secret ? { secret: { name: t.secret, set: this.hmacKeyOf(t.secret) !== undefined } } : {}),
    }));
    return { targets, deliveries: this.d.deliveries.list(q) };
  }

  /** Stops sending (in-flight attempts are aborted and stay pending for the next start). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const w of this.drift.values()) clearTimeout(w.timer);
    for (const a of this.aborts) a.abort(new Error('the reconciler is stopping'));
    await Promise.allSettled([...this.inFlight.values()].map((f) => f.done));
  }

  private watchDrift(prev: SandboxSummary | undefined, next: SandboxSummary): void {
    const watch = this.drift.get(next.name);
    if (!isDrifted(next)) {
      if (watch) this.stopWatching(next.name);
      return;
    }
    if (watch) {
      watch.latest = next;
      return;
    }
    // drifted when first seen (a restart): not news; it is reported after it has been in sync again
    if (!prev) {
      this.drift.set(next.name, { timer: undefined, latest: next, sent: true });
      return;
    }
    const w: DriftWatch = { timer: undefined, latest: next, sent: false };
    this.drift.set(next.name, w);
    this.armDrift(w);
  }

  private armDrift(w: DriftWatch): void {
    w.timer = setTimeout(() => {
      if (this.closed || this.drift.get(w.latest.name) !== w || w.sent) return;
      // a running sync is about to change live: look again once it has had its chance
      const status = w.latest.lastSync?.status;
      if (status === 'running' || status === 'pending') return this.armDrift(w);
      w.sent = true;
      this.enqueue(driftBody(w.latest, new Date().toISOString()));
    }, this.o.driftDebounceMs);
    w.timer.unref();
  }

  private stopWatching(name: string): void {
    clearTimeout(this.drift.get(name)?.timer);
    this.drift.delete(name);
  }

  private enqueue(body: NotificationBody): void {
    if (this.closed) return;
    try {
      const targets = (this.d.platform()?.targets ?? []).filter((t) => t.events.includes(body.event));
      if (targets.length === 0) return;
      const clean = redactSecrets(body, this.d.secretValues());
      const at = new Date().toISOString();
      for (const t of targets) this.d.deliveries.add({ id: randomUUID(), target: t.name, body: clean, at });
      setImmediate(() => this.pump());
    } catch (err) {
      // a notification that cannot be queued must not break the loop that raised it
      this.d.log.error({ event: body.event, sandbox: body.sandbox, err: (err as Error).message }, 'notification not queued');
    }
  }

  /** Starts every due delivery (up to the concurrency) and sleeps until the next one is due. */
  private pump(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    // no Platform in force yet (a first start still compiling): nothing can be sent, nor judged gone
    if (!this.d.platform()) return;
    const now = Date.now();
    let next = Infinity;
    for (const delivery of this.d.deliveries.pending()) {
      if (this.inFlight.has(delivery.id)) continue;
      const due = Date.parse(delivery.nextAttemptAt);
      if (due > now) {
        next = Math.min(next, due);
        continue;
      }
      // a finished attempt pumps again
      if (this.inFlight.size >= this.o.concurrency) break;
      if ([...this.inFlight.values()].filter((f) => f.target === delivery.target).length >= this.o.perTarget) continue;
      const done = this.attempt(delivery).finally(() => {
        this.inFlight.delete(delivery.id);
        this.pump();
      });
      this.inFlight.set(delivery.id, { target: delivery.target, done });
    }
    if (next !== Infinity) {
      this.timer = setTimeout(() => this.pump(), Math.min(next - now, 2 ** 31 - 1));
      this.timer.unref();
    }
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const platform = this.d.platform();
    const target = platform?.targets.find((t) => t.name === delivery.target);
    if (!platform) return;
    if (!target) {
      this.d.deliveries.abandon(delivery.id, `target ${delivery.target} is no longer in the Platform's notifications`);
      this.d.metrics.notificationDeliveries.inc({ target: delivery.target, outcome: 'dropped' });
      return;
    }
    const sent = await this.post(target, platform.name, delivery);
    if (this.closed) return;
    const attempts = delivery.attempts + 1;
    const at = new Date();
    const retryAt = sent.ok || attempts >= this.o.maxAttempts ? undefined : new Date(at.getTime() + retryDelayMs(attempts, { baseMs: this.o.retryBaseMs, maxMs: this.o.retryMaxMs }, Math.random()));
    this.d.deliveries.attempted(delivery.id, {
      at: at.toISOString(),
      delivered: sent.ok,
      ...(retryAt ? { retryAt: retryAt.toISOString() } : {}),
      ...(sent.error ? { error: sent.error } : {}),
      ...(sent.status !== undefined ? { responseStatus: sent.status } : {}),
    });
    const outcome = sent.ok ? 'delivered' : retryAt ? 'retried' : 'failed';
    this.d.metrics.notificationDeliveries.inc({ target: target.name, outcome });
    if (!sent.ok) {
      const fields = { delivery: delivery.id, target: target.name, url: displayUrl(target.url), event: delivery.body.event, attempt: attempts, err: sent.error };
      if (retryAt) this.d.log.info({ ...fields, retryAt: retryAt.toISOString() }, 'notification not delivered; will try again');
      else this.d.log.warn(fields, 'notification not delivered; out of attempts');
    }
  }

  private async post(target: DesiredWebhook, platform: string, delivery: Delivery): Promise<{ ok: boolean; status?: number; error?: string }> {
    const raw = renderPayload(target.format, delivery.body, { delivery: delivery.id, platform });
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': `sdp/${this.d.version}`,
      [NOTIFICATION_EVENT_HEADER]: delivery.body.event,
      [NOTIFICATION_DELIVERY_HEADER]: delivery.id,
    };
    if (target.secret) {
      const key = this.hmacKeyOf(target.secret);
      if (key === undefined) return { ok: false, error: `secret ${target.secret}/hmac is not set: set it with \`sdp secret set ${target.secret} hmac\`` };
      headers[NOTIFICATION_SIGNATURE_HEADER] = signature(key, raw);
    }
    const abort = new AbortController();
    this.aborts.add(abort);
    const timer = setTimeout(() => abort.abort(new Error(`no answer within ${this.o.timeoutMs} ms`)), this.o.timeoutMs);
    try {
      // redirects are not followed: the target is the URL the Platform names, nothing else
      const res = await fetch(target.url, { method: 'POST', headers, body: raw, redirect: 'manual', signal: abort.signal });
      await res.body?.cancel();
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
      return { ok: false, status: res.status, error: `the receiver answered HTTP ${res.status}${res.status >= 300 && res.status < 400 ? ' (redirects are not followed)' : ''}` };
    } catch (err) {
      return { ok: false, error: this.describe(err, target) };
    } finally {
      clearTimeout(timer);
      this.aborts.delete(abort);
    }
  }

  private hmacKeyOf(secret: string): string | undefined {
    try {
      return this.d.hmacKey(secret);
    } catch {
      return undefined;
    }
  }

  /** A network error in words, without the URL's credentials or any secret value. */
  private describe(err: unknown, target: DesiredWebhook): string {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const text = e.name === 'AbortError' || e.name === 'TimeoutError' ? (e.message || 'aborted') : e.cause?.message ? `${e.message}: ${e.cause.message}` : e.message;
    return redactSecrets(text.split(target.url).join(displayUrl(target.url)), this.d.secretValues());
  }
}
