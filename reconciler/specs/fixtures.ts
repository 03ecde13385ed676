// A small, valid spec set for the compiler's tests: two nodes (the gateway role only on n1), three
// catalog services (one without a baseline), a template, two environments and two sandboxes, one of
// which the placement hash puts on the other node. Tests change one piece and look at the result.
import type { SpecFile } from './compile.ts';

export const PLATFORM = `apiVersion: sdp/v1
kind: Platform
metadata: { name: default }
spec:
  nodes:
    - { name: n1, roles: [micro, gateway], address: 10.0.0.1 }
    - { name: n2, roles: [micro], address: 10.0.0.2 }
  ports: { gateway: 8080-8084, services: 9001-9010 }
  services:
    account:
      repo: ./repos/account.git
      role: micro
      build: { type: image, image: "acct:1" }
      port: 8080
      health: { path: /health, interval: 2s }
      baseline: http://account.base
    payment:
      repo: https://git.example.com/payment.git
      role: micro
      build: { type: host, command: make, image: "alpine:3", run: [/src/app] }
      port: 9000
      baseline: http://payment.base
    audit:
      repo: https://git.example.com/audit.git
      role: micro
      build: { type: dockerfile, dockerfile: Dockerfile, context: . }
      port: 7000
  gateway:
    role: gateway
    proxy: { image: "caddy:2" }
`;

export const TEMPLATES = `apiVersion: sdp/v1
kind: SandboxTemplate
metadata: { name: qa }
spec:
  gateway: { branch: develop }
  services:
    account: { branch: develop }
  env: [common]
  resources: { cpu: 0.5, memory: 256Mi }
  ttl: 14d
`;

export const ENVIRONMENTS = `apiVersion: sdp/v1
kind: Environment
metadata: { name: common }
spec:
  variables: { LOG_LEVEL: debug, PAYMENT_URL: "\${services.payment.url}" }
---
apiVersion: sdp/v1
kind: Environment
metadata: { name: account-dev }
spec:
  variables: { DB_PORT: 5432, AUDIT: "\${services.audit.url}/v1" }
  secrets: [DB_PASSWORD]
  files: [ { path: /etc/app.conf, content: "a=1" } ]
`;

/** On n1 with the gateway (the placement hash of "qa-two" picks n1). */
export const QA_TWO = `apiVersion: sdp/v1
kind: Sandbox
metadata: { name: qa-two, owner: ana, labels: { team: qa } }
spec:
  template: qa
  gateway: { port: 8081 }
  services:
    account: { branch: feature/login, env: [account-dev], resources: { memory: 1Gi } }
    audit: { branch: main }
    payment: { baseline: true }
`;

/** On n2 (the placement hash of "alpha" picks n2), the gateway on n1. */
export const ALPHA = `apiVersion: sdp/v1
kind: Sandbox
metadata: { name: alpha }
spec:
  services:
    payment: { commit: 0123abcd }
  syncPolicy: { automated: true }
`;

export function baseFiles(): SpecFile[] {
  return [
    { path: 'platform.yaml', text: PLATFORM },
    { path: 'templates.yaml', text: TEMPLATES },
    { path: 'environments.yaml', text: ENVIRONMENTS },
    { path: 'sandboxes/qa-two.yaml', text: QA_TWO },
    { path: 'sandboxes/alpha.yaml', text: ALPHA },
  ];
}

/** 1-based line and column where `needle` first occurs in `text` (the nth occurrence with `nth`). */
export function pos(text: string, needle: string, nth = 1): { line: number; col: number } {
  let index = -1;
  for (let i = 0; i < nth; i++) {
    index = text.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`fixture: ${JSON.stringify(needle)} not found`);
  }
  const before = text.slice(0, index).split('\n');
  return { line: before.length, col: (before.at(-1)?.length ?? 0) + 1 };
}
