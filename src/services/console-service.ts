import { hash, randomBytes } from 'node:crypto';
import type { Store } from '../store/store.ts';
import { DomainError, invalid, unauthorized } from '../domain/errors.ts';
import { isRole, type Principal } from '../domain/privileges.ts';
import { LOGIN_LOCK_MS, LOGIN_MAX_FAILURES, LOGIN_WINDOW_MS } from '../domain/login-lockout.ts';
import { SESSION_ABSOLUTE_MS, SESSION_IDLE_MS, SESSION_TOUCH_MS } from '../domain/console-session.ts';
import { digestsEqual, keyDigest } from './api-keys.ts';
import type { AuthService } from './auth-service.ts';
import type { PasswordHasher } from './password-hasher.ts';

export type SignIn = { rootKey: string } | { email: string; password: string; licenseCode?: string };

export interface Session {
  principal: Principal;
  csrfToken: string;
  /** When the session ends if nothing happens (idle), and at the latest (absolute). */
  idleExpiresAt: Date;
  expiresAt: Date;
}

const badCredentials = () => unauthorized('wrong email or password');
const PURGE_EVERY_MS = 60_000;
const ended = () => new DomainError('unauthorized', 'session.ended', 'the console session has ended; sign in again');
const locked = (ms: number) =>
  new DomainError('rate_limited', 'auth.locked', 'too many failed sign-ins; try again later', {
    retryAfter: Math.max(1, Math.ceil(ms / 1000)),
  });

/** The CSRF token of a session: derived from its id, so nothing more is stored and it cannot be guessed. */
export const csrfTokenOf = (sessionId: string) => hash('sha256', `csrf:${sessionId}`, 'base64url');

/**
 * The admin console's sign-in and sessions. A session stands for the manager's key (or the root
 * key) with the role it had at sign-in: a new key, a new role or a deleted manager ends it.
 */
export class ConsoleService {
  /** The clock (epoch ms); tests move it past an expiry instead of waiting. */
  now: () => number = Date.now;
  private dummyHash: Promise<string> | null = null;
  private lastPurge = 0;

  constructor(
    private readonly store: Store,
    private readonly auth: AuthService,
    private readonly hasher: PasswordHasher,
  ) {}

  async signIn(input: SignIn): Promise<{ sessionId: string } & Session> {
    if ('rootKey' in input) {
      await this.refuseWhenLocked('root');
      const digest = await this.auth.rootKeyDigest();
      if (!digest || !digestsEqual(keyDigest(input.rootKey), digest)) {
        await this.fail('root');
        throw unauthorized('the root key is not valid');
      }
      await this.store.consoleSessions.clearFailures('root');
      return this.open({ kind: 'root' }, null, digest, null);
    }
    const tenantId = await this.tenantFor(input.licenseCode);
    // Counted per (tenant, email) whether or not a manager has it: a locked manager and an unknown
    // email answer alike, and an unknown one locks too.
    const subject = signInSubject(tenantId, input.licenseCode, input.email);
    await this.refuseWhenLocked(subject);
    const m = tenantId === null ? null : await this.store.managers.forSignIn(tenantId, input.email.trim());
    if (!m || !m.passwordHash) {
      // Costs what a real check costs, so response times do not tell which emails exist.
      this.dummyHash ??= this.hasher.hash(randomBytes(16).toString('hex'));
      await this.hasher.verify(await this.dummyHash, input.password);
      await this.fail(subject);
      throw badCredentials();
    }
    const { ok } = await this.hasher.verify(m.passwordHash, input.password);
    if (!ok) {
      await this.fail(subject);
      throw badCredentials();
    }
    await this.store.consoleSessions.clearFailures(subject);
    const principal: Principal = { kind: 'manager', managerId: m.id, tenantId: m.tenantId, role: m.role };
    return this.open(principal, m.id, m.keyDigest, m.role);
  }

  /** The session of a cookie's id; refused when expired or when its key or role changed since. */
  async resolve(sessionId: string): Promise<Session> {
    const idDigest = keyDigest(sessionId);
    const s = await this.store.consoleSessions.find(idDigest);
    const now = this.now();
    if (!s) throw ended();
    const expiresAt = s.createdAt + SESSION_ABSOLUTE_MS;
    const idleAt = s.lastSeenAt + SESSION_IDLE_MS;
    let principal: Principal | null = null;
    if (s.managerId === null) {
      const root = await this.auth.rootKeyDigest();
      if (root && digestsEqual(root, s.keyDigest)) principal = { kind: 'root' };
    } else if (
      s.currentKeyDigest !== null &&
      s.tenantId !== null &&
      digestsEqual(s.currentKeyDigest, s.keyDigest) &&
      s.currentRole === s.role &&
      isRole(s.role)
    ) {
      principal = { kind: 'manager', managerId: s.managerId, tenantId: s.tenantId, role: s.role };
    }
    if (!principal || now >= expiresAt || now >= idleAt) {
      await this.store.consoleSessions.delete(idDigest);
      throw ended();
    }
    if (now - s.lastSeenAt >= SESSION_TOUCH_MS) await this.store.consoleSessions.touch(idDigest, now);
    return {
      principal,
      csrfToken: csrfTokenOf(sessionId),
      idleExpiresAt: new Date(Math.min(now + SESSION_IDLE_MS, expiresAt)),
      expiresAt: new Date(expiresAt),
    };
  }

  async signOut(sessionId: string): Promise<void> {
    await this.store.consoleSessions.delete(keyDigest(sessionId));
  }

  private async open(
    principal: Principal,
    managerId: number | null,
    keyDigestNow: string,
    role: string | null,
  ): Promise<{ sessionId: string } & Session> {
    const sessionId = randomBytes(32).toString('base64url');
    const now = this.now();
    await this.store.consoleSessions.insert({
      idDigest: keyDigest(sessionId),
      managerId,
      keyDigest: keyDigestNow,
      role,
      now,
    });
    await this.store.consoleSessions.prune(now - SESSION_IDLE_MS, now - SESSION_ABSOLUTE_MS);
    return {
      sessionId,
      principal,
      csrfToken: csrfTokenOf(sessionId),
      idleExpiresAt: new Date(now + SESSION_IDLE_MS),
      expiresAt: new Date(now + SESSION_ABSOLUTE_MS),
    };
  }

  /** Managers sign in within one tenant: named by its license code, or the only one there is. */
  private async tenantFor(licenseCode: string | undefined): Promise<number | null> {
    if (licenseCode !== undefined && licenseCode.trim() !== '')
      return (await this.store.tenants.byLicenseCode(licenseCode.trim()))?.id ?? null;
    const tenants = await this.store.tenants.list({ afterId: 0, limit: 2 });
    if (tenants.length > 1)
      throw invalid(
        'session.license_code_required',
        'this directory has several tenants: give the license code',
        'licenseCode',
      );
    return tenants[0]?.id ?? null;
  }

  private async refuseWhenLocked(subject: string): Promise<void> {
    const now = this.now();
    const f = await this.store.consoleSessions.failuresSince(subject, now - LOGIN_WINDOW_MS);
    if (f.count >= LOGIN_MAX_FAILURES) throw locked((f.oldest ?? now) + LOGIN_LOCK_MS - now);
  }

  private async fail(subject: string): Promise<void> {
    const now = this.now();
    await this.store.consoleSessions.addFailure(subject, now, now - LOGIN_WINDOW_MS);
    // Emails tried once are never pruned by their own next failure: forget old ones now and then.
    if (now - this.lastPurge >= PURGE_EVERY_MS) {
      this.lastPurge = now;
      await this.store.consoleSessions.purgeFailures(now - LOGIN_WINDOW_MS).catch(() => (this.lastPurge = 0));
    }
  }
}

/**
 * The name a manager's failed sign-ins are counted under: tenant (or the license code no tenant
 * has) and email in lower case, digested so that a password typed into the email field is not
 * kept in clear.
 */
function signInSubject(tenantId: number | null, licenseCode: string | undefined, email: string): string {
  const where = tenantId !== null ? `tenant:${tenantId}` : `code:${licenseCode?.trim() ?? ''}`;
  return `manager:${hash('sha256', `${where}\n${email.trim().toLowerCase()}`, 'base64url')}`;
}
