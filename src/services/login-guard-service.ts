import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '../store/store.ts';
import { DomainError, unauthorized } from '../domain/errors.ts';
import { LOGIN_LOCK_MS, LOGIN_MAX_FAILURES, LOGIN_MAX_IN_FLIGHT, LOGIN_WINDOW_MS } from '../domain/login-lockout.ts';
import { normalizeIdentity, type User } from '../domain/user.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { UserService } from './user-service.ts';

const badCredentials = () => unauthorized('wrong username or password');
const refused = (ms: number, message = 'too many failed logins for this account; try again later') =>
  new DomainError('rate_limited', 'auth.locked', message, { retryAfter: Math.max(1, Math.ceil(ms / 1000)) });
const PURGE_EVERY_MS = 60_000;

/** Where a login is tried: the tenant the request named, or only the license code when no tenant has it. */
export interface LoginScope {
  tenantId: number | null;
  licenseCode: string;
}

/**
 * Username + password logins with brute-force protection, counted in the database so that every
 * Roster process shares one count. Failures are counted per login name (tenant and username, as
 * accounts are looked up), whether or not an account has it: after LOGIN_MAX_FAILURES failures
 * within LOGIN_WINDOW_MS the name refuses every login for LOGIN_LOCK_MS, so a locked account and a
 * name nobody has answer alike. An account's data is untouched.
 */
export class LoginGuardService {
  /** The clock (epoch ms); tests move it past a lockout instead of waiting. */
  now: () => number = Date.now;
  private dummyHash: Promise<string> | null = null;
  private lastPurge = 0;

  constructor(
    private readonly store: Store,
    private readonly users: UserService,
    private readonly hasher: PasswordHasher,
  ) {}

  /** Until when logins with this username of the tenant are refused (epoch ms), or null. */
  async lockedUntil(tenantId: number, username: string): Promise<number | null> {
    const until = await this.store.loginAttempts.lockedUntil(loginKey({ tenantId, licenseCode: '' }, username));
    return until !== null && until > this.now() ? until : null;
  }

  /** Lifts the lock of this username of the tenant and restarts its failure count (on `tx` when in one). */
  async unlock(tenantId: number, username: string, tx: Store = this.store): Promise<void> {
    await tx.loginAttempts.unlock(loginKey({ tenantId, licenseCode: '' }, username));
  }

  async login(scope: LoginScope, username: string, password: string): Promise<User> {
    const key = loginKey(scope, username);
    const attempts = this.store.loginAttempts;
    const now = this.now();
    const lockedUntil = await attempts.lockedUntil(key);
    if (lockedUntil !== null && lockedUntil > now) throw refused(lockedUntil - now);

    // Reserve before checking, then count: of any parallel burst at most LOGIN_MAX_IN_FLIGHT get
    // through to the password check, so failures cannot overshoot the limit before it is written.
    const attempt = await attempts.reserve(key, now);
    if ((await attempts.countSince(key, now - LOGIN_WINDOW_MS, false)) > LOGIN_MAX_IN_FLIGHT) {
      await attempts.release(attempt);
      const until = await attempts.lockedUntil(key);
      if (until !== null && until > now) throw refused(until - now);
      throw refused(1000, 'too many login attempts for this account at once; try again shortly');
    }

    let user: User | null = null;
    try {
      user = await this.check(scope.tenantId, username, password);
    } catch (e) {
      await attempts.release(attempt).catch(() => {});
      throw e;
    }
    if (user) {
      await attempts.release(attempt);
      return user;
    }
    await attempts.markFailed(attempt);
    if ((await attempts.countSince(key, now - LOGIN_WINDOW_MS, true)) >= LOGIN_MAX_FAILURES) {
      await attempts.lock(key, now + LOGIN_LOCK_MS);
    }
    await attempts.prune(key, now - LOGIN_WINDOW_MS);
    await this.purgeIfDue(now);
    throw badCredentials();
  }

  /** The account when the password is its own; null otherwise, at the cost of a real check either way. */
  private async check(tenantId: number | null, username: string, password: string): Promise<User | null> {
    // A NUL can be in no stored name (PostgreSQL text cannot hold it): no account, not an error.
    const user =
      tenantId === null || username === '' || username.includes('\0')
        ? null
        : await this.users.find(tenantId, { username });
    if (!user || !user.active || !user.hasPassword) {
      // Costs what a real check costs, so response times do not tell which usernames exist.
      this.dummyHash ??= this.hasher.hash(randomBytes(16).toString('hex'));
      await this.hasher.verify(await this.dummyHash, password);
      return null;
    }
    if (!(await this.users.login(user.tenantId, user.id, password))) return null;
    return (await this.users.find(user.tenantId, { id: user.id })) ?? user;
  }

  /**
   * Forgets old attempts and ended locks of every name, at most once a minute per process: names
   * tried once and never again are not pruned by their own next attempt. A failure only postpones it.
   */
  private async purgeIfDue(now: number): Promise<void> {
    if (now - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now;
    try {
      await this.store.loginAttempts.purge(now - LOGIN_WINDOW_MS, now);
    } catch {
      this.lastPurge = 0;
    }
  }
}

/**
 * The name failures are counted under: tenant (or the unknown license code) and username as
 * accounts are looked up (NFC, trimmed, lower case), digested so that a password typed into the
 * username field is not kept in clear.
 */
function loginKey(scope: LoginScope, username: string): string {
  const where = scope.tenantId !== null ? `tenant:${scope.tenantId}` : `code:${scope.licenseCode}`;
  return createHash('sha256')
    .update(`${where}\n${normalizeIdentity(username).toLowerCase()}`)
    .digest('base64url');
}
