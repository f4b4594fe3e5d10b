import { isDomainError } from '../domain/errors.ts';
import type { Principal } from '../domain/privileges.ts';
import type { User, UserInput } from '../domain/user.ts';
import type { UserService, WriteOptions } from './user-service.ts';

/** Read-modify-write retries when another writer changed the user between the read and the write. */
const ATTEMPTS = 3;

/**
 * User writes that SCIM (and any other dialect whose PUT/PATCH is computed from the current
 * resource) needs on top of UserService: the change is computed from the user as read and written
 * pinned to that version, so a concurrent write is never silently overwritten.
 */
export class ScimUserService {
  constructor(private readonly users: UserService) {}

  async modify(p: Principal, tenantId: number, id: number, change: (current: User) => UserInput, opts: WriteOptions = {}): Promise<User> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.users.get(p, tenantId, id);
      const pinned = opts.expectedVersion ?? current.version;
      if (opts.expectedVersion !== undefined && current.version !== opts.expectedVersion) {
        // Let UserService answer the 412 (it owns that rule).
        return this.users.patch(p, tenantId, id, {}, { ...opts, expectedVersion: pinned });
      }
      const input = change(current);
      try {
        return await this.users.patch(p, tenantId, id, input, { ...opts, expectedVersion: pinned });
      } catch (e) {
        const raced = isDomainError(e) && e.kind === 'precondition_failed' && opts.expectedVersion === undefined;
        if (!raced || attempt >= ATTEMPTS) throw e;
      }
    }
  }
}
