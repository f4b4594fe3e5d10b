import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Store } from '../store/store.ts';
import { DomainError, invalid, notFound, uniqueViolation } from '../domain/errors.ts';
import type { Principal } from '../domain/privileges.ts';
import { DEFAULT_TENANT_SETTINGS, tenantNotFound } from '../domain/tenant.ts';
import {
  emptyCounts,
  MAX_REPORTED_ERRORS,
  type ImportCounts,
  type ImportJob,
  type ImportOptions,
  type RowError,
} from '../domain/import.ts';
import { authorize } from './access.ts';
import { actorName, type Actor } from './audit-service.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { userConflict } from './user-service.ts';
import { csvRecord, prepareRow, rowMessage, type PreparedRow } from './import-row.ts';
import { records, textGuard } from './import-source.ts';
import { applyBatch, KeyIndex, type BatchContext, type BatchResult, type HashedRow } from './import-batch.ts';

/**
 * Rows per write transaction. Big on purpose: every batch rewrites the index pages its rows land
 * on (the name and company indexes take rows all over), so fewer, bigger commits write far less
 * (measured on SQLite: 25,000-row batches import 400k users in 3/4 of the time of 5,000-row
 * ones). A batch holds SQLite's one writer (and this process's one connection) about a second.
 */
const BATCH_ROWS = 20_000;
/** Plain passwords per batch: hashing them takes long (it happens before the transaction; this keeps progress moving). */
const BATCH_PASSWORDS = 200;
/** Plain passwords hashed at once (each on libuv's pool, never on the event loop). */
const HASH_CONCURRENCY = Math.max(2, availableParallelism());
/** Rows read between progress reports while a batch fills (a CLI's bar moves with them). */
const PROGRESS_ROWS = 1_000;
/** How often a batch-mode import writes its progress to the job row. */
const PROGRESS_EVERY_MS = 1000;
/** A running job writes its heartbeat this often… */
const HEARTBEAT_MS = 10_000;
/**
 * …and one silent for this long is taken for dead. Generous: on SQLite an atomic import holds the
 * writer, so another process's heartbeat waits for it (the process running a job never judges it).
 */
export const IMPORT_LEASE_MS = 120_000;

function orphanMessage(job: ImportJob): string {
  const written =
    job.atomic || job.dryRun
      ? 'nothing was written'
      : 'rows of the batches committed before the stop are in (the counts are the last recorded)';
  return `the Roster process running this import stopped before it finished; ${written}. Run the file again (upsert mode skips what is already in).`;
}

export interface ImportProgress {
  counts: ImportCounts;
  bytes: number;
}

export interface RunOptions extends ImportOptions {
  actor: string;
  /** Rows per transaction in batch mode (tests make it small to cross batch boundaries). */
  batchRows?: number;
  onProgress?: (p: ImportProgress) => void;
}

/** The end of a run: counts, first errors, and the reason when the whole import failed. */
export interface RunResult {
  counts: ImportCounts;
  errors: RowError[];
  failed: boolean;
  message: string | null;
}

/** Thrown inside the one transaction of an atomic or dry run to roll it back. */
class Rollback extends Error {}

async function mapLimit<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Imports users from NDJSON or CSV. Rows are checked with the core's rules, written in batched
 * transactions through the import store, and audited in the same transaction. Atomic and dry
 * runs use ONE transaction for the whole file (rolled back on any failed row, or always).
 *
 * Who may: editors and above (users:write) start imports; viewers and above (users:read) read
 * a job. An import can set password hashes, which an editor can do anyway by setting a password.
 */
export class ImportService {
  /** Jobs this process is running: never judged stale here. */
  private readonly runningHere = new Set<number>();
  /** Told how many more rows the jobs of this process have read (for /metrics). */
  onRows?: (n: number) => void;

  constructor(
    private readonly store: Store,
    private readonly hasher: PasswordHasher,
  ) {}

  /** Jobs this process is running now. */
  get running(): number {
    return this.runningHere.size;
  }

  /** HTTP: receives the body into a temporary file (memory stays flat), then runs the job in the background. */
  async start(p: Principal, tenantId: number, body: Readable, opts: ImportOptions): Promise<ImportJob> {
    authorize(p, tenantId, 'users:write');
    if (!(await this.store.tenants.byId(tenantId))) throw tenantNotFound();
    const dir = await mkdtemp(join(tmpdir(), 'roster-import-'));
    const file = join(dir, 'upload');
    try {
      // The text check runs while receiving: binary junk is refused before any job exists.
      await pipeline(textGuard(body), createWriteStream(file));
      if (opts.format === 'csv') await this.checkCsvHeader(file);
      const job = await this.store.importJobs.insert(tenantId, opts, actorName(p));
      void this.execute(job, () => createReadStream(file, { highWaterMark: 256 * 1024 })).finally(() =>
        rm(dir, { recursive: true, force: true }),
      );
      return job;
    } catch (e) {
      body.resume();
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
  }

  async get(p: Principal, tenantId: number, jobId: number): Promise<ImportJob> {
    authorize(p, tenantId, 'users:read');
    const job = await this.store.importJobs.byId(tenantId, jobId);
    if (!job) throw notFound('import.not_found', `import ${jobId} not found`);
    if ((job.state === 'queued' || job.state === 'running') && !this.runningHere.has(job.id)) {
      // Its process stopped (crash, kill -9, power): say so instead of "running" forever.
      const staleBefore = Date.now() - IMPORT_LEASE_MS;
      if (
        job.updatedAt.getTime() < staleBefore &&
        (await this.store.importJobs.failIfStale(tenantId, job.id, staleBefore, orphanMessage(job)))
      ) {
        return (await this.store.importJobs.byId(tenantId, jobId))!;
      }
    }
    return job;
  }

  /** The CLI: records a job like HTTP does, runs it in the foreground and answers its final state. */
  async runLocal(
    tenantId: number,
    open: () => Readable,
    opts: ImportOptions & { actor?: Actor; onProgress?: (p: ImportProgress) => void },
  ): Promise<ImportJob> {
    if (!(await this.store.tenants.byId(tenantId))) throw tenantNotFound();
    const job = await this.store.importJobs.insert(tenantId, opts, actorName(opts.actor ?? 'root'));
    await this.execute(job, open, opts.onProgress);
    return (await this.store.importJobs.byId(tenantId, job.id))!;
  }

  private async checkCsvHeader(file: string): Promise<void> {
    const it = records('csv', createReadStream(file, { highWaterMark: 64 * 1024 }));
    try {
      await it.next(); // throws import.bad_file for an empty file or a wrong header
    } finally {
      await it.return(undefined);
    }
  }

  private async execute(job: ImportJob, open: () => Readable, onProgress?: (p: ImportProgress) => void): Promise<void> {
    const { tenantId } = job;
    this.runningHere.add(job.id);
    // The job's heartbeat (updatedAt), written outside the import's transactions: other processes
    // tell a live job from one whose process died by it (see get).
    const heartbeat = setInterval(
      () => void this.store.importJobs.update(tenantId, job.id, {}).catch(() => {}),
      HEARTBEAT_MS,
    );
    heartbeat.unref();
    try {
      await this.store.importJobs.update(tenantId, job.id, { state: 'running' });
      let lastWrite = Date.now();
      let rowsSeen = 0;
      const r = await this.run(tenantId, open(), {
        format: job.format,
        mode: job.mode,
        dryRun: job.dryRun,
        atomic: job.atomic,
        actor: job.actor,
        onProgress: (pr) => {
          onProgress?.(pr);
          this.onRows?.(pr.counts.rows - rowsSeen);
          rowsSeen = pr.counts.rows;
          // Only batch mode: an atomic run holds the transaction (on SQLite, the only connection).
          if (job.atomic || job.dryRun || Date.now() - lastWrite < PROGRESS_EVERY_MS) return;
          lastWrite = Date.now();
          void this.store.importJobs.update(tenantId, job.id, { counts: pr.counts }).catch(() => {});
        },
      });
      this.onRows?.(r.counts.rows - rowsSeen);
      await this.store.importJobs.update(tenantId, job.id, {
        state: r.failed ? 'failed' : 'done',
        counts: r.counts,
        errors: r.errors,
        message: r.message,
        finished: true,
      });
    } catch (e) {
      const message = e instanceof DomainError ? e.message : 'the import stopped on an internal error';
      await this.store.importJobs
        .update(tenantId, job.id, { state: 'failed', message, finished: true })
        .catch(() => {});
    } finally {
      clearInterval(heartbeat);
      this.runningHere.delete(job.id);
    }
  }

  /** Reads, checks and writes a whole file. File-level problems end as `failed` with a message. */
  run(tenantId: number, source: AsyncIterable<Buffer>, o: RunOptions): Promise<RunResult> {
    return this.store.imports.withImportSettings(() => this.runWith(tenantId, source, o));
  }

  private async runWith(tenantId: number, source: AsyncIterable<Buffer>, o: RunOptions): Promise<RunResult> {
    const tenant = await this.store.tenants.byId(tenantId);
    if (!tenant) throw tenantNotFound();
    const minLength = (tenant.settings ?? DEFAULT_TENANT_SETTINGS).passwordMinLength;
    const counts = emptyCounts();
    const errors: RowError[] = [];
    let bytes = 0;
    const fail = (line: number, message: string) => {
      counts.failed++;
      if (errors.length < MAX_REPORTED_ERRORS) errors.push({ line, message });
    };
    const ctx: BatchContext = { tenantId, mode: o.mode, actor: o.actor, audit: !o.dryRun, now: Date.now() };

    const consume = async (reader: Store, write: (rows: HashedRow[]) => Promise<BatchResult>) => {
      let batch: PreparedRow[] = [];
      let passwords = 0;
      const flush = async () => {
        ctx.now = Date.now();
        const hashed = await this.hashPasswords(reader, tenantId, o, batch);
        const r = await write(hashed);
        counts.created += r.created;
        counts.updated += r.updated;
        counts.unchanged += r.unchanged;
        for (const e of r.errors) fail(e.line, e.message);
        batch = [];
        passwords = 0;
        o.onProgress?.({ counts: { ...counts }, bytes });
      };
      let header: string[] | null = null;
      for await (const rec of records(
        o.format,
        textGuard(source, (n) => (bytes += n)),
      )) {
        if (o.format === 'csv' && !header) {
          header = rec.value as string[];
          continue;
        }
        counts.rows++;
        if (counts.rows % PROGRESS_ROWS === 0) o.onProgress?.({ counts: { ...counts }, bytes });
        if (rec.error) {
          fail(rec.line, `line ${rec.line} ${rec.error}`);
          continue;
        }
        try {
          const raw = header ? csvRecord(header, rec.value as string[]) : (rec.value as Record<string, unknown>);
          const row = prepareRow(rec.line, raw, o.mode, minLength);
          batch.push(row);
          if (row.password !== undefined) passwords++;
        } catch (e) {
          fail(rec.line, `line ${rec.line}: ${rowMessage(e)}`);
          continue;
        }
        if (batch.length >= (o.batchRows ?? BATCH_ROWS) || passwords >= BATCH_PASSWORDS) await flush();
      }
      if (batch.length > 0) await flush();
    };

    const withLine = (r: BatchResult): BatchResult => ({
      ...r,
      errors: r.errors.map((e) => ({ line: e.line, message: `line ${e.line}: ${e.message}` })),
    });
    const sorted = () => [...errors].sort((a, b) => a.line - b.line);

    try {
      if (o.atomic || o.dryRun) {
        try {
          await this.store.transaction(async (tx) => {
            await consume(tx, async (rows) => withLine(await this.writeOrFail(tx, ctx, rows)));
            if (o.dryRun || counts.failed > 0) throw new Rollback();
          });
        } catch (e) {
          if (!(e instanceof Rollback)) throw e;
        }
        if (o.dryRun) return { counts, errors: sorted(), failed: false, message: 'dry run: nothing was written' };
        if (counts.failed > 0) {
          return {
            counts: { ...counts, created: 0, updated: 0, unchanged: 0 },
            errors: sorted(),
            failed: true,
            message: `${counts.failed} row(s) failed; atomic import: nothing was written`,
          };
        }
        return { counts, errors: [], failed: false, message: null };
      }
      await consume(this.store, async (rows) => withLine(await this.writeBatch(ctx, rows)));
      return { counts, errors: sorted(), failed: false, message: null };
    } catch (e) {
      if (e instanceof DomainError) {
        const written =
          o.atomic || o.dryRun
            ? 'nothing was written'
            : `rows before it were written (${counts.created} created, ${counts.updated} updated)`;
        return { counts, errors: sorted(), failed: true, message: `${e.message}; ${written}` };
      }
      throw e;
    }
  }

  /** Batch mode: one transaction per batch; on a race with another writer, row by row. */
  private async writeBatch(ctx: BatchContext, rows: HashedRow[]): Promise<BatchResult> {
    try {
      return await this.store.transaction((tx) => applyBatch(tx, ctx, rows));
    } catch (e) {
      if (!uniqueViolation(e)) throw e;
    }
    const total: BatchResult = { created: 0, updated: 0, unchanged: 0, errors: [] };
    for (const row of rows) {
      try {
        const r = await this.store.transaction((tx) => applyBatch(tx, ctx, [row]));
        total.created += r.created;
        total.updated += r.updated;
        total.unchanged += r.unchanged;
        total.errors.push(...r.errors);
      } catch (e) {
        const c = userConflict(e);
        if (!c) throw e;
        total.errors.push({ line: row.line, message: c.message });
      }
    }
    return total;
  }

  /** Atomic mode: a race with another writer fails the whole import (nothing is written). */
  private async writeOrFail(tx: Store, ctx: BatchContext, rows: HashedRow[]): Promise<BatchResult> {
    try {
      return await applyBatch(tx, ctx, rows);
    } catch (e) {
      const c = userConflict(e);
      if (c)
        throw invalid(
          'import.conflict',
          `a row between lines ${rows[0].line} and ${rows[rows.length - 1].line} conflicts with a user written meanwhile (${c.message})`,
        );
      throw e;
    }
  }

  /**
   * Hashes plain passwords before the write transaction, a few at a time on libuv's pool. In
   * upsert mode a password that already verifies against the matched user's hash is kept, so
   * importing the same file twice changes nothing. Dry runs do not hash.
   */
  private async hashPasswords(
    reader: Store,
    tenantId: number,
    o: RunOptions,
    rows: PreparedRow[],
  ): Promise<HashedRow[]> {
    const withPassword = rows.filter((r) => r.password !== undefined) as HashedRow[];
    if (withPassword.length === 0) return rows;
    const index = o.mode === 'upsert' ? await KeyIndex.load(reader, tenantId, withPassword) : null;
    await mapLimit(withPassword, HASH_CONCURRENCY, async (row) => {
      const stored = index?.target(row.input)?.passwordHash;
      if (stored && (await this.hasher.verify(stored, row.password!)).ok) {
        row.keepsHash = stored;
        return;
      }
      row.newHash = o.dryRun ? '$dry-run$' : await this.hasher.hash(row.password!);
    });
    return rows;
  }
}
