import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.ts';
import { DomainError, unauthorized } from '../domain/errors.ts';
import { LOGIN_LOCK_MS, LOGIN_MAX_FAILURES, LOGIN_MAX_IN_FLIGHT, LOGIN_WINDOW_MS } from '../domain/login-lockout.ts';
import type { User } from '../domain/user.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { UserService } from './user-service.ts';

const badCredentials = () => unauthorized('wrong username or password');
const refused = (ms: number, message = 'too many failed logins for this account; try again later') =>
  new DomainError('rate_limited', 'auth.locked', message, { retryAfter: Math.max(1, Math.ceil(ms / 1000)) });

/**
 * Username + password logins with brute-force protection, counted in the database so that every
 * Roster process shares one count per account. After LOGIN_MAX_FAILURES failures within
 * LOGIN_WINDOW_MS the account refuses every login for LOGIN_LOCK_MS; its data is untouched.
 */
export class LoginGuardService {
  /** The clock (epoch ms); tests move it past a lockout instead of waiting. */
  now: () => number = Date.now;
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly store: Store,
    private readonly users: UserService,
    private readonly hasher: PasswordHasher,
  ) {}

  async login(tenantId: number, username: string, password: string): Promise<User> {
    // A NUL can be in no stored name (PostgreSQL text cannot hold it): no account, not an error.
    const user = username === '' || username.includes('\0') ? null : await this.users.find(tenantId, { username });
    if (!user || !user.active || !user.hasPassword) {
      // Costs what a real check costs, so response times do not tell which usernames exist.
      this.dummyHash ??= this.hasher.hash(randomBytes(16).toString('hex'));
      await this.hasher.verify(await this.dummyHash, password);
      throw badCredentials();
    }
    const attempts = this.store.loginAttempts;
    const now = this.now();
    const lockedUntil = await attempts.lockedUntil(tenantId, user.id);
    if (lockedUntil !== null && lockedUntil > now) throw refused(lockedUntil - now);

    // Reserve before checking, then count: of any parallel burst at most LOGIN_MAX_IN_FLIGHT get
    // through to the password check, so failures cannot overshoot the limit before it is written.
    const attempt = await attempts.reserve(tenantId, user.id, now);
    if ((await attempts.countSince(tenantId, user.id, now - LOGIN_WINDOW_MS, false)) > LOGIN_MAX_IN_FLIGHT) {
      await attempts.release(attempt);
      const until = await attempts.lockedUntil(tenantId, user.id);
      if (until !== null && until > now) throw refused(until - now);
      throw refused(1000, 'too many login attempts for this account at once; try again shortly');
    }

    let ok: boolean;
    try {
      ok = await this.users.login(tenantId, user.id, password);
    } catch (e) {
      await attempts.release(attempt).catch(() => {});
      throw e;
    }
    if (ok) {
      await attempts.release(attempt);
      return (await this.users.find(tenantId, { id: user.id })) ?? user;
    }
    await attempts.markFailed(attempt);
    if ((await attempts.countSince(tenantId, user.id, now - LOGIN_WINDOW_MS, true)) >= LOGIN_MAX_FAILURES) {
      await attempts.lock(tenantId, user.id, now + LOGIN_LOCK_MS);
    }
    await attempts.prune(tenantId, user.id, now - LOGIN_WINDOW_MS);
    throw badCredentials();
  }
}
