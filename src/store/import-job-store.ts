import type { Kysely, Selectable } from 'kysely';
import type { Database, ImportsTable } from './schema.ts';
import type { ImportCounts, ImportJob, ImportOptions, ImportState, RowError } from '../domain/import.ts';

function toJob(r: Selectable<ImportsTable>): ImportJob {
  const errors =
    r.errors === null
      ? []
      : typeof r.errors === 'string'
        ? (JSON.parse(r.errors) as RowError[])
        : (r.errors as RowError[]);
  return {
    id: r.id,
    tenantId: r.tenantId,
    state: r.state as ImportState,
    format: r.format as ImportOptions['format'],
    mode: r.mode as ImportOptions['mode'],
    dryRun: Boolean(r.dryRun),
    atomic: Boolean(r.atomic),
    actor: r.actor,
    counts: { rows: r.rows, created: r.created, updated: r.updated, unchanged: r.unchanged, failed: r.failed },
    errors,
    message: r.message,
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
    finishedAt: r.finishedAt === null ? null : new Date(r.finishedAt),
  };
}

/** Import jobs (state, counts, first errors); every query is scoped to one tenant. */
export class ImportJobStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(tenantId: number, o: ImportOptions, actor: string, now = Date.now()): Promise<ImportJob> {
    const r = await this.db
      .insertInto('imports')
      .values({
        tenantId,
        state: 'queued',
        format: o.format,
        mode: o.mode,
        dryRun: o.dryRun ? 1 : 0,
        atomic: o.atomic ? 1 : 0,
        actor,
        rows: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        failed: 0,
        errors: null,
        message: null,
        createdAt: now,
        updatedAt: now,
        finishedAt: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toJob(r);
  }

  async byId(tenantId: number, id: number): Promise<ImportJob | null> {
    const r = await this.db
      .selectFrom('imports')
      .selectAll()
      .where('tenantId', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? toJob(r) : null;
  }

  /**
   * Ends a queued or running job whose heartbeat stopped before `staleBefore` (its process died):
   * `failed` with `message`. Answers whether it did (a live process's heartbeat wins the race).
   */
  async failIfStale(
    tenantId: number,
    id: number,
    staleBefore: number,
    message: string,
    now = Date.now(),
  ): Promise<boolean> {
    const r = await this.db
      .updateTable('imports')
      .set({ state: 'failed', message, finishedAt: now, updatedAt: now })
      .where('tenantId', '=', tenantId)
      .where('id', '=', id)
      .where('state', 'in', ['queued', 'running'])
      .where('updatedAt', '<', staleBefore)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Records progress (or the end, with `state` done/failed and `finished`). */
  async update(
    tenantId: number,
    id: number,
    u: { state?: ImportState; counts?: ImportCounts; errors?: RowError[]; message?: string | null; finished?: boolean },
    now = Date.now(),
  ): Promise<void> {
    await this.db
      .updateTable('imports')
      .set({
        ...(u.state ? { state: u.state } : {}),
        ...(u.counts ? { ...u.counts } : {}),
        ...(u.errors ? { errors: JSON.stringify(u.errors) } : {}),
        ...(u.message !== undefined ? { message: u.message } : {}),
        ...(u.finished ? { finishedAt: now } : {}),
        updatedAt: now,
      })
      .where('tenantId', '=', tenantId)
      .where('id', '=', id)
      .execute();
  }
}
