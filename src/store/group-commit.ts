import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { sqliteConnection } from './database.ts';

type Work<T> = (trx: Kysely<Database>) => Promise<T>;
interface Job {
  work: Work<unknown>;
  /** One statement: atomic by itself, so it needs no savepoint of its own. */
  single: boolean;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** Jobs per shared transaction: enough to amortise a commit, few enough to keep each caller's wait short. */
const MAX_GROUP = 64;

const SAVEPOINT = CompiledQuery.raw('savepoint job');
const RELEASE = CompiledQuery.raw('release job');
const ROLLBACK_TO = CompiledQuery.raw('rollback to job');

/**
 * Group commit for SQLite's single writer: the transactions requested in one turn of the event loop
 * run one after another inside one database transaction and are committed together. Each runs in
 * its own savepoint, so one that fails is undone alone and rejected with its own error; the others
 * are answered only after the shared COMMIT, so an answered write is a committed write.
 *
 * Why: a commit writes every page the transaction touched (the user row, a dozen index pages, the
 * audit row and its indexes) to the WAL, once per transaction. One create per transaction spent
 * most of its time there; a group shares those writes.
 */
export class GroupCommit {
  private queue: Job[] = [];
  private scheduled = false;
  private running = false;

  constructor(private readonly db: Kysely<Database>) {}

  run<T>(work: Work<T>, opts: { single?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, single: opts.single ?? false, resolve, reject } as Job);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    // After the poll phase: every request read in this turn of the loop has queued its job by then.
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) await this.runGroup(this.queue.splice(0, MAX_GROUP));
    } finally {
      this.running = false;
    }
  }

  private async runGroup(group: Job[]): Promise<void> {
    if (group.length === 1) {
      const [job] = group;
      await this.db.transaction().execute(job.work).then(job.resolve, job.reject);
      return;
    }
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const job of group) {
          if (job.single) {
            // A failing statement undoes only itself (SQLite's statement journal), unless the error
            // rolled back the whole transaction (disk full, I/O): then the group must fail.
            try {
              outcomes.push({ ok: true, value: await job.work(trx) });
            } catch (error) {
              if (!sqliteConnection(trx)?.inTransaction) throw error;
              outcomes.push({ ok: false, error });
            }
            continue;
          }
          await trx.executeQuery(SAVEPOINT);
          try {
            const value = await job.work(trx);
            await trx.executeQuery(RELEASE);
            outcomes.push({ ok: true, value });
          } catch (error) {
            // Undo this job alone; if even that fails, the whole group fails below.
            await trx.executeQuery(ROLLBACK_TO);
            await trx.executeQuery(RELEASE);
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // The shared transaction did not commit: nothing of any job was written.
      group.forEach((job, i) => {
        const o = outcomes[i];
        job.reject(o && !o.ok ? o.error : error);
      });
      return;
    }
    group.forEach((job, i) => {
      const o = outcomes[i];
      if (o.ok) job.resolve(o.value);
      else job.reject(o.error);
    });
  }
}
