import { describe, expect, it } from 'vitest';
import { caddyConfig, canonicalTarget, routesFromCaddyConfig } from './caddy.ts';
import { keyMatcher, parseRoutesFile, renderRoutesFile, routeKey } from './file-format.ts';

describe('caddy config', () => {
  const routes = {
    account: 'http://account:8080',
    payment: 'https://payment-dev.example.com',
    legacy: 'http://host.docker.internal:9181/api/v2',
  };

  it('has one route per service with a recognisable id, a listener on the port, a 404 catch-all and the admin API kept on the control socket', () => {
    const cfg = caddyConfig(routes, 80) as { admin: { listen: string }; apps: { http: { servers: { sdp: { listen: string[]; routes: Array<Record<string, unknown>> } } } } };
    expect(cfg.admin.listen).toBe('unix//run/sdp-gateway/admin.sock');
    const server = cfg.apps.http.servers.sdp;
    expect(server.listen).toEqual([':80']);
    expect(server.routes.map((r) => r['@id'])).toEqual(['sdp-route-account', 'sdp-route-legacy', 'sdp-route-payment', undefined]);
    expect(JSON.stringify(server.routes.at(-1))).toContain('"status_code":404');
    expect(JSON.stringify(server.routes[0])).toContain('"strip_path_prefix":"/account"');
  });

  it('reads back exactly the table it wrote', () => {
    expect(routesFromCaddyConfig(JSON.parse(JSON.stringify(caddyConfig(routes, 80))))).toEqual(routes);
    expect(routesFromCaddyConfig({})).toEqual({});
    expect(routesFromCaddyConfig(null)).toEqual({});
  });

  it('canonicalises targets as they read back', () => {
    expect(canonicalTarget('https://x.example.com/')).toBe('https://x.example.com');
    expect(canonicalTarget('http://x:80/a/')).toBe('http://x/a');
    expect(() => canonicalTarget('ftp://x')).toThrow(/http/);
    expect(() => canonicalTarget('not a url')).toThrow(/not a URL/);
  });
});

describe('routes file formats', () => {
  const routes = { account: 'http://account:8080', 'user-profile': "https://u.example.com/it's" };

  it('builds and matches keys from a template', () => {
    expect(routeKey('{service}_url', 'user-profile')).toBe('user-profile_url');
    expect(routeKey('{SERVICE}_URL', 'user-profile')).toBe('USER_PROFILE_URL');
    expect(keyMatcher('{SERVICE}_URL')('USER_PROFILE_URL')).toBe('user-profile');
    expect(keyMatcher('{service}_url')('base_path')).toBeUndefined();
  });

  for (const format of ['json', 'yaml', 'env', 'php-array'] as const) {
    it(`${format}: round-trips and replaces the previous routes`, () => {
      const key = format === 'env' ? '{SERVICE}_URL' : '{service}_url';
      const first = renderRoutesFile(undefined, format, key, { old: 'http://old:1', ...routes });
      const second = renderRoutesFile(first, format, key, routes);
      expect(parseRoutesFile(second, format, key)).toEqual(routes);
      expect(renderRoutesFile(second, format, key, routes)).toBe(second);
    });
  }

  it('keeps the rest of an existing file', () => {
    const php = "<?php\n$config['base_url'] = 'https://app';\n?>\n";
    const out = renderRoutesFile(php, 'php-array', '{service}_url', { account: 'http://a:1' });
    expect(out).toContain("$config['base_url'] = 'https://app';");
    expect(out).toContain("$config['account_url'] = 'http://a:1';");
    expect(out.indexOf('account_url')).toBeLessThan(out.indexOf('?>'));
    const json = renderRoutesFile('{"title":"x","account_url":"old"}', 'json', '{service}_url', { account: 'http://a:1' });
    expect(JSON.parse(json)).toEqual({ title: 'x', account_url: 'http://a:1' });
    const yaml = renderRoutesFile('# app config\ntitle: x\n', 'yaml', '{service}_url', { account: 'http://a:1' });
    expect(yaml).toContain('# app config');
    expect(yaml).toContain('title: x');
    const env = renderRoutesFile('A=1\n', 'env', '{SERVICE}_URL', { account: 'http://a:1' });
    expect(env.startsWith('A=1\n')).toBe(true);
  });

  it('php-array writes CodeIgniter-style lines with escaped quotes', () => {
    const out = renderRoutesFile(undefined, 'php-array', '{service}_url', routes);
    expect(out).toMatch(/^<\?php\n/);
    expect(out).toContain(`$config['user-profile_url'] = 'https://u.example.com/it\\'s';`);
  });
});
