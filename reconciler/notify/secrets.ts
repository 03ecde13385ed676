// The secrets notifications use: a webhook target's `secret: NAME` is the HMAC key stored as
// NAME/hmac (as `git.credentials: NAME` is NAME/password), and every secret value in use is what a
// notification body is redacted of.
import type { DesiredState } from '../../schema/desired.ts';
import type { SecretName } from '../secrets/store.ts';

export const HMAC_KEY = 'hmac';

/** The HMAC secrets the Platform's webhook targets name (for `sdp secret list`: set or not). */
export function hmacSecrets(desired: DesiredState | undefined): SecretName[] {
  const names = new Set((desired?.platform.notifications ?? []).flatMap((t) => (t.secret ? [t.secret] : [])));
  return [...names].map((environment) => ({ environment, key: HMAC_KEY }));
}

/** Every secret value the specs in force use: environments' secrets, the git password, HMAC keys. */
export function secretValuesInUse(desired: DesiredState | undefined, get: (environment: string, key: string) => string | undefined): string[] {
  if (!desired) return [];
  const names: SecretName[] = [
    ...desired.environments.flatMap((e) => e.secrets.map((key) => ({ environment: e.name, key }))),
    ...(desired.platform.gitCredentials ? [{ environment: desired.platform.gitCredentials, key: 'password' }] : []),
    ...hmacSecrets(desired),
  ];
  return names.flatMap((n) => {
    const v = get(n.environment, n.key);
    return v === undefined ? [] : [v];
  });
}
