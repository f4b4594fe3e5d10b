import { forbidden, notFound, unauthorized } from '../domain/errors.ts';
import { actorOf, type Principal } from '../domain/privileges.ts';
import type { Privilege } from '../domain/privileges.ts';
import { LICENSE_CODE, type Tenant, tenantNotFound } from '../domain/tenant.ts';
import { normalizeUserInput, type User, type UserInput } from '../domain/user.ts';
import type { AppKey } from '../domain/app-key.ts';
import { authorize } from './access.ts';
import type { AppKeyService } from './app-key-service.ts';
import type { TenantService } from './tenant-service.ts';
import type { UserService } from './user-service.ts';

/**
 * Who calls the developer-portal API: a user signed in with their own password, or a
 * manager (or root) with an API key.
 */
export type PortalActor = { kind: 'user'; user: User } | { kind: 'manager'; principal: Principal };

/** An account as the portal shows it: the user and the usage summed over their application keys. */
/** The tenant a request names (X-Roster-Tenant, else `default`), and the tenant, when one has that code. */
export interface PortalTenant {
  licenseCode: string;
  tenant: Tenant | null;
}

export interface PortalAccount {
  user: User;
  usage: number;
}

const lower = (s: string | null | undefined) => (s ?? '').toLowerCase();
const auditActor = (a: PortalActor) => (a.kind === 'user' ? `user:${a.user.id}` : actorOf(a.principal));

/**
 * Self-service accounts: sign-up behind the tenant's publicSignup gate, "self or a
 * manager with the privilege" access, the email-change rule, verification, application keys.
 * Every write to a user goes through UserService.
 */
export class PortalAccountService {
  constructor(
    private readonly users: UserService,
    private readonly tenants: TenantService,
    private readonly appKeys: AppKeyService,
  ) {}

  /**
   * The tenant a request names: its license code, or `default`. An unknown code is no error here:
   * each use answers it as it answers a tenant the caller has nothing in (a wrong password, an
   * unknown key, closed sign-up), so license codes cannot be probed.
   */
  async tenant(licenseCode: string | undefined): Promise<PortalTenant> {
    const code = licenseCode?.trim() || 'default';
    const tenant = LICENSE_CODE.test(code) ? await this.tenants.byLicenseCode(code) : null;
    return { licenseCode: code, tenant };
  }

  private async account(user: User): Promise<PortalAccount> {
    return { user, usage: await this.appKeys.usageOf(user.tenantId, user.id) };
  }

  /** Open sign-up when the tenant allows it; otherwise (or when a key is presented) a key with users:write. */
  async signUp(
    tenant: Tenant | null,
    principal: Principal | null,
    input: { username: string; email: string; password: string },
  ): Promise<PortalAccount> {
    const values: UserInput = { username: input.username, email: input.email, password: input.password };
    let user: User;
    if (principal) {
      if (!tenant) throw tenantNotFound();
      user = await this.users.create(principal, tenant.id, values);
    } else if (tenant?.settings.publicSignup) user = await this.users.createUnchecked(tenant.id, values);
    else throw unauthorized('sign-up is closed on this tenant: an API key with the users:write privilege is required');
    return this.account(user);
  }

  /** The user named in the URL, if the actor may act on them: themselves, or a manager with the privilege. */
  private async target(
    actor: PortalActor,
    tenantId: number | null,
    username: string,
    privilege: Privilege,
  ): Promise<User> {
    if (actor.kind === 'user') {
      if (actor.user.tenantId !== tenantId || lower(actor.user.username) !== lower(username)) {
        throw forbidden('these credentials belong to another account');
      }
      return actor.user;
    }
    if (tenantId === null) throw tenantNotFound();
    authorize(actor.principal, tenantId, privilege);
    const u = username.includes('\0') ? null : await this.users.find(tenantId, { username });
    if (!u) throw notFound('user.not_found', `account "${username}" not found`);
    return u;
  }

  async get(actor: PortalActor, tenantId: number | null, username: string): Promise<PortalAccount> {
    return this.account(await this.target(actor, tenantId, username, 'users:read'));
  }

  /** Changes username and/or email; a different email address is unverified until verified again. */
  async update(
    actor: PortalActor,
    tenantId: number | null,
    username: string,
    changes: { username?: string; email?: string },
  ): Promise<PortalAccount> {
    const current = await this.target(actor, tenantId, username, 'users:write');
    changes = normalizeUserInput(changes);
    const input: UserInput = {};
    if (changes.username !== undefined) input.username = changes.username;
    if (changes.email !== undefined) {
      input.email = changes.email;
      if (lower(changes.email) !== lower(current.email)) input.verified = false;
    }
    if (Object.keys(input).length === 0) return this.account(current);
    const user =
      actor.kind === 'user'
        ? await this.users.patchUnchecked(current.tenantId, current.id, input)
        : await this.users.patch(actor.principal, current.tenantId, current.id, input);
    return this.account(user);
  }

  /** Marks an account verified: a manager's decision, never the user's own. */
  async verify(actor: PortalActor, tenantId: number | null, username: string): Promise<PortalAccount> {
    if (actor.kind === 'user') throw forbidden('only an API key with the users:write privilege can verify an account');
    const current = await this.target(actor, tenantId, username, 'users:write');
    const user = current.verified
      ? current
      : await this.users.patch(actor.principal, current.tenantId, current.id, { verified: true });
    return this.account(user);
  }

  async createKey(
    actor: PortalActor,
    tenantId: number | null,
    username: string,
    name: string,
  ): Promise<{ key: AppKey; secret: string }> {
    const owner = await this.target(actor, tenantId, username, 'users:write');
    return this.appKeys.create(auditActor(actor), owner.tenantId, owner.id, name);
  }

  async listKeys(actor: PortalActor, tenantId: number | null, username: string): Promise<AppKey[]> {
    const owner = await this.target(actor, tenantId, username, 'users:read');
    return this.appKeys.list(owner.tenantId, owner.id);
  }

  async revokeKey(actor: PortalActor, tenantId: number | null, username: string, keyId: number): Promise<void> {
    const owner = await this.target(actor, tenantId, username, 'users:write');
    await this.appKeys.revoke(auditActor(actor), owner.tenantId, owner.id, keyId);
  }
}
