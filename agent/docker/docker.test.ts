import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import type { ContainerSpec } from '../../schema/container.ts';
import { liveContainer } from './live.ts';
import { demuxLogs } from './logs.ts';
import { containerEnv, createOptions } from './spec.ts';
import { tarFiles } from './tar.ts';

const spec: ContainerSpec = {
  name: 'sandbox-s1-account',
  sandbox: 's1',
  service: 'account',
  kind: 'service',
  network: 'sandbox-s1',
  alias: 'account',
  source: { repo: 'https://git/a.git', commit: 'abcdef1234567', branch: 'feature/x' },
  build: { type: 'image', image: 'img:1' },
  port: 8080,
  hostPort: 9001,
  env: { A: '1' },
  secretEnv: ['DB_PASSWORD'],
  files: [],
  resources: { cpu: 0.5, memoryBytes: 512 * 1024 * 1024 },
  specHash: 'h1',
};

describe('create options', () => {
  it('carries labels, env, port, limits, restart policy, host alias and network alias', () => {
    const opts = createOptions(spec, { image: 'img:1', binds: ['/w:/src'], cmd: ['run'] }, containerEnv(spec, { DB_PASSWORD: 'pw' }), 'tmp-name');
    expect(opts).toMatchObject({
      name: 'tmp-name',
      Image: 'img:1',
      Cmd: ['run'],
      Env: ['A=1', 'DB_PASSWORD=pw'],
      Labels: {
        'sdp.managed': 'true',
        'sdp.sandbox': 's1',
        'sdp.service': 'account',
        'sdp.kind': 'service',
        'sdp.commit': 'abcdef1234567',
        'sdp.branch': 'feature/x',
        'sdp.spec-hash': 'h1',
        'sdp.secret-keys': 'DB_PASSWORD',
      },
      HostConfig: {
        PortBindings: { '8080/tcp': [{ HostIp: '0.0.0.0', HostPort: '9001' }] },
        RestartPolicy: { Name: 'unless-stopped' },
        ExtraHosts: ['host.docker.internal:host-gateway'],
        NanoCpus: 500_000_000,
        Memory: 512 * 1024 * 1024,
        Binds: ['/w:/src'],
        NetworkMode: 'sandbox-s1',
      },
      NetworkingConfig: { EndpointsConfig: { 'sandbox-s1': { Aliases: ['account'] } } },
    });
  });

  it('refuses a deploy without a value for a secret key', () => {
    expect(() => containerEnv(spec, {})).toThrow(/no value for secret env DB_PASSWORD/);
  });
});

describe('live container', () => {
  it('reads labels, env (secret redacted, image env left out), ports, limits and network attachments', () => {
    const info = {
      Id: 'id1',
      Name: '/sandbox-s1-account',
      Image: 'sha256:x',
      Config: {
        Image: 'img:1',
        Labels: { 'sdp.sandbox': 's1', 'sdp.service': 'account', 'sdp.kind': 'service', 'sdp.commit': 'c1', 'sdp.spec-hash': 'h1', 'sdp.secret-keys': 'DB_PASSWORD' },
        Env: ['PATH=/bin', 'A=1', 'DB_PASSWORD=pw'],
      },
      State: { Status: 'running', Running: true, StartedAt: '2026-01-01T00:00:00Z' },
      HostConfig: { NanoCpus: 500_000_000, Memory: 1024, PortBindings: { '8080/tcp': [{ HostIp: '0.0.0.0', HostPort: '9001' }, { HostIp: '::', HostPort: '9001' }] } },
      NetworkSettings: { Networks: { 'sandbox-s1': { Aliases: ['id1', 'account'] }, bridge: { Aliases: null } } },
    } as unknown as Docker.ContainerInspectInfo;
    expect(liveContainer(info, ['PATH=/bin'])).toEqual({
      id: 'id1',
      name: 'sandbox-s1-account',
      sandbox: 's1',
      service: 'account',
      kind: 'service',
      image: 'img:1',
      commit: 'c1',
      specHash: 'h1',
      state: 'running',
      health: 'none',
      env: { A: '1', DB_PASSWORD: '(redacted)' },
      ports: [{ container: 8080, host: 9001 }],
      resources: { cpu: 0.5, memoryBytes: 1024 },
      startedAt: '2026-01-01T00:00:00Z',
      networks: { 'sandbox-s1': ['account'], bridge: [] },
    });
  });
});

describe('tar writer', () => {
  it('writes files with their parent directories, readable by tar', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdp-tar-'));
    try {
      const long = `/etc/${'d'.repeat(90)}/${'f'.repeat(60)}.conf`;
      writeFileSync(join(dir, 'a.tar'), await tarFiles([{ path: '/etc/app/config.yaml', content: 'x: 1\n' }, { path: long, content: 'long\n' }]));
      execFileSync('tar', ['-xf', join(dir, 'a.tar'), '-C', dir]);
      expect(readFileSync(join(dir, 'etc/app/config.yaml'), 'utf8')).toBe('x: 1\n');
      expect(readFileSync(join(dir, long), 'utf8')).toBe('long\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('log demux', () => {
  it('splits docker frames into lines', () => {
    const frame = (stream: number, s: string) => {
      const body = Buffer.from(s);
      const h = Buffer.alloc(8);
      h[0] = stream;
      h.writeUInt32BE(body.length, 4);
      return Buffer.concat([h, body]);
    };
    expect(demuxLogs(Buffer.concat([frame(1, 'one\ntw'), frame(2, 'o\nthree\n')]))).toEqual(['one', 'two', 'three']);
    expect(demuxLogs(Buffer.from('plain\ntext\n'))).toEqual(['plain', 'text']);
  });
});
