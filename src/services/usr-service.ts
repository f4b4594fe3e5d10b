import type { Store } from '../store/store.ts';
import type { UserValues } from '../domain/user-fields.ts';
import { conflict, invalid, notFound } from '../domain/errors.ts';
import { tenantNotFound } from '../domain/tenant.ts';
import { reaches, requirePrivilege, type Principal, type Privilege } from '../domain/privileges.ts';
import { normalizeUserInput, PROFILE_FIELDS, validateUserInput, type User, type UserInput } from '../domain/user.ts';
import { diffFields, type AuditChanges } from '../domain/audit.ts';
import { authorize } from './access.ts';
import { recordAudit, actorName } from './audit-service.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { userConflict, type UserService } from './user-service.ts';

/** The writes of /usr in core terms: the profile changes, and the tenant the user should be in. */
export interface UsrWrite {
  input: UserInput;
  /** defaultAccountId: the tenant to create the user in, or to move it to. */
  tenantId?: number;
}

export interface UsrPage {
  items: User[];
  total: number;
}

const userNotFound = (id: number) => notFound('user.not_found', `user ${id} not found`);
/** Unknown and foreign tenants answer alike: the key learns nothing about tenants it cannot reach. */
const badAccount = () =>
  invalid('usr.invalid_account', 'defaultAccountId is not an account this key may write users in', 'defaultAccountId');

const MOVE_ATTEMPTS = 5;
const MOVE_AUDITED = [...PROFILE_FIELDS, 'tenantId', 'active'] as const;

/**
 * Users by bare user id across the tenants a key reaches. Ordinary writes go through
 * UserService; moving a user to another tenant is this service's own transaction.
 */
export class UsrService {
  constructor(
    private readonly store: Store,
    private readonly users: UserService,
    private readonly hasher: PasswordHasher,
  ) {}

  /** The users of one tenant, by user id. An unknown or unreachable tenant is "not found". */
  async list(p: Principal, tenantId: number, page: { limit: number; offset: number }): Promise<UsrPage> {
    authorize(p, tenantId, 'users:read');
    if (!(await this.store.tenants.byId(tenantId))) throw tenantNotFound();
    const r = await this.users.list(p, tenantId, {
      sort: [{ field: 'id', desc: false }],
      limit: page.limit,
      offset: page.offset,
      withTotal: true,
    });
    return { items: r.items, total: r.total ?? r.items.length };
  }

  /** A user of any tenant the key reaches; another tenant's user is "not found", like an absent one. */
  async get(p: Principal, id: number): Promise<User> {
    return this.locate(p, id, 'users:read');
  }

  async create(p: Principal, w: UsrWrite): Promise<User> {
    if (w.tenantId === undefined)
      throw invalid('usr.missing_fields', 'defaultAccountId is required', 'defaultAccountId');
    await this.writableTenant(p, w.tenantId);
    return this.users.create(p, w.tenantId, w.input);
  }

  /** Only what is sent changes; a different tenant moves the user there (one transaction). */
  async modify(p: Principal, id: number, w: UsrWrite): Promise<User> {
    const current = await this.locate(p, id, 'users:write');
    if (w.tenantId === undefined || w.tenantId === current.tenantId)
      return this.users.patch(p, current.tenantId, id, w.input);
    return this.move(p, current, w.tenantId, w.input);
  }

  async delete(p: Principal, id: number): Promise<void> {
    const current = await this.locate(p, id, 'users:delete');
    await this.users.delete(p, current.tenantId, id);
  }

  private async locate(p: Principal, id: number, privilege: Privilege): Promise<User> {
    const u = await this.store.users.byIdAnyTenant(id);
    if (!u || !reaches(p, u.tenantId)) throw userNotFound(id);
    requirePrivilege(p, privilege);
    return u;
  }

  /** The tenant a user may be put in: reachable, existing, and the key may write users there. */
  private async writableTenant(p: Principal, tenantId: number) {
    if (!reaches(p, tenantId)) throw badAccount();
    const t = await this.store.tenants.byId(tenantId);
    if (!t) throw badAccount();
    requirePrivilege(p, 'users:write');
    return t;
  }

  /**
   * Moves a user to another tenant with the changes sent, in one transaction: the row, the rows it
   * owns (events, app keys), its group memberships in the old tenant (groups are
   * tenant-scoped, so they are left) and an audit event in both tenants. A username or email the
   * target tenant already holds is a 409 and nothing changes.
   */
  private async move(p: Principal, current: User, toTenantId: number, sent: UserInput): Promise<User> {
    const input = normalizeUserInput(sent);
    const target = await this.writableTenant(p, toTenantId);
    // The target tenant's rules apply: the user will live there.
    validateUserInput(input, {
      passwordMinLength: input.password != null ? target.settings.passwordMinLength : undefined,
    });
    // Hashing happens before the transaction: it must stay short (SQLite has one writer).
    const changes = await this.changesOf(input);
    const from = current.tenantId;
    try {
      return await this.store.transaction(async (tx) => {
        if (!(await tx.tenants.byId(toTenantId))) throw badAccount();
        for (let attempt = 0; attempt < MOVE_ATTEMPTS; attempt++) {
          const before = await tx.users.byId(from, current.id);
          if (!before) throw userNotFound(current.id);
          const moved = await tx.users.update(from, current.id, changes, {
            expectedVersion: before.version,
            tenantIdTo: toTenantId,
          });
          if (!moved) continue; // changed meanwhile: read again
          await tx.userMoves.moveOwnedRows(current.id, from, toTenantId);
          const left = (await tx.groups.groupsOfUsers(from, [current.id])).get(current.id) ?? [];
          for (const g of left) {
            await tx.groups.removeMembers(g.id, [current.id]);
            await tx.groups.bump(from, g.id);
          }
          const audit: AuditChanges = diffFields<User>(before, moved, MOVE_AUDITED);
          if (input.password !== undefined)
            audit.password = { before: before.hasPassword ? 'set' : null, after: moved.hasPassword ? 'set' : null };
          if (left.length) audit.groups = { before: left.map((g) => g.displayName), after: [] };
          for (const tenantId of [from, toTenantId]) {
            await recordAudit(tx, {
              tenantId,
              actor: actorName(p),
              action: 'user.update',
              target: `user:${current.id}`,
              changes: audit,
            });
          }
          return moved;
        }
        throw conflict('user.write_conflict', 'the user is being changed by another request; try again');
      });
    } catch (e) {
      throw userConflict(e) ?? e;
    }
  }

  /** The stored values of the fields this dialect writes (profile strings, active, password). */
  private async changesOf(input: UserInput): Promise<Partial<UserValues>> {
    const c: Partial<UserValues> = {};
    for (const f of PROFILE_FIELDS) if (input[f] !== undefined) c[f] = input[f];
    if (input.active !== undefined) c.active = input.active ?? true;
    if (input.password !== undefined)
      c.passwordHash = input.password === null ? null : await this.hasher.hash(input.password);
    return c;
  }
}
