import type { Store } from '../store/store.ts';
import type { StoredUser } from '../store/import-store.ts';
import { tenantNotFound } from '../domain/tenant.ts';
import type { Principal } from '../domain/privileges.ts';
import { USER_FIELD_NAMES } from '../domain/user-fields.ts';
import { authorize } from './access.ts';
import { escapeFormula } from './csv-formula.ts';
import { ATTR_PREFIX, attributeToCell } from './import-row.ts';

/** Users per keyset page: the only rows in memory at any time. */
const PAGE = 1000;

export type ExportFormat = 'ndjson' | 'csv';
export interface ExportOptions {
  format: ExportFormat;
  /** Adds `passwordHash` (the stored string: argon2id, or a legacy format not yet upgraded). */
  withPasswordHashes: boolean;
}

/** One user as an export writes it: the core fields by their core names (no tenantId). */
export function exportRecord(u: StoredUser, withHash: boolean): Record<string, unknown> {
  const { tenantId: _t, passwordHash, ...rest } = u;
  return {
    ...rest,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
    lastLoginAt: u.lastLoginAt ? u.lastLoginAt.toISOString() : null,
    ...(withHash ? { passwordHash } : {}),
  };
}

/** CSV columns besides attr.<name>: every declared field but the attributes object, in declaration order. */
const CSV_FIXED = [
  'id',
  ...USER_FIELD_NAMES.filter((f) => f !== 'attributes' && f !== 'directory'),
  'hasPassword',
  'createdAt',
  'updatedAt',
  'lastLoginAt',
  'version',
];

function csvCell(v: unknown): string {
  const s = escapeFormula(v === null || v === undefined ? '' : typeof v === 'string' ? v : String(v));
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Exports a tenant's users as NDJSON or CSV, page by page (keyset by id), so memory stays flat
 * whatever the tenant's size. Owners only (users:export), hashes included only when asked for.
 */
export class ExportService {
  constructor(private readonly store: Store) {}

  /** Checks access and the tenant first (so an HTTP answer can still be an error), then streams. */
  async open(p: Principal, tenantId: number, o: ExportOptions): Promise<AsyncGenerator<string>> {
    authorize(p, tenantId, 'users:export');
    return this.openUnchecked(tenantId, o);
  }

  /** The CLI (the operator). */
  async openUnchecked(tenantId: number, o: ExportOptions): Promise<AsyncGenerator<string>> {
    if (!(await this.store.tenants.byId(tenantId))) throw tenantNotFound();
    return o.format === 'csv' ? this.csv(tenantId, o.withPasswordHashes) : this.ndjson(tenantId, o.withPasswordHashes);
  }

  private async *pages(tenantId: number, withHash: boolean): AsyncGenerator<StoredUser[]> {
    let after = 0;
    for (;;) {
      const page = await this.store.exports.page(tenantId, after, PAGE, withHash);
      if (page.length === 0) return;
      yield page;
      after = page[page.length - 1].id;
      if (page.length < PAGE) return;
    }
  }

  private async *ndjson(tenantId: number, withHash: boolean): AsyncGenerator<string> {
    for await (const page of this.pages(tenantId, withHash)) {
      yield page.map((u) => JSON.stringify(exportRecord(u, withHash))).join('\n') + '\n';
    }
  }

  /** CSV needs its attr.<name> columns up front: a first pass over the attributes alone collects them. */
  private async *csv(tenantId: number, withHash: boolean): AsyncGenerator<string> {
    const keys = new Set<string>();
    for (let after = 0; ;) {
      const page = await this.store.exports.attributesPage(tenantId, after, PAGE * 5);
      for (const r of page) for (const k of Object.keys(r.attributes)) keys.add(k);
      if (page.length < PAGE * 5) break;
      after = page[page.length - 1].id;
    }
    const attrs = [...keys].sort();
    const columns = [...CSV_FIXED, ...(withHash ? ['passwordHash'] : []), ...attrs.map((k) => ATTR_PREFIX + k)];
    yield columns.join(',') + '\r\n';
    for await (const page of this.pages(tenantId, withHash)) {
      let out = '';
      for (const u of page) {
        const rec = exportRecord(u, withHash);
        const cells = CSV_FIXED.map((c) => csvCell(rec[c]));
        if (withHash) cells.push(csvCell(u.passwordHash));
        for (const k of attrs) cells.push(k in u.attributes ? csvCell(attributeToCell(u.attributes[k])) : '');
        out += cells.join(',') + '\r\n';
      }
      yield out;
    }
  }
}
