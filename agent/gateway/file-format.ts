// The `file` route adapter writes the route table into a file of the team's own gateway app and reads
// it back (pure). Keys come from a template: `{service}` is the service name, `{SERVICE}` the same
// upper-cased with '-' -> '_'. json and yaml: top-level keys of the document (other keys are kept).
// env and php-array: a block between sdp markers (the rest of the file is kept); php-array writes
// CodeIgniter-style lines `$config['account_url'] = 'http://...';`, so it drops into a config.php.
import YAML from 'yaml';
import type { RouteTable } from '../../schema/container.ts';

export type FileFormat = 'json' | 'yaml' | 'env' | 'php-array';

const BEGIN = 'sdp:routes begin (managed by sdp, do not edit)';
const END = 'sdp:routes end';

export function routeKey(template: string, service: string): string {
  return template.replaceAll('{service}', service).replaceAll('{SERVICE}', service.toUpperCase().replaceAll('-', '_'));
}

/** key -> service for keys that match the template, undefined otherwise. */
export function keyMatcher(template: string): (key: string) => string | undefined {
  const parts = template.split(/(\{service\}|\{SERVICE\})/);
  const pattern = parts.map((p) => (p === '{service}' ? '([a-z0-9-]+)' : p === '{SERVICE}' ? '([A-Z0-9_]+)' : escapeRe(p))).join('');
  const re = new RegExp(`^${pattern}$`);
  const upper = parts.includes('{SERVICE}') && !parts.includes('{service}');
  return (key) => {
    const m = re.exec(key);
    if (!m?.[1]) return undefined;
    return upper ? m[1].toLowerCase().replaceAll('_', '-') : m[1];
  };
}

export function renderRoutesFile(existing: string | undefined, format: FileFormat, template: string, routes: RouteTable): string {
  const services = Object.keys(routes).sort();
  const match = keyMatcher(template);
  switch (format) {
    case 'json': {
      const doc = existing?.trim() ? (JSON.parse(existing) as Record<string, unknown>) : {};
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('routes file: the JSON document must be an object');
      for (const k of Object.keys(doc)) if (match(k)) delete doc[k];
      for (const s of services) doc[routeKey(template, s)] = routes[s];
      return JSON.stringify(doc, null, 2) + '\n';
    }
    case 'yaml': {
      const doc = existing?.trim() ? YAML.parseDocument(existing) : new YAML.Document({});
      const map = doc.contents;
      if (!YAML.isMap(map)) throw new Error('routes file: the YAML document must be a mapping');
      for (const item of [...map.items]) {
        const k = YAML.isScalar(item.key) ? String(item.key.value) : String(item.key);
        if (match(k)) map.delete(item.key);
      }
      for (const s of services) map.set(routeKey(template, s), routes[s]);
      return doc.toString();
    }
    case 'env':
      return withBlock(existing, '#', services.map((s) => `${routeKey(template, s)}=${routes[s]}`), '');
    case 'php-array':
      return withBlock(
        existing,
        '//',
        services.map((s) => `$config['${phpEscape(routeKey(template, s))}'] = '${phpEscape(routes[s] as string)}';`),
        '<?php\n',
      );
  }
}

export function parseRoutesFile(text: string, format: FileFormat, template: string): RouteTable {
  const match = keyMatcher(template);
  const routes: RouteTable = {};
  const add = (key: string, value: unknown) => {
    const service = match(key);
    if (service && typeof value === 'string') routes[service] = value;
  };
  switch (format) {
    case 'json':
    case 'yaml': {
      const doc: unknown = format === 'json' ? JSON.parse(text) : YAML.parse(text);
      if (doc && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) add(k, v);
      break;
    }
    case 'env':
      for (const line of text.split('\n')) {
        const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_-]*)=(.*)$/.exec(line);
        if (m?.[1] !== undefined) add(m[1], unquote((m[2] ?? '').trim()));
      }
      break;
    case 'php-array':
      for (const m of text.matchAll(/\$config\[\s*'((?:[^'\\]|\\.)*)'\s*\]\s*=\s*'((?:[^'\\]|\\.)*)'\s*;/g)) {
        add(phpUnescape(m[1] ?? ''), phpUnescape(m[2] ?? ''));
      }
      break;
  }
  return routes;
}

/** Replaces (or adds) the sdp block; a new file starts with `header`. */
function withBlock(existing: string | undefined, comment: string, lines: string[], header: string): string {
  const block = [`${comment} ${BEGIN}`, ...lines, `${comment} ${END}`].join('\n') + '\n';
  if (existing === undefined || existing === '') return header + block;
  const start = existing.indexOf(`${comment} ${BEGIN}`);
  const endMarker = `${comment} ${END}`;
  const end = existing.indexOf(endMarker, start);
  if (start >= 0 && end >= 0) {
    let after = end + endMarker.length;
    if (existing[after] === '\n') after++;
    return existing.slice(0, start) + block + existing.slice(after);
  }
  const closing = comment === '//' ? existing.lastIndexOf('?>') : -1;
  if (closing >= 0) return existing.slice(0, closing) + block + existing.slice(closing);
  return existing + (existing.endsWith('\n') ? '' : '\n') + block;
}

function unquote(v: string): string {
  return /^(['"]).*\1$/.test(v) ? v.slice(1, -1) : v;
}
const phpEscape = (s: string) => s.replaceAll('\\', '\\\\').replaceAll("'", "\\'");
const phpUnescape = (s: string) => s.replace(/\\(['\\])/g, '$1');
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
