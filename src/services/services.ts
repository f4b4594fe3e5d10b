import type { Config } from '../config.ts';
import type { Db } from '../store/database.ts';
import { Store } from '../store/store.ts';
import { AuthService } from './auth-service.ts';
import { ManagerService } from './manager-service.ts';
import { PasswordHasher } from './password-hasher.ts';
import { TenantService } from './tenant-service.ts';
import { UserService } from './user-service.ts';
import { AuditService } from './audit-service.ts';

/** Every use case, wired over one store. The HTTP layer sees only this. */
export interface Services {
  auth: AuthService;
  tenants: TenantService;
  managers: ManagerService;
  users: UserService;
  hasher: PasswordHasher;
  /** The audit trail: record(tx, event) inside a write's transaction; list for GET …/audit. */
  audit: AuditService;
  /** Answers when the database does (for /ready). */
  ping(): Promise<void>;
}

export function buildServices(db: Db, config: Pick<Config, 'rootKey' | 'argon2'>): Services {
  const store = Store.of(db);
  const hasher = new PasswordHasher(config.argon2);
  return {
    auth: new AuthService(store, config.rootKey),
    tenants: new TenantService(store),
    managers: new ManagerService(store),
    users: new UserService(store, hasher),
    hasher,
    audit: new AuditService(store),
    ping: () => store.ping(),
  };
}
