import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Store } from '../store/store.ts';
import type { BackupStore } from '../store/backup-store.ts';
import { tenantNotFound } from '../domain/tenant.ts';
import { requirePrivilege, type Principal } from '../domain/privileges.ts';
import type { BackupTenant } from '../domain/backup.ts';
import { authorize } from './access.ts';
import { isSealed } from './secret-box.ts';
import { BACKUP_FORMAT, HEADER_TYPE, emptyCounts, type BackupCounts } from './backup-records.ts';
import { ROSTER_VERSION } from '../version.ts';

/** Rows per keyset page: the only rows in memory at any time. */
const PAGE = 1000;

export interface BackupOptions {
  /** Adds the tenant's audit trail. */
  withAudit: boolean;
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/** Pages of rows by id, until a short page. */
async function* paged<T extends { id: number }>(read: (afterId: number) => Promise<T[]>): AsyncGenerator<T[]> {
  for (let after = 0; ;) {
    const page = await read(after);
    if (page.length > 0) yield page;
    if (page.length < PAGE) return;
    after = page[page.length - 1].id;
  }
}

/**
 * Whole-tenant backups: the tenant's settings, managers, groups and members, users with their
 * password hashes, application keys, webhook subscriptions and optionally the audit trail, as one
 * gzipped NDJSON stream (format in backup-records.ts). Every row is read from one snapshot, so the
 * file is the tenant as of one moment while writes go on; pages are read and written one at a
 * time, so memory stays flat whatever the tenant's size. Secrets appear only as stored: hashes and
 * digests; a webhook secret only sealed under ROSTER_SECRET_KEY (else it is left out).
 */
export class BackupService {
  constructor(private readonly store: Store) {}

  /** Owners of the tenant, and root. The snapshot is taken and the tenant found before streaming starts. */
  async open(p: Principal, tenantId: number, o: BackupOptions): Promise<{ tenant: BackupTenant; file: Readable }> {
    authorize(p, tenantId, 'tenant:backup');
    if (o.withAudit) requirePrivilege(p, 'audit:read');
    return this.openUnchecked(tenantId, o);
  }

  /** The CLI (the operator). */
  async openUnchecked(tenantId: number, o: BackupOptions): Promise<{ tenant: BackupTenant; file: Readable }> {
    const snapshot = await this.store.openBackup();
    let tenant: BackupTenant | null;
    try {
      tenant = await snapshot.tenant(tenantId);
      if (!tenant) throw tenantNotFound();
    } catch (e) {
      await snapshot.end();
      throw e;
    }
    const file = createGzip();
    // A consumer that stops reading (a closed pipe, a dropped connection) ends the snapshot too.
    pipeline(Readable.from(this.lines(snapshot, tenant, o)), file).catch(() => {});
    return { tenant, file };
  }

  private async *lines(s: BackupStore, t: BackupTenant, o: BackupOptions): AsyncGenerator<string> {
    try {
      const counts: BackupCounts = emptyCounts();
      const line = (v: unknown) => JSON.stringify(v) + '\n';
      const out = (type: keyof BackupCounts, records: unknown[]) => {
        counts[type] += records.length;
        return records.map(line).join('');
      };
      yield line({
        type: HEADER_TYPE,
        format: BACKUP_FORMAT,
        rosterVersion: ROSTER_VERSION,
        database: this.store.kind,
        createdAt: new Date().toISOString(),
        tenant: { id: t.id, licenseCode: t.licenseCode },
        withAudit: o.withAudit,
      });
      yield line({ type: 'tenant', ...t, createdAt: iso(t.createdAt), updatedAt: iso(t.updatedAt) });
      for await (const page of paged((after) => s.managers(t.id, after, PAGE)))
        yield out(
          'manager',
          page.map((m) => ({ type: 'manager', ...m, createdAt: iso(m.createdAt), updatedAt: iso(m.updatedAt) })),
        );
      for await (const page of paged((after) => s.groups(t.id, after, PAGE)))
        yield out(
          'group',
          page.map((g) => ({ type: 'group', ...g, createdAt: iso(g.createdAt), updatedAt: iso(g.updatedAt) })),
        );
      for await (const page of paged((after) => s.users(t.id, after, PAGE)))
        yield out(
          'user',
          page.map((u) => ({
            type: 'user',
            ...u,
            createdAt: iso(u.createdAt),
            updatedAt: iso(u.updatedAt),
            lastLoginAt: iso(u.lastLoginAt),
          })),
        );
      for (let after = { groupId: 0, userId: 0 }; ;) {
        const page = await s.members(t.id, after, PAGE);
        if (page.length > 0)
          yield out(
            'member',
            page.map((m) => ({ type: 'member', ...m })),
          );
        if (page.length < PAGE) break;
        after = page[page.length - 1];
      }
      for await (const page of paged((after) => s.appKeys(t.id, after, PAGE)))
        yield out(
          'appKey',
          page.map((k) => ({
            type: 'appKey',
            ...k,
            createdAt: iso(k.createdAt),
            lastUsedAt: iso(k.lastUsedAt),
            revokedAt: iso(k.revokedAt),
          })),
        );
      if (o.withAudit)
        for await (const page of paged((after) => s.audit(t.id, after, PAGE)))
          yield out(
            'audit',
            page.map(({ tenantId: _t, ...e }) => ({ type: 'audit', ...e, at: iso(e.at) })),
          );
      for await (const page of paged((after) => s.webhooks(t.id, after, PAGE)))
        yield out(
          'webhook',
          page.map((w) => ({
            type: 'webhook',
            ...w,
            // Only a sealed secret leaves the database; an unsealed one is plain text.
            secret: isSealed(w.secret) ? w.secret : null,
            failingSince: iso(w.failingSince),
            createdAt: iso(w.createdAt),
            updatedAt: iso(w.updatedAt),
          })),
        );
      yield line({ type: 'end', counts });
    } finally {
      await s.end();
    }
  }
}
