import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { Db, DbKind, ReadNow } from './database.ts';
import { TenantStore } from './tenant-store.ts';
import { ManagerStore } from './manager-store.ts';
import { UserStore } from './user-store.ts';
import { MetaStore } from './meta-store.ts';
import { GroupStore } from './group-store.ts';
import { EventStore } from './event-store.ts';
import { IdempotencyStore } from './idempotency-store.ts';
import { AppKeyStore } from './app-key-store.ts';
import { LoginAttemptStore } from './login-attempt-store.ts';
import { AuditStore, changesJson } from './audit-store.ts';
import type { UserValues } from '../domain/user-fields.ts';
import type { User } from '../domain/user.ts';
import type { AuditChanges } from '../domain/audit.ts';
import { ImportStore } from './import-store.ts';
import { ImportJobStore } from './import-job-store.ts';
import { ExportStore } from './export-store.ts';
import { UserMoveStore } from './user-move-store.ts';
import { ConsoleSessionStore } from './console-session-store.ts';
import { StatsStore } from './stats-store.ts';
import { WebhookStore } from './webhook-store.ts';
import { GroupCommit } from './group-commit.ts';
import { neverCache, type AccessChangeWatch } from './access-change-watch.ts';
import { toStoreError } from './store-errors.ts';

const rethrow = (e: unknown): never => {
  throw toStoreError(e);
};
import { RestoreStore } from './restore-store.ts';
import { BackupStore } from './backup-store.ts';
import type { Snapshot } from './snapshot.ts';
import { PageMarks } from './page-marks.ts';

/** One group committer per SQLite database (PostgreSQL commits concurrently by itself). */
const groupCommits = new WeakMap<Kysely<Database>, GroupCommit>();

/** All stores over one executor (the pool, or one transaction). */
export class Store {
  readonly tenants: TenantStore;
  readonly managers: ManagerStore;
  readonly users: UserStore;
  readonly meta: MetaStore;
  readonly groups: GroupStore;
  readonly events: EventStore;
  readonly idempotency: IdempotencyStore;
  readonly appKeys: AppKeyStore;
  readonly loginAttempts: LoginAttemptStore;
  readonly audit: AuditStore;
  /** Bulk user reads/writes of imports, import jobs, keyset pages of exports. */
  readonly imports: ImportStore;
  readonly importJobs: ImportJobStore;
  readonly exports: ExportStore;
  /** Moving a user between tenants. */
  readonly userMoves: UserMoveStore;
  /** Webhook subscriptions, the outbox of deliveries and their attempts. */
  readonly webhooks: WebhookStore;
  /** The admin console's sessions and failed sign-ins. */
  readonly consoleSessions: ConsoleSessionStore;
  /** The dashboard's counts. */
  readonly stats: StatsStore;
  /** Writes of a tenant restored from a backup (inside the restore's transaction). */
  readonly restores: RestoreStore;
  /** Consistent read-only views of the database (root store only). */
  private snapshots?: () => Promise<Snapshot>;

  constructor(
    readonly db: Kysely<Database>,
    readonly kind: DbKind,
    /** Synchronous SQLite reads of committed data; only for the root store (a transaction reads its own writes). */
    readNow?: ReadNow,
    /** When cached manager keys and tenants may be stale; a transaction's store never caches. */
    readonly accessChanges: AccessChangeWatch = neverCache,
    /** The database's version, where it can be read (SQLite files); only for the root store. */
    dataVersion?: () => number,
  ) {
    // Caches only where changes can be heard (not in a transaction's store).
    const watch = accessChanges === neverCache ? undefined : accessChanges;
    this.tenants = new TenantStore(db, readNow, watch);
    this.managers = new ManagerStore(db, readNow, watch);
    this.users = new UserStore(db, kind, readNow, dataVersion && new PageMarks(dataVersion));
    this.meta = new MetaStore(db, watch);
    this.groups = new GroupStore(db, kind, readNow);
    this.events = new EventStore(db);
    this.idempotency = new IdempotencyStore(db);
    this.appKeys = new AppKeyStore(db, kind);
    this.loginAttempts = new LoginAttemptStore(db);
    this.audit = new AuditStore(db);
    this.imports = new ImportStore(db, kind);
    this.importJobs = new ImportJobStore(db);
    this.exports = new ExportStore(db);
    this.userMoves = new UserMoveStore(db);
    this.webhooks = new WebhookStore(db, kind);
    this.consoleSessions = new ConsoleSessionStore(db);
    this.stats = new StatsStore(db, kind);
    this.restores = new RestoreStore(db, kind);
  }

  static of(db: Db): Store {
    const store = new Store(db.kysely, db.kind, db.readNow, db.accessChanges, db.dataVersion);
    store.snapshots = () => db.openSnapshot();
    return store;
  }

  /**
   * Reads of one moment of the whole database, while writes go on (a backup); end() it when done.
   * PostgreSQL: a REPEATABLE READ, READ ONLY transaction; SQLite: a read transaction on a
   * connection of its own.
   */
  async openBackup(): Promise<BackupStore> {
    if (!this.snapshots) throw new Error('snapshots are taken through the root store');
    return new BackupStore(await this.snapshots());
  }

  /**
   * A transaction that may change a manager's key, role or tenant, or a tenant: once it has ended,
   * nothing cached before it is trusted again (in this process at once; others hear it from the
   * database). Call it on the root store (a transaction's store has no caches to retire).
   */
  transactionChangingAccess<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    return this.transaction(fn).finally(() => this.accessChanges.changed());
  }

  /**
   * Runs fn in one transaction: all of it is written, or none of it. On SQLite, transactions asked
   * for in the same turn of the event loop share one commit (group-commit.ts).
   */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return fn(this);
    // Bulk paths inside (imports) run statements on the driver itself: their errors are named here.
    if (this.kind === 'sqlite')
      return this.groupCommit()
        .run((trx) => fn(new Store(trx, this.kind)))
        .catch(rethrow);
    return this.db.transaction().execute((trx) => fn(new Store(trx, this.kind)));
  }

  private groupCommit(): GroupCommit {
    let group = groupCommits.get(this.db);
    if (!group) groupCommits.set(this.db, (group = new GroupCommit(this.db)));
    return group;
  }

  /**
   * A write that is one statement (atomic by itself). On SQLite it joins the group commit of its
   * event-loop turn (one commit for many); on PostgreSQL it runs alone (a transaction around it
   * would only add BEGIN and COMMIT round trips).
   */
  writeOne<T>(fn: (s: Store) => Promise<T>): Promise<T> {
    if (this.kind !== 'sqlite' || this.db.isTransaction) return fn(this);
    return this.groupCommit().run((trx) => fn(new Store(trx, this.kind)), { single: true });
  }

  /**
   * A new user and the audit event of its creation, atomically: one statement on PostgreSQL
   * (UserStore.insertAudited), one transaction on SQLite (sharing its commit with others). The
   * event's target is the new user, and so is its actor when `actor` is null (self sign-up).
   * `changes` must already be redacted.
   */
  insertUserAudited(
    tenantId: number,
    values: UserValues,
    event: { actor: string | null; action: string; changes: AuditChanges },
  ): Promise<User> {
    if (this.kind === 'postgres')
      return this.users.insertAudited(tenantId, values, {
        actor: event.actor,
        action: event.action,
        changes: changesJson(event.changes),
      });
    return this.transaction(async (tx) => {
      const u = await tx.users.insert(tenantId, values);
      await tx.audit.insert({
        tenantId,
        actor: event.actor ?? `user:${u.id}`,
        action: event.action,
        target: `user:${u.id}`,
        changes: event.changes,
      });
      return u;
    });
  }

  async ping(): Promise<void> {
    await this.db.selectFrom('tenants').select('id').limit(1).execute();
  }
}
