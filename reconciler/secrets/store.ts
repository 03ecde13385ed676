// The encrypted secret store. Values are sealed with AES-256-GCM under a key derived from the
// master key; the database holds only iv, ciphertext and tag. Values leave this module only through
// `get` (server side, to build a deploy job) — never through list, digest, errors or logs.
import { and, eq } from 'drizzle-orm';
import type { SecretRef } from '../../schema/desired.ts';
import type { Store } from '../store/db.ts';
import { secrets, secretsKeyCheck } from '../store/tables/secrets.ts';
import { deriveKey, macValues, open, seal } from './crypto.ts';
import type { SecretListing } from '../../schema/api.ts';

export class SecretStoreError extends Error {
  override name = 'SecretStoreError';
}

export interface SecretName {
  environment: string;
  key: string;
}

export type { SecretListing } from '../../schema/api.ts';

export interface SecretStore {
  set(environment: string, key: string, value: string, by?: string): void;
  /** undefined when not set; throws SecretStoreError when the row does not open under this key */
  get(environment: string, key: string): string | undefined;
  delete(environment: string, key: string): boolean;
  /** Stored names, plus names `referenced` by the specs that are not set yet. Never values. */
  list(referenced?: SecretName[]): SecretListing[];
  /** HMAC of the referenced values (missing ones included as missing); '' for no refs. */
  digest(refs: SecretRef[]): string;
}

const aadOf = (environment: string, key: string): string => `${environment}\0${key}`;

/** `onChange` runs after a value is set or deleted: a changed secret is drift (spec hashes include its digest). */
export function createSecretStore(store: Store, masterKey: Buffer, onChange: () => void = () => undefined): SecretStore {
  const { db } = store;
  const encKey = deriveKey(masterKey, 'encrypt');
  const digestKey = deriveKey(masterKey, 'digest');
  checkKey(store, deriveKey(masterKey, 'check'));

  const get = (environment: string, key: string): string | undefined => {
    const row = db.select().from(secrets).where(and(eq(secrets.environment, environment), eq(secrets.key, key))).get();
    if (!row) return undefined;
    try {
      return open(encKey, row, aadOf(environment, key));
    } catch {
      throw new SecretStoreError(`secret ${environment}/${key} cannot be decrypted: wrong master key or the stored value was altered`);
    }
  };

  return {
    set(environment, key, value, by) {
      const sealed = seal(encKey, value, aadOf(environment, key));
      const row = { ...sealed, updatedAt: new Date().toISOString(), updatedBy: by ?? null };
      db.insert(secrets)
        .values({ environment, key, ...row })
        .onConflictDoUpdate({ target: [secrets.environment, secrets.key], set: row })
        .run();
      onChange();
    },
    get,
    delete(environment, key) {
      const deleted = db.delete(secrets).where(and(eq(secrets.environment, environment), eq(secrets.key, key))).run().changes > 0;
      if (deleted) onChange();
      return deleted;
    },
    list(referenced = []) {
      const rows = db
        .select({ environment: secrets.environment, key: secrets.key, updatedAt: secrets.updatedAt, updatedBy: secrets.updatedBy })
        .from(secrets)
        .all();
      const byName = new Map<string, SecretListing>();
      for (const r of rows) {
        byName.set(aadOf(r.environment, r.key), {
          environment: r.environment,
          key: r.key,
          set: true,
          updatedAt: r.updatedAt,
          ...(r.updatedBy ? { updatedBy: r.updatedBy } : {}),
          referenced: false,
        });
      }
      for (const ref of referenced) {
        const id = aadOf(ref.environment, ref.key);
        const known = byName.get(id);
        if (known) known.referenced = true;
        else byName.set(id, { environment: ref.environment, key: ref.key, set: false, referenced: true });
      }
      return [...byName.values()].sort((a, b) =>
        a.environment === b.environment ? a.key.localeCompare(b.key) : a.environment.localeCompare(b.environment),
      );
    },
    digest(refs) {
      if (refs.length === 0) return '';
      return macValues(
        digestKey,
        refs.map((r) => ({ environment: r.environment, key: r.key, value: get(r.environment, r.key) })),
      );
    },
  };
}

/** Records a MAC of the key on first use; refuses a different key afterwards. */
function checkKey(store: Store, checkKeyBytes: Buffer): void {
  const mac = macValues(checkKeyBytes, []);
  const row = store.db.select().from(secretsKeyCheck).where(eq(secretsKeyCheck.id, 1)).get();
  if (!row) {
    store.db.insert(secretsKeyCheck).values({ id: 1, checkMac: mac }).run();
    return;
  }
  if (row.checkMac !== mac) {
    throw new SecretStoreError('the master key does not match the key this store was created with (check SDP_MASTER_KEY or <data>/master.key)');
  }
}
