// Credentials and secret values must never leave the agent: every outgoing message passes through a
// Redactor that replaces each known secret string, and any userinfo in a URL, with '***'.

const MASK = '***';
/** Shorter strings are not masked: replacing every "ab" in a message would mangle it and hide nothing. */
const MIN_SECRET_LENGTH = 4;
/** `scheme://user:pass@host` or `scheme://token@host`: everything between '//' and '@' is userinfo. */
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/@\s'"]+@/gi;

export class Redactor {
  private readonly secrets = new Set<string>();
  /** longest first, so a secret that contains another is masked whole; made once per set of secrets (a log stream masks every line) */
  private order: string[] | undefined;

  constructor(secrets: Iterable<string | undefined> = []) {
    for (const s of secrets) this.add(s);
  }

  add(secret: string | undefined): void {
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH) return;
    this.order = undefined;
    this.secrets.add(secret);
    // a multi-line value (a PEM key) is printed, and read from a log, line by line
    if (secret.includes('\n')) for (const line of secret.split(/\r?\n/)) this.add(line);
    // the same value may appear URL-encoded (userinfo) or JSON-escaped (error bodies)
    this.secrets.add(encodeURIComponent(secret));
    this.secrets.add(JSON.stringify(secret).slice(1, -1));
  }

  /** The length of the longest string masked: what a stream must hold back to see any secret whole. */
  get longest(): number {
    let n = 0;
    for (const s of this.secrets) n = Math.max(n, s.length);
    return n;
  }

  text(s: string): string {
    let out = s.replace(URL_USERINFO, `$1${MASK}@`);
    this.order ??= [...this.secrets].sort((a, b) => b.length - a.length);
    for (const secret of this.order) {
      if (out.includes(secret)) out = out.split(secret).join(MASK);
    }
    return out;
  }

  /** Deep copy with every string (values, not keys) redacted. */
  value<V>(v: V): V {
    if (typeof v === 'string') return this.text(v) as V;
    if (Array.isArray(v)) return v.map((x: unknown) => this.value(x)) as V;
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.value(x);
      return out as V;
    }
    return v;
  }
}
