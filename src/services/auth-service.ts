import type { Store } from '../store/store.ts';
import type { Principal } from '../domain/privileges.ts';
import { unauthorized } from '../domain/errors.ts';
import { digestsEqual, keyDigest, newApiKey } from './api-keys.ts';
import { AccessCache } from './access-cache.ts';

const ROOT_DIGEST = 'root_key_digest';

/** Turns an API key into a Principal. Only digests are compared or stored. */
export class AuthService {
  private rootDigest: string | null = null;
  private readonly managers: AccessCache<Principal>;

  constructor(
    private readonly store: Store,
    private readonly configuredRootKey: string | null,
  ) {
    this.managers = new AccessCache(store.accessChanges);
  }

  /**
   * Settles the root key at start-up. With ROSTER_ROOT_KEY set, that key is root. Otherwise the
   * database's generated one is; on a new database one is generated and returned (to print once).
   */
  async init(): Promise<{ generatedRootKey: string | null }> {
    if (this.configuredRootKey) {
      this.rootDigest = keyDigest(this.configuredRootKey);
      return { generatedRootKey: null };
    }
    const stored = await this.store.meta.get(ROOT_DIGEST);
    if (stored) {
      this.rootDigest = stored;
      return { generatedRootKey: null };
    }
    const key = newApiKey('rk_root');
    // Several processes may start on one new database: the first insert wins, the others read it.
    const won = await this.store.meta.setIfAbsent(ROOT_DIGEST, keyDigest(key));
    this.rootDigest = won ? keyDigest(key) : await this.store.meta.get(ROOT_DIGEST);
    return { generatedRootKey: won ? key : null };
  }

  async authenticate(key: string | undefined): Promise<Principal> {
    if (!key) throw unauthorized('an API key is required (Authorization: Bearer <key> or admin_api_key: <key>)');
    const digest = keyDigest(key);
    if (this.rootDigest && digestsEqual(digest, this.rootDigest)) return { kind: 'root' };
    // Cached: on PostgreSQL this saves a round trip per request; revocation stays immediate (AccessCache).
    const p = await this.managers.get(digest, () => this.managerOf(digest));
    if (!p) throw unauthorized('the API key is not valid');
    return p;
  }

  private async managerOf(digest: string): Promise<Principal | null> {
    const m = await this.store.managers.byKeyDigest(digest);
    // Frozen: one object answers every request made with this key while it is cached.
    return m && Object.freeze({ kind: 'manager', managerId: m.id, tenantId: m.tenantId, role: m.role });
  }

  /** Like authenticate, but an absent key is "no principal" rather than an error. */
  async optional(key: string | undefined): Promise<Principal | null> {
    return key ? this.authenticate(key) : null;
  }
}
