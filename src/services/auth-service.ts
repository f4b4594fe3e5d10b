import type { Store } from '../store/store.ts';
import type { Principal } from '../domain/privileges.ts';
import { unauthorized } from '../domain/errors.ts';
import { digestsEqual, keyDigest, newApiKey } from './api-keys.ts';

const ROOT_DIGEST = 'root_key_digest';

/** Turns an API key into a Principal. Only digests are compared or stored. */
export class AuthService {
  private rootDigest: string | null = null;

  constructor(
    private readonly store: Store,
    private readonly configuredRootKey: string | null,
  ) {}

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

  /** The root key's digest (what a root console session is checked against). */
  rootKeyDigest(): string | null {
    return this.rootDigest;
  }

  async authenticate(key: string | undefined): Promise<Principal> {
    if (!key) throw unauthorized('an API key is required (Authorization: Bearer <key> or admin_api_key: <key>)');
    const digest = keyDigest(key);
    if (this.rootDigest && digestsEqual(digest, this.rootDigest)) return { kind: 'root' };
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
