import type { Config } from '../config.ts';
import type { Db } from '../store/database.ts';
import { Store } from '../store/store.ts';
import { AuthService } from './auth-service.ts';
import { ManagerService } from './manager-service.ts';
import { PasswordHasher } from './password-hasher.ts';
import { TenantService } from './tenant-service.ts';
import { UserService } from './user-service.ts';
import { GroupService } from './group-service.ts';
import { ScimUserService } from './scim-user-service.ts';
import { UsermostService } from './usermost-service.ts';
import { AppKeyService } from './app-key-service.ts';
import { LoginGuardService } from './login-guard-service.ts';
import { UserAccessService } from './user-access-service.ts';
import { PortalAccountService } from './portal-account-service.ts';
import { AuditService } from './audit-service.ts';
import { ImportService } from './import-service.ts';
import { ExportService } from './export-service.ts';
import { legacyVerifiers } from './legacy-hashes.ts';
import { AccountService } from './accounts-service.ts';
import { UsrService } from './usr-service.ts';
import { ConsoleService } from './console-service.ts';
import { DashboardService } from './dashboard-service.ts';
import { Metrics } from '../metrics.ts';
import { webhookConfig } from '../config.ts';
import { WebhookService } from './webhook-service.ts';
import { WebhookDispatcher } from './webhook-dispatcher.ts';
import { SecretBox } from './secret-box.ts';
import { BackupService } from './backup-service.ts';
import { RestoreService } from './restore-service.ts';

/** Every use case, wired over one store. The HTTP layer sees only this. */
export interface Services {
  auth: AuthService;
  /** The admin console's sign-in and sessions. */
  console: ConsoleService;
  /** The console dashboard's counts. */
  dashboard: DashboardService;
  tenants: TenantService;
  managers: ManagerService;
  users: UserService;
  /** Users as the Accounts API's fields (list, filter, sort by its attribute names). */
  accounts: AccountService;
  /** Tenant-scoped groups of users (SCIM Groups). */
  groups: GroupService;
  /** Read-modify-write of users for SCIM PUT/PATCH. */
  scimUsers: ScimUserService;
  hasher: PasswordHasher;
  /** The audit trail: record(tx, event) inside a write's transaction; list for GET …/audit. */
  audit: AuditService;
  /** Application keys with usage counting. */
  appKeys: AppKeyService;
  /** Password logins with the per-account brute-force lockout (HTTP Basic on /rest). */
  loginGuard: LoginGuardService;
  /** A user's lockout, application keys and events, as a manager sees and undoes them. */
  userAccess: UserAccessService;
  /** Self-service accounts of the /rest/users dialect. */
  portal: PortalAccountService;
  /** Users by userId and their events, with idempotent writes. */
  usermost: UsermostService;
  /** Users by bare user id across reachable tenants, and moves between tenants. */
  usr: UsrService;
  /** Import jobs of users from NDJSON/CSV, with other systems' password hashes. */
  imports: ImportService;
  /** Streaming NDJSON/CSV exports of a tenant's users. */
  exports: ExportService;
  /** Whole-tenant backups, streamed from one snapshot (owner). */
  backups: BackupService;
  /** A tenant restored from a backup, all or nothing (root). */
  restores: RestoreService;
  /** Webhook subscriptions of a tenant, their delivery log and redelivery (admin role). */
  webhooks: WebhookService;
  /** Sends the outbox's deliveries; started by the server process (runtime.ts), not by the CLI. */
  webhookDispatcher: WebhookDispatcher;
  /** The Prometheus registry of this runtime (GET /metrics). */
  metrics: Metrics;
  /** Answers when the database does (for /ready). */
  ping(): Promise<void>;
}

export function buildServices(
  db: Db,
  config: Pick<Config, 'rootKey' | 'argon2'> & Partial<Pick<Config, 'webhooks'>>,
): Services {
  const store = Store.of(db);
  // Imported users keep their old systems' hashes until they next sign in.
  const hasher = new PasswordHasher(config.argon2, legacyVerifiers);
  const users = new UserService(store, hasher);
  const tenants = new TenantService(store);
  const appKeys = new AppKeyService(store);
  const auth = new AuthService(store, config.rootKey);
  const imports = new ImportService(store, hasher);
  const metrics = new Metrics();
  watch(metrics, db, hasher, imports);
  const webhookSettings = config.webhooks ?? webhookConfig();
  const secretBox = new SecretBox(webhookSettings.secretKey);
  watchWebhooks(metrics, store);
  const loginGuard = new LoginGuardService(store, users, hasher);
  return {
    auth,
    console: new ConsoleService(store, auth, hasher),
    dashboard: new DashboardService(store),
    tenants,
    managers: new ManagerService(store, hasher),
    users,
    accounts: new AccountService(users),
    groups: new GroupService(store),
    scimUsers: new ScimUserService(users),
    hasher,
    audit: new AuditService(store),
    appKeys,
    loginGuard,
    userAccess: new UserAccessService(store, users, appKeys, loginGuard),
    portal: new PortalAccountService(users, tenants, appKeys),
    usermost: new UsermostService(store, hasher),
    usr: new UsrService(store, users, hasher),
    imports,
    exports: new ExportService(store),
    backups: new BackupService(store),
    restores: new RestoreService(store, secretBox),
    webhooks: new WebhookService(store, secretBox),
    webhookDispatcher: new WebhookDispatcher(store, webhookSettings, secretBox, metrics),
    metrics,
    ping: () => store.ping(),
  };
}

/** The metrics read from the database, the hashing pool and the import jobs. */
function watch(metrics: Metrics, db: Db, hasher: PasswordHasher, imports: ImportService): void {
  hasher.pool.onComputed = (kind, ms) => metrics.argon2Duration.observe({ kind }, ms / 1000);
  metrics.gauge(
    'roster_argon2_queue_depth',
    'Password hashes and verifications waiting for a worker.',
    () => hasher.pool.depth().queued,
  );
  metrics.gauge(
    'roster_argon2_running',
    'Password hashes and verifications being computed.',
    () => hasher.pool.depth().running,
  );
  metrics.gauge(
    'roster_db_pool_connections',
    'Database connections by state (in_use, idle) and requests waiting for one (waiting).',
    () => {
      const s = db.stats();
      return (['inUse', 'idle', 'waiting'] as const).map((k) => ({
        labels: { state: k === 'inUse' ? 'in_use' : k },
        value: s[k],
      }));
    },
    ['state'],
  );
  metrics.counterFrom(
    'roster_db_query_errors_total',
    'Database queries that failed (conflicts included).',
    () => db.stats().queryErrors,
  );
  metrics.gauge('roster_import_jobs_running', 'Import jobs this process is running.', () => imports.running);
  imports.onRows = (n) => metrics.importRows.inc(n);
}

/** The outbox's backlog across all processes: read from the database at each scrape. */
function watchWebhooks(metrics: Metrics, store: Store): void {
  metrics.gauge(
    'roster_webhook_pending_deliveries',
    'Webhook deliveries waiting to be sent or retried (all processes).',
    async () => (await store.webhooks.backlog()).pending,
  );
  metrics.gauge(
    'roster_webhook_oldest_pending_age_seconds',
    'Age of the oldest webhook delivery not yet sent (0 when none).',
    async () => {
      const { oldest } = await store.webhooks.backlog();
      return oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000);
    },
  );
}
