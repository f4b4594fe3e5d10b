import type { Store } from '../store/store.ts';
import type { Principal } from '../domain/privileges.ts';
import type { AppKey } from '../domain/app-key.ts';
import type { UserEvent } from '../domain/event.ts';
import { authorize } from './access.ts';
import { actorName, recordAudit } from './audit-service.ts';
import type { AppKeyService } from './app-key-service.ts';
import type { UserService } from './user-service.ts';
import type { LoginGuardService } from './login-guard-service.ts';

/**
 * What a manager sees of a user's access and may undo: the login lockout, the user's application
 * keys, and the events recorded for the user. Roles as for users: viewer reads, editor changes.
 */
export class UserAccessService {
  constructor(
    private readonly store: Store,
    private readonly users: UserService,
    private readonly appKeys: AppKeyService,
    private readonly guard: LoginGuardService,
  ) {}

  /** Until when password logins of the user (by username) are refused; null when they are not. */
  async lockedUntil(p: Principal, tenantId: number, userId: number): Promise<Date | null> {
    const u = await this.users.get(p, tenantId, userId);
    if (!u.username) return null;
    const until = await this.guard.lockedUntil(tenantId, u.username);
    return until === null ? null : new Date(until);
  }

  /** Lifts a lockout and restarts the failure count; unlocking an unlocked user changes nothing. */
  async unlock(p: Principal, tenantId: number, userId: number): Promise<void> {
    authorize(p, tenantId, 'users:write');
    const u = await this.users.get(p, tenantId, userId);
    const until = u.username ? await this.guard.lockedUntil(tenantId, u.username) : null;
    if (!u.username || until === null) return;
    await this.store.transaction(async (tx) => {
      await this.guard.unlock(tenantId, u.username!, tx);
      await recordAudit(tx, {
        tenantId,
        actor: actorName(p),
        action: 'user.unlock',
        target: `user:${userId}`,
        changes: { lockedUntil: { before: new Date(until).toISOString(), after: null } },
      });
    });
  }

  async keys(p: Principal, tenantId: number, userId: number): Promise<AppKey[]> {
    await this.users.get(p, tenantId, userId);
    return this.appKeys.list(tenantId, userId);
  }

  async revokeKey(p: Principal, tenantId: number, userId: number, keyId: number): Promise<void> {
    authorize(p, tenantId, 'users:write');
    await this.users.get(p, tenantId, userId);
    await this.appKeys.revoke(p, tenantId, userId, keyId);
  }

  /** The user's events (Usermost's track), newest first, with the total. */
  async events(
    p: Principal,
    tenantId: number,
    userId: number,
    page: { limit: number; offset: number },
  ): Promise<{ items: UserEvent[]; total: number }> {
    await this.users.get(p, tenantId, userId);
    return this.store.events.listByUser(tenantId, userId, page);
  }
}
