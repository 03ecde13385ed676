// kind: Platform — the nodes, host port ranges, the service catalog and the gateway. Exactly one.
import { Type as T, type Static } from '@sinclair/typebox';
import { NOTIFICATION_EVENTS, NOTIFICATION_FORMATS } from '../notifications.ts';
import { Address, Build, Duration, Image, KeyedMap, Name, OneOf, Port, PortRange, Repo, Routes, Url, document, metadata } from './common.ts';

export const Node = T.Object(
  { name: Name, roles: T.Array(Name, { minItems: 1 }), address: Address },
  { additionalProperties: false, description: 'an agent that may connect; containers are placed by role' },
);

export const Health = T.Object(
  {
    path: T.String({ pattern: '^/', description: "an HTTP path starting with '/'" }),
    timeout: T.Optional(Duration),
    retries: T.Optional(T.Integer({ minimum: 0 })),
    interval: T.Optional(Duration),
  },
  { additionalProperties: false, description: 'HTTP health check; defaults timeout 10s, retries 3, interval 5s' },
);

export const CatalogService = T.Object(
  {
    repo: Repo,
    role: Name,
    build: Build,
    port: Port,
    health: T.Optional(Health),
    baseline: T.Optional(Url),
  },
  { additionalProperties: false },
);
export type CatalogService = Static<typeof CatalogService>;

/** Either the built-in proxy (`proxy`) or the team's own gateway app (`repo`, `build`, `port`, `routes`). */
export const Gateway = T.Object(
  {
    role: Name,
    proxy: T.Optional(T.Object({ image: Image }, { additionalProperties: false })),
    repo: T.Optional(Repo),
    build: T.Optional(Build),
    port: T.Optional(Port),
    routes: T.Optional(Routes),
    health: T.Optional(Health),
  },
  { additionalProperties: false, description: 'proxy: { image } for the built-in Caddy, or repo + build + port + routes' },
);
export type GatewayInput = Static<typeof Gateway>;

export const WebhookTarget = T.Object(
  {
    name: Name,
    url: Url,
    format: T.Optional(OneOf(NOTIFICATION_FORMATS, 'json (the default: sdp\'s own body) or slack (a Slack-compatible { text })')),
    secret: T.Optional(
      T.String({ pattern: Name.pattern, description: 'a secret name: the HMAC key is the secret NAME/hmac (sdp secret set NAME hmac)' }),
    ),
    events: T.Optional(
      T.Array(OneOf(NOTIFICATION_EVENTS, 'an event name'), { minItems: 1, uniqueItems: true, description: `only these events (default: all of ${NOTIFICATION_EVENTS.join(', ')})` }),
    ),
  },
  { additionalProperties: false, description: 'a webhook that gets sdp\'s events: { name, url, format?, secret?, events? }' },
);
export type WebhookTargetInput = Static<typeof WebhookTarget>;

export const PlatformSpec = T.Object(
  {
    nodes: T.Array(Node, { minItems: 1 }),
    ports: T.Object({ gateway: PortRange, services: PortRange }, { additionalProperties: false }),
    git: T.Optional(T.Object({ credentials: T.Optional(Name) }, { additionalProperties: false })),
    services: KeyedMap(Name, CatalogService, 'the service catalog: name -> service'),
    gateway: Gateway,
    notifications: T.Optional(T.Array(WebhookTarget, { description: 'webhook targets sdp posts sync, health, expiry and drift events to' })),
  },
  { additionalProperties: false },
);

export const Platform = document('Platform', metadata(), PlatformSpec, 'sdp platform: nodes, port ranges, service catalog, gateway');
export type Platform = Static<typeof Platform>;
