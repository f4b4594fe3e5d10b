import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Store } from '../store/store.ts';
import { conflict, forbidden, invalid, uniqueViolation } from '../domain/errors.ts';
import type { Principal } from '../domain/privileges.ts';
import { validateLicenseCode, type Tenant, type TenantSettings } from '../domain/tenant.ts';
import type { AuditChanges, NewAuditEvent } from '../domain/audit.ts';
import type { BackupAppKey, BackupMember, BackupUser } from '../domain/backup.ts';
import type { UserFields } from '../domain/user-fields.ts';
import { actorName, recordAudit, type Actor } from './audit-service.ts';
import type { SecretBox } from './secret-box.ts';
import { newSecret } from './webhook-service.ts';
import { SECTIONS, emptyCounts, type BackupCounts, type Section } from './backup-records.ts';
import { backupLines, badBackup, type BackupLine } from './backup-source.ts';

/** Rows written per statement group: the only restored rows in memory at any time. */
const BATCH = 1000;

export interface RestoreOptions {
  /** Restore under this license code instead of the backup's (a copy of a tenant that exists here). */
  as?: string;
}

export interface RestoreResult {
  tenant: Tenant;
  counts: BackupCounts;
  /** Webhook subscriptions restored switched off: their secret could not be carried over. */
  webhooksDisabled: number;
  backup: { rosterVersion: string; database: string; createdAt: string };
}

export const SECRET_NOT_RESTORED =
  'restored without its signing secret (sealed under another ROSTER_SECRET_KEY, or none): rotate the secret, then set active';

/**
 * Backup ids → this database's ids for users, who come in ascending id order (the backup's keyset
 * order): two number arrays searched by halves, ~16 bytes a user, instead of a Map's ~80.
 */
class UserIds {
  private readonly from: number[] = [];
  private readonly to: number[] = [];
  get last(): number {
    return this.from.length === 0 ? 0 : this.from[this.from.length - 1];
  }
  add(from: readonly number[], to: readonly number[]): void {
    for (let i = 0; i < from.length; i++) {
      this.from.push(from[i]);
      this.to.push(to[i]);
    }
  }
  get(id: number): number | undefined {
    let lo = 0;
    let hi = this.from.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.from[mid];
      if (v === id) return this.to[mid];
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }
}

function date(line: number, v: unknown): Date;
function date(line: number, v: unknown, nullable: true): Date | null;
function date(line: number, v: unknown, nullable = false): Date | null {
  if (v === null && nullable) return null;
  const d = new Date(v as string);
  if (Number.isNaN(d.getTime())) throw badBackup(line, `${String(v)} is not a date`);
  return d;
}

/** What a unique index refused, in words, by record type. */
const CONFLICT: Partial<Record<Section, string>> = {
  manager: "a manager's API key is already in use in this database (is this tenant restored here already?)",
  group: 'two groups of the backup share a display name',
  user: 'two users of the backup share a username, email or externalId',
  member: 'a membership is listed twice',
  appKey: 'an application key is already in use in this database (is this tenant restored here already?)',
};

/**
 * Restores a tenant from a backup (backup-service.ts) into this database, streaming: lines are
 * read, checked and written in batches inside one transaction, so a file that turns out bad at
 * any line (damaged, truncated, out of order, conflicting) leaves nothing written. Every row gets
 * a new id; references (members, keys, audit actors and targets) are rewritten to them.
 */
export class RestoreService {
  constructor(
    private readonly store: Store,
    private readonly secrets: SecretBox,
  ) {}

  /**
   * Root only: a restore creates a tenant, with managers and keys. The body is spooled to a private
   * temporary file first: a request must be received within the server's request timeout, and the
   * restore itself may take longer than that.
   */
  async restore(p: Principal, body: AsyncIterable<Buffer | string>, o: RestoreOptions): Promise<RestoreResult> {
    if (p.kind !== 'root') throw forbidden('only the root key restores tenants (a restore creates a tenant)');
    if (o.as !== undefined) validateLicenseCode(o.as);
    const dir = await mkdtemp(join(tmpdir(), 'roster-restore-'));
    try {
      const file = join(dir, 'backup');
      await pipeline(body, createWriteStream(file, { mode: 0o600 }));
      return await this.restoreUnchecked(createReadStream(file, { highWaterMark: 256 * 1024 }), o, p);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The CLI (the operator). */
  async restoreUnchecked(
    source: AsyncIterable<Buffer | string>,
    o: RestoreOptions,
    actor: Actor = 'root',
  ): Promise<RestoreResult> {
    if (o.as !== undefined) validateLicenseCode(o.as);
    const lines = backupLines(source)[Symbol.asyncIterator]();
    const header = (await lines.next()).value as BackupLine;
    const next = await lines.next();
    if (next.done || next.value.type !== 'tenant')
      throw badBackup(next.done ? header.line + 1 : next.value.line, 'the tenant record must follow the header');
    const source_ = next.value.value;
    const licenseCode = o.as ?? (source_.licenseCode as string);
    const taken = () =>
      conflict(
        'tenant.license_code_taken',
        `a tenant with license code "${licenseCode}" already exists in this database: restore under another code (--as <code>, ?as=<code>)`,
        'licenseCode',
      );
    if (await this.store.tenants.byLicenseCode(licenseCode)) throw taken();

    const result = await this.store.imports.withImportSettings(() =>
      this.store.transactionChangingAccess(async (tx) => {
        let tenantId: number;
        try {
          tenantId = await tx.restores.insertTenant({
            name: source_.name as string,
            licenseCode,
            settings: source_.settings as TenantSettings,
            createdAt: date(next.value.line, source_.createdAt),
            updatedAt: date(next.value.line, source_.updatedAt),
          });
        } catch (e) {
          if (uniqueViolation(e)) throw taken();
          throw e;
        }
        const restore = new TenantRestore(tx, this.secrets, tenantId, {
          header: header.value,
          actor: actorName(actor),
          licenseCode,
        });
        for (let n = await lines.next(); !n.done; n = await lines.next()) await restore.take(n.value);
        const counts = await restore.finish();
        return { tenant: (await tx.tenants.byId(tenantId))!, counts, webhooksDisabled: restore.webhooksDisabled };
      }),
    );
    // Better statistics are an optimisation: a failed ANALYZE must not fail the restore.
    if (result.counts.user + result.counts.audit >= 10_000) await this.store.restores.analyze().catch(() => {});
    const h = header.value;
    return {
      ...result,
      backup: {
        rosterVersion: h.rosterVersion as string,
        database: h.database as string,
        createdAt: h.createdAt as string,
      },
    };
  }
}

/** One restore in progress, inside its transaction: the id maps, the batch being gathered, the counts. */
class TenantRestore {
  private readonly managers = new Map<number, number>();
  private readonly groups = new Map<number, number>();
  private readonly users = new UserIds();
  private readonly counts = emptyCounts();
  private section = 0;
  private batch: { type: Section; first: number; last: number; rows: unknown[] } | null = null;
  private ended: { line: number; counts: BackupCounts } | null = null;
  private lastLine = 2;
  private restoreRecorded = false;
  webhooksDisabled = 0;

  constructor(
    private readonly tx: Store,
    private readonly secrets: SecretBox,
    private readonly tenantId: number,
    private readonly about: { header: Record<string, unknown>; actor: string; licenseCode: string },
  ) {}

  async take(r: BackupLine): Promise<void> {
    const { line, type, value: v } = r;
    this.lastLine = line;
    if (this.ended) throw badBackup(line, 'a record after the end record');
    if (type === 'roster-backup') throw badBackup(line, 'a second header');
    if (type === 'end') {
      await this.flush();
      this.ended = { line, counts: v.counts as BackupCounts };
      return;
    }
    if (type === 'tenant') throw badBackup(line, 'a second tenant record');
    const at = SECTIONS.indexOf(type);
    if (at < this.section)
      throw badBackup(
        line,
        `a ${type} record after the ${SECTIONS[this.section]} records (the order is ${SECTIONS.join(', ')})`,
      );
    if (at > this.section) {
      await this.flush();
      this.section = at;
    }
    this.counts[type]++;
    switch (type) {
      case 'manager':
        return this.manager(line, v);
      case 'group':
        return this.group(line, v);
      case 'user':
        if ((v.id as number) <= this.users.last)
          throw badBackup(line, `user ids must ascend (${v.id} after ${this.users.last})`);
        return this.add(type, line, this.user(line, v));
      case 'member':
        return this.add(type, line, { groupId: this.groupId(line, v.groupId), userId: this.userId(line, v.userId) });
      case 'appKey':
        return this.add(type, line, this.appKey(line, v));
      case 'audit':
        return this.add(type, line, this.audit(line, v));
      case 'webhook':
        await this.recordRestore();
        return this.webhook(line, v);
    }
  }

  /** After the last line: the end record's counts must match what was read. */
  async finish(): Promise<BackupCounts> {
    if (!this.ended)
      throw invalid(
        'restore.truncated',
        `the backup ends after line ${this.lastLine} without its end record: it is truncated`,
      );
    for (const [k, n] of Object.entries(this.ended.counts))
      if (this.counts[k as keyof BackupCounts] !== n)
        throw badBackup(
          this.ended.line,
          `the end record counts ${n} ${k} records, the file holds ${this.counts[k as keyof BackupCounts]}`,
        );
    await this.recordRestore();
    return this.counts;
  }

  /**
   * The restore's own audit event, before any webhook subscription exists (the outbox trigger
   * would otherwise queue it, and the restored trail, for delivery).
   */
  private async recordRestore(): Promise<void> {
    if (this.restoreRecorded) return;
    this.restoreRecorded = true;
    const h = this.about.header;
    const changes: AuditChanges = {
      licenseCode: { before: null, after: this.about.licenseCode },
      backupCreatedAt: { before: null, after: h.createdAt },
      backupDatabase: { before: null, after: h.database },
    };
    for (const [k, n] of Object.entries(this.counts))
      if (k !== 'webhook') changes[`${k}s`] = { before: null, after: n };
    await recordAudit(this.tx, {
      tenantId: this.tenantId,
      actor: this.about.actor,
      action: 'tenant.restore',
      target: `tenant:${this.tenantId}`,
      changes,
    });
  }

  private async add(type: Section, line: number, row: unknown): Promise<void> {
    if (!this.batch) this.batch = { type, first: line, last: line, rows: [] };
    this.batch.rows.push(row);
    this.batch.last = line;
    if (this.batch.rows.length >= BATCH) await this.flush();
  }

  private async flush(): Promise<void> {
    const b = this.batch;
    if (!b) return;
    this.batch = null;
    try {
      if (b.type === 'user') {
        const users = b.rows as BackupUser[];
        const ids = await this.tx.restores.insertUsers(this.tenantId, users);
        this.users.add(
          users.map((u) => u.id),
          ids,
        );
      } else if (b.type === 'member') await this.tx.restores.insertMembers(b.rows as BackupMember[]);
      else if (b.type === 'appKey') await this.tx.restores.insertAppKeys(this.tenantId, b.rows as BackupAppKey[]);
      else if (b.type === 'audit') await this.tx.restores.insertAudit(b.rows as (NewAuditEvent & { at: Date })[]);
    } catch (e) {
      throw this.conflictOf(e, b.type, b.first === b.last ? `line ${b.first}` : `lines ${b.first}-${b.last}`);
    }
  }

  private conflictOf(e: unknown, type: Section, where: string): unknown {
    const hit = uniqueViolation(e);
    if (!hit) return e;
    return conflict('restore.conflict', `${where}: ${CONFLICT[type] ?? 'a row is already there'}`);
  }

  private async manager(line: number, v: Record<string, unknown>): Promise<void> {
    try {
      const id = await this.tx.restores.insertManager(this.tenantId, {
        id: v.id as number,
        name: v.name as string,
        email: v.email as string,
        role: v.role as never,
        keyDigest: v.keyDigest as string,
        passwordHash: v.passwordHash as string | null,
        createdAt: date(line, v.createdAt),
        updatedAt: date(line, v.updatedAt),
      });
      this.managers.set(v.id as number, id);
    } catch (e) {
      throw this.conflictOf(e, 'manager', `line ${line}`);
    }
  }

  private async group(line: number, v: Record<string, unknown>): Promise<void> {
    try {
      const id = await this.tx.restores.insertGroup(this.tenantId, {
        id: v.id as number,
        displayName: v.displayName as string,
        externalId: v.externalId as string | null,
        createdAt: date(line, v.createdAt),
        updatedAt: date(line, v.updatedAt),
        version: v.version as number,
      });
      this.groups.set(v.id as number, id);
    } catch (e) {
      throw this.conflictOf(e, 'group', `line ${line}`);
    }
  }

  private user(line: number, v: Record<string, unknown>): BackupUser {
    const { type: _t, createdAt, updatedAt, lastLoginAt, ...rest } = v;
    return {
      ...(rest as unknown as UserFields & { id: number; version: number; passwordHash: string | null }),
      createdAt: date(line, createdAt),
      updatedAt: date(line, updatedAt),
      lastLoginAt: date(line, lastLoginAt, true),
    };
  }

  private userId(line: number, id: unknown): number {
    const to = this.users.get(id as number);
    if (to === undefined) throw badBackup(line, `user ${String(id)} is not in this backup`);
    return to;
  }

  private groupId(line: number, id: unknown): number {
    const to = this.groups.get(id as number);
    if (to === undefined) throw badBackup(line, `group ${String(id)} is not in this backup`);
    return to;
  }

  private appKey(line: number, v: Record<string, unknown>): BackupAppKey {
    return {
      id: v.id as number,
      userId: this.userId(line, v.userId),
      name: v.name as string,
      keyDigest: v.keyDigest as string,
      usage: v.usage as number,
      createdAt: date(line, v.createdAt),
      lastUsedAt: date(line, v.lastUsedAt, true),
      revokedAt: date(line, v.revokedAt, true),
    };
  }

  /** `user:12`, `manager:3`, `group:4`, `tenant:2` → this database's ids; anything else as it was. */
  private reference(ref: string): string {
    const m = /^(user|manager|group|tenant):(\d+)$/.exec(ref);
    if (!m) return ref;
    const id = Number(m[2]);
    const to =
      m[1] === 'tenant'
        ? this.tenantId
        : m[1] === 'user'
          ? this.users.get(id)
          : (m[1] === 'manager' ? this.managers : this.groups).get(id);
    return to === undefined ? ref : `${m[1]}:${to}`;
  }

  private audit(line: number, v: Record<string, unknown>): NewAuditEvent & { at: Date } {
    return {
      tenantId: this.tenantId,
      at: date(line, v.at),
      actor: this.reference(v.actor as string),
      action: v.action as string,
      target: this.reference(v.target as string),
      changes: v.changes as AuditChanges,
    };
  }

  /**
   * A subscription keeps its secret when this database's ROSTER_SECRET_KEY opens it (the same key
   * as the source's). Otherwise it gets a new secret nobody has seen and is switched off, saying
   * why: its owner rotates the secret (and so learns it) and sets it active.
   */
  private async webhook(line: number, v: Record<string, unknown>): Promise<void> {
    const sealed = v.secret as string | null;
    const keeps = sealed !== null && this.secrets.opens(sealed);
    if (!keeps) this.webhooksDisabled++;
    await this.tx.restores.insertWebhook(this.tenantId, {
      url: v.url as string,
      events: v.events as string[],
      description: v.description as string,
      active: keeps ? (v.active as boolean) : false,
      disabledReason: keeps ? (v.disabledReason as string | null) : SECRET_NOT_RESTORED,
      failingSince: date(line, v.failingSince, true),
      secret: keeps ? sealed : this.secrets.seal(newSecret()),
      createdAt: date(line, v.createdAt),
      updatedAt: date(line, v.updatedAt),
    });
  }
}
