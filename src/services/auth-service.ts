import type { Store } from '../store/store.ts';
import type { Principal } from '../domain/privileges.ts';
import { conflict, unauthorized } from '../domain/errors.ts';
import { digestsEqual, keyDigest, newApiKey } from './api-keys.ts';

const ROOT_DIGEST = 'root_key_digest';

/** Turns an API key into a Principal. Only digests are compared or stored. */
export class AuthService {
  /** ROSTER_ROOT_KEY's digest; without it the database's (cached while unchanged, so a rotation is heard). */
  private readonly configuredDigest: string | null;

  constructor(
    private readonly store: Store,
    configuredRootKey: string | null,
  ) {
    this.configuredDigest = configuredRootKey ? keyDigest(configuredRootKey) : null;
  }

  private rootDigest(): string | null | Promise<string | null> {
    return this.configuredDigest ?? this.store.meta.cached(ROOT_DIGEST);
  }

  /**
   * Settles the root key at start-up. With ROSTER_ROOT_KEY set, that key is root. Otherwise the
   * database's generated one is; on a new database one is generated and returned (to print once).
   */
  async init(): Promise<{ generatedRootKey: string | null }> {
    if (this.configuredDigest || (await this.store.meta.get(ROOT_DIGEST))) return { generatedRootKey: null };
    const key = newApiKey('rk_root');
    // Several processes may start on one new database: the first insert wins, the others read it.
    const won = await this.store.meta.setIfAbsent(ROOT_DIGEST, keyDigest(key));
    return { generatedRootKey: won ? key : null };
  }

  /** The root key's digest (what a root console session is checked against); a rotation is heard. */
  async rootKeyDigest(): Promise<string | null> {
    return this.rootDigest();
  }

  /**
   * A new root key for the database, answered once; the old one stops working in every process. With
   * ROSTER_ROOT_KEY set the root key is that setting's, so there is nothing here to rotate.
   */
  async rotateRoot(): Promise<string> {
    if (this.configuredDigest)
      throw conflict('root_key_configured', 'ROSTER_ROOT_KEY is set: the root key is that setting; change it instead');
    const key = newApiKey('rk_root');
    await this.store.transactionChangingAccess((tx) => tx.meta.set(ROOT_DIGEST, keyDigest(key)));
    return key;
  }

  async authenticate(key: string | undefined): Promise<Principal> {
    if (!key) throw unauthorized('an API key is required (Authorization: Bearer <key> or admin_api_key: <key>)');
    const digest = keyDigest(key);
    const root = await this.rootDigest();
    if (root && digestsEqual(digest, root)) return { kind: 'root' };
    // Cached by the store (AccessCache): on PostgreSQL this saves a round trip per request, and a
    // revoked key stops working at once.
    const m = await this.store.managers.byKeyDigest(digest);
    if (!m) throw unauthorized('the API key is not valid');
    return { kind: 'manager', managerId: m.id, tenantId: m.tenantId, role: m.role };
  }

  /** Like authenticate, but an absent key is "no principal" rather than an error. */
  async optional(key: string | undefined): Promise<Principal | null> {
    return key ? this.authenticate(key) : null;
  }
}
