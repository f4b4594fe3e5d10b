import type { Store } from '../store/store.ts';
import { conflict, notFound, unauthorized } from '../domain/errors.ts';
import {
  APP_KEYS_PER_USER_MAX,
  validateAppKeyName,
  validateCost,
  type AppKey,
  type AppKeyUse,
} from '../domain/app-key.ts';
import { keyDigest, newApiKey } from './api-keys.ts';
import { actorName, recordAudit, type Actor } from './audit-service.ts';

/**
 * Application keys of users: issued once, stored as a digest, counted on every use.
 * Callers (PortalAccountService) have already decided who may act on which user.
 */
export class AppKeyService {
  constructor(private readonly store: Store) {}

  /** Issues a key; the secret is in the answer and nowhere else, ever. */
  async create(actor: Actor, tenantId: number, userId: number, name: string): Promise<{ key: AppKey; secret: string }> {
    validateAppKeyName(name);
    const secret = newApiKey('rak');
    const key = await this.store.transaction(async (tx) => {
      // Best effort under races (two parallel creates may both pass): the cap only bounds growth.
      if ((await tx.appKeys.countActive(tenantId, userId)) >= APP_KEYS_PER_USER_MAX) {
        throw conflict(
          'app_key.limit_reached',
          `an account may hold at most ${APP_KEYS_PER_USER_MAX} application keys; revoke one first`,
        );
      }
      const k = await tx.appKeys.insert({ tenantId, userId, name, keyDigest: keyDigest(secret) });
      await recordAudit(tx, {
        tenantId,
        actor: actorName(actor),
        action: 'app_key.create',
        target: `user:${userId}`,
        changes: { appKey: { before: null, after: 'issued' }, name: { before: null, after: name } },
      });
      return k;
    });
    return { key, secret };
  }

  list(tenantId: number, userId: number): Promise<AppKey[]> {
    return this.store.appKeys.listActive(tenantId, userId);
  }

  async revoke(actor: Actor, tenantId: number, userId: number, id: number): Promise<void> {
    await this.store.transaction(async (tx) => {
      if (!(await tx.appKeys.revoke(tenantId, userId, id)))
        throw notFound('app_key.not_found', `application key ${id} not found`);
      await recordAudit(tx, {
        tenantId,
        actor: actorName(actor),
        action: 'app_key.revoke',
        target: `user:${userId}`,
        changes: { appKey: { before: 'issued', after: null }, keyId: { before: id, after: null } },
      });
    });
  }

  /**
   * Checks a key and counts `cost` against it in one atomic update. Unknown or revoked → 401, and
   * so is any key presented to a tenant that does not exist (null): license codes cannot be probed.
   */
  async use(tenantId: number | null, secret: string, cost = 1): Promise<AppKeyUse> {
    validateCost(cost);
    const digest = keyDigest(secret);
    // On SQLite, verifies arriving together share one commit.
    const hit = tenantId === null ? null : await this.store.writeOne((s) => s.appKeys.consume(tenantId, digest, cost));
    if (!hit) throw unauthorized('the application key is not valid');
    return hit;
  }

  usageOf(tenantId: number, userId: number): Promise<number> {
    return this.store.appKeys.usageOf(tenantId, userId);
  }
}
