import type { Store } from '../store/store.ts';
import { conflict, invalid, isDomainError, notFound, unauthorized } from '../domain/errors.ts';
import { can, reaches, type Principal, type Privilege } from '../domain/privileges.ts';
import { LICENSE_CODE, type Tenant } from '../domain/tenant.ts';
import { validateAttributes, type Attributes, type User, type UserInput } from '../domain/user.ts';
import { hasUnstorableText, validateEventBatch, type EventInput, type UserEvent } from '../domain/event.ts';
import { MAX_PAGE } from '../domain/user-query.ts';
import { authorize } from './access.ts';
import { UserService } from './user-service.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { IdempotencyService, type Answer, type IdempotentRequest } from './idempotency-service.ts';

/** identify-or-update: the core fields sent, and custom attributes to merge (null removes one). */
export interface IdentifyInput {
  externalId: string;
  profile: UserInput;
  attributes: Attributes;
}

export interface Paging {
  limit: number;
  /** 1-based. */
  page: number;
}

export interface TrackedEvent {
  event: UserEvent;
  user: User;
}

function offsetOf(p: Paging): number {
  if (!Number.isInteger(p.limit) || p.limit < 1 || p.limit > MAX_PAGE)
    throw invalid('query.invalid_limit', `limit must be an integer from 1 to ${MAX_PAGE}`, 'limit');
  if (!Number.isInteger(p.page) || p.page < 1)
    throw invalid('query.invalid_page', 'page must be an integer from 1', 'page');
  return (p.page - 1) * p.limit;
}

const userNotFound = (externalId: string) => notFound('user.not_found', `user "${externalId}" not found`);

/** A userId no stored user can have (text the database cannot hold) is known absent without asking it. */
const unstorableId = (externalId: string) => hasUnstorableText(externalId);

/**
 * Races the next attempt of a write resolves: another request created the same new userId first,
 * or changed the user between our read and our write.
 */
const retryable = (e: unknown) =>
  isDomainError(e) &&
  // A concurrent create of the same userId may trip the email or username index before the userId's.
  (e.code === 'user.external_id_taken' ||
    e.code === 'user.email_taken' ||
    e.code === 'user.username_taken' ||
    e.code === 'user.write_conflict' ||
    e.kind === 'precondition_failed');
/** Merges retried within one transaction: each lost race means another writer's change landed. */
const IDENTIFY_ATTEMPTS = 100;

/** The writes of the Usermost dialect, bound to one transaction. Every user change goes through UserService. */
export class UsermostWrites {
  private readonly users: UserService;

  constructor(
    private readonly tx: Store,
    hasher: PasswordHasher,
  ) {
    this.users = new UserService(tx, hasher);
  }

  /** A new userId creates the user; a known one changes only what is sent (custom attributes merged). */
  async identify(p: Principal, tenantId: number, input: IdentifyInput): Promise<{ user: User; created: boolean }> {
    authorize(p, tenantId, 'users:write');
    for (const [field, v] of [
      ['userId', input.externalId],
      ...Object.entries(input.profile),
      ...Object.entries(input.attributes),
    ] as [string, unknown][]) {
      if (hasUnstorableText(field) || hasUnstorableText(v)) {
        throw invalid(
          'usermost.invalid_text',
          `${hasUnstorableText(field) ? 'an attribute name' : field} must not contain NUL characters or unpaired surrogates`,
          field,
        );
      }
    }
    validateAttributes(input.attributes);
    const profile = Object.fromEntries(Object.entries(input.profile).filter(([, v]) => v !== undefined)) as UserInput;
    // Without If-Match, concurrent identifies of one user must all succeed: a merge that lost a race
    // to another writer reads the user again and merges anew (each loss means another write landed).
    for (let attempt = 1; ; attempt++) {
      const existing = await this.tx.users.byExternalId(tenantId, input.externalId);
      if (!existing) {
        const attributes = Object.fromEntries(Object.entries(input.attributes).filter(([, v]) => v !== null));
        const user = await this.users.create(p, tenantId, { ...profile, externalId: input.externalId, attributes });
        return { user, created: true };
      }
      const changes: UserInput = { ...profile };
      if (Object.keys(input.attributes).length > 0) {
        const merged: Attributes = { ...existing.attributes };
        for (const [k, v] of Object.entries(input.attributes)) {
          if (v === null) delete merged[k];
          else merged[k] = v;
        }
        changes.attributes = merged;
      }
      if (Object.keys(changes).length === 0) return { user: existing, created: false };
      try {
        // Pinned to the version read: the merge must not overwrite a concurrent change.
        const user = await this.users.patch(p, tenantId, existing.id, changes, { expectedVersion: existing.version });
        return { user, created: false };
      } catch (e) {
        if (!(isDomainError(e) && e.kind === 'precondition_failed')) throw e;
        if (attempt >= IDENTIFY_ATTEMPTS)
          throw conflict('user.write_conflict', 'the user is being changed by other requests; try again');
      }
    }
  }

  /** Deletes a user; their events go with them (ON DELETE CASCADE). */
  async deleteUser(p: Principal, tenantId: number, externalId: string): Promise<User> {
    authorize(p, tenantId, 'users:delete');
    const u = unstorableId(externalId) ? null : await this.tx.users.byExternalId(tenantId, externalId);
    if (!u) throw userNotFound(externalId);
    await this.users.delete(p, tenantId, u.id);
    return u;
  }

  /** Records events (all or none); users not known yet are created with just their userId. */
  async track(p: Principal, tenantId: number, events: EventInput[]): Promise<TrackedEvent[]> {
    authorize(p, tenantId, 'users:write');
    validateEventBatch(events);
    const byExternalId = new Map<string, User>();
    for (const e of events) {
      if (byExternalId.has(e.externalId)) continue;
      const u =
        (await this.tx.users.byExternalId(tenantId, e.externalId)) ??
        (await this.users.create(p, tenantId, { externalId: e.externalId }));
      byExternalId.set(e.externalId, u);
    }
    const now = Date.now();
    const stored = await this.tx.events.insertMany(
      tenantId,
      events.map((e) => ({
        userId: byExternalId.get(e.externalId)!.id,
        eventName: e.eventName,
        eventTime: (e.eventTime ?? new Date(now)).getTime(),
        params: e.params ?? {},
      })),
      now,
    );
    return stored.map((event, i) => ({ event, user: byExternalId.get(events[i].externalId)! }));
  }
}

/** Seed 000 (Usermost): users identified by their userId (the core externalId), and their events. */
export class UsermostService {
  private readonly users: UserService;
  private readonly idempotency: IdempotencyService;

  constructor(
    private readonly store: Store,
    private readonly hasher: PasswordHasher,
  ) {
    this.users = new UserService(store, hasher);
    this.idempotency = new IdempotencyService(store);
  }

  /**
   * The gate of every route: the tenant named by the license code, when this key may act on it
   * with this privilege. Any failure is the API's one "invalid auth / access" (401); an unknown
   * license code and another tenant's code answer alike, so codes cannot be probed.
   */
  async tenantFor(p: Principal, licenseCode: string, privilege: Privilege): Promise<Tenant> {
    const t = LICENSE_CODE.test(licenseCode) ? await this.store.tenants.byLicenseCode(licenseCode) : null;
    if (!t || !reaches(p, t.id))
      throw unauthorized('invalid auth / access: this key has no access to this license code');
    if (!can(p, privilege))
      throw unauthorized(`invalid auth / access: this key's role lacks the ${privilege} privilege`);
    return t;
  }

  async getUser(p: Principal, tenantId: number, externalId: string): Promise<User> {
    authorize(p, tenantId, 'users:read');
    const u = unstorableId(externalId) ? null : await this.users.find(tenantId, { externalId });
    if (!u) throw userNotFound(externalId);
    return u;
  }

  /** The tenant's users that have a userId, oldest first. */
  async listUsers(p: Principal, tenantId: number, paging: Paging): Promise<{ items: User[]; total: number }> {
    const offset = offsetOf(paging);
    const page = await this.users.list(p, tenantId, {
      where: { op: 'pr', field: 'externalId' },
      sort: [],
      limit: paging.limit,
      offset,
      withTotal: true,
    });
    return { items: page.items, total: page.total ?? 0 };
  }

  /** A user's events, newest first. */
  async listEvents(
    p: Principal,
    tenantId: number,
    externalId: string,
    paging: Paging,
  ): Promise<{ user: User; items: UserEvent[]; total: number }> {
    const offset = offsetOf(paging);
    const user = await this.getUser(p, tenantId, externalId);
    const { items, total } = await this.store.events.listByUser(tenantId, user.id, { limit: paging.limit, offset });
    return { user, items, total };
  }

  /**
   * Runs a write in one transaction (idempotent when the request carries an id) and answers what
   * `render` makes of its result; a retry of a request id gets the first answer back verbatim.
   */
  async write<R>(
    tenantId: number,
    request: IdempotentRequest | undefined,
    fn: (ops: UsermostWrites) => Promise<R>,
    render: (result: R) => Answer,
  ): Promise<Answer & { replayed: boolean }> {
    return this.idempotency.run(
      tenantId,
      request,
      async (tx) => render(await fn(new UsermostWrites(tx, this.hasher))),
      { retryable },
    );
  }
}
