import { isDomainError, preconditionFailed } from '../domain/errors.ts';
import type { Principal } from '../domain/privileges.ts';
import type { User, UserInput } from '../domain/user.ts';
import { compactDirectory, type Directory } from '../domain/user-directory.ts';
import type { UserService, WriteOptions } from './user-service.ts';
import { authorize } from './access.ts';

/** Read-modify-write retries when another writer changed the user between the read and the write. */
const ATTEMPTS = 5;

const stable = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as object).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  );

/** Whether writing `input` would change anything (a password sent always does). */
export function changesUser(current: User, input: UserInput): boolean {
  if (input.password !== undefined) return true;
  const cur = current as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined) continue;
    if (k === 'attributes') {
      if (stable(cur.attributes ?? {}) !== stable(v ?? {})) return true;
    } else if (k === 'directory') {
      if (stable(current.directory) !== stable(compactDirectory((v ?? {}) as Directory))) return true;
    } else if ((cur[k] ?? null) !== (v ?? null)) return true;
  }
  return false;
}

/**
 * User writes that SCIM (and any other dialect whose PUT/PATCH is computed from the current
 * resource) needs on top of UserService: the change is computed from the user as read and written
 * pinned to that version, so a concurrent write is never silently overwritten. A change that
 * changes nothing is not written (IdPs resend unchanged values; the version and audit stay quiet).
 */
export class ScimUserService {
  constructor(private readonly users: UserService) {}

  async modify(
    p: Principal,
    tenantId: number,
    id: number,
    change: (current: User) => UserInput,
    opts: WriteOptions = {},
  ): Promise<User> {
    // A write request, whatever it turns out to change: the privilege comes first (403 before any 400).
    authorize(p, tenantId, 'users:write');
    for (let attempt = 1; ; attempt++) {
      const current = await this.users.get(p, tenantId, id);
      if (opts.expectedVersion !== undefined && current.version !== opts.expectedVersion) throw preconditionFailed();
      const input = change(current);
      if (!changesUser(current, input)) {
        return current;
      }
      try {
        return await this.users.patch(p, tenantId, id, input, { ...opts, expectedVersion: current.version });
      } catch (e) {
        const raced = isDomainError(e) && e.kind === 'precondition_failed' && opts.expectedVersion === undefined;
        if (!raced || attempt >= ATTEMPTS) throw e;
      }
    }
  }
}
