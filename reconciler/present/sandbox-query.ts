// GET /api/sandboxes?q=&sync=&health=&limit=&offset=: search, filter and page the sandbox summaries
// on the server, so an overview of 1,000 sandboxes moves one page over the wire and renders it.
// Pure: the route parses the query string with parseSandboxQuery and answers querySandboxes.
import { HEALTH_STATUSES, SYNC_STATUSES, type HealthStatus, type SandboxSummary, type SyncStatus } from '../../schema/api.ts';

export interface SandboxQuery {
  /** case-insensitive substring of the name, owner, template, the SandboxSet that made it, or a label `key=value` */
  q?: string;
  sync?: SyncStatus;
  health?: HealthStatus;
  /** no limit: every match (what callers that predate paging read) */
  limit?: number;
  offset: number;
}

export const MAX_SANDBOX_PAGE = 500;

/** The query or what is wrong with it, in words that say which parameter and what it takes. */
export function parseSandboxQuery(params: Record<string, string | undefined>): SandboxQuery | { error: string } {
  const query: SandboxQuery = { offset: 0 };
  const q = params['q']?.trim();
  if (q) {
    if (q.length > 200) return { error: 'q is longer than 200 characters' };
    query.q = q;
  }
  const sync = params['sync'];
  if (sync) {
    if (!isOneOf(SYNC_STATUSES, sync)) return { error: `sync must be one of ${SYNC_STATUSES.join(', ')}; got ${JSON.stringify(sync)}` };
    query.sync = sync;
  }
  const health = params['health'];
  if (health) {
    if (!isOneOf(HEALTH_STATUSES, health)) return { error: `health must be one of ${HEALTH_STATUSES.join(', ')}; got ${JSON.stringify(health)}` };
    query.health = health;
  }
  if (params['limit'] !== undefined) {
    const limit = wholeNumber(params['limit']);
    if (limit === null || limit < 1 || limit > MAX_SANDBOX_PAGE) return { error: `limit must be a whole number from 1 to ${MAX_SANDBOX_PAGE}` };
    query.limit = limit;
  }
  if (params['offset'] !== undefined) {
    const offset = wholeNumber(params['offset']);
    if (offset === null) return { error: 'offset must be a whole number, 0 or more' };
    query.offset = offset;
  }
  return query;
}

/** The page of the matches (summaries come sorted by name) and how many matched in all. */
export function querySandboxes(all: readonly SandboxSummary[], query: SandboxQuery): { page: SandboxSummary[]; total: number } {
  const needle = query.q?.toLowerCase();
  const matches = all.filter(
    (s) => (!query.sync || s.sync === query.sync) && (!query.health || s.health === query.health) && (!needle || searchText(s).includes(needle)),
  );
  const end = query.limit === undefined ? undefined : query.offset + query.limit;
  return { page: matches.slice(query.offset, end), total: matches.length };
}

function searchText(s: SandboxSummary): string {
  return [s.name, s.owner ?? '', s.template ?? '', s.generatedBy?.set ?? '', ...Object.entries(s.labels).map(([k, v]) => `${k}=${v}`)].join('\n').toLowerCase();
}

function isOneOf<T extends string>(values: readonly T[], v: string): v is T {
  return (values as readonly string[]).includes(v);
}

function wholeNumber(v: string): number | null {
  return /^[0-9]{1,9}$/.test(v) ? Number(v) : null;
}
