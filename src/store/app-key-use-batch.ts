import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { AppKeyUse } from '../domain/app-key.ts';

interface PendingUse {
  tenantId: number;
  digest: string;
  cost: number;
  resolve: (use: AppKeyUse | null) => void;
  reject: (error: unknown) => void;
}

/** Uses per statement: enough to share a commit among every connection's verify, few enough to keep the arrays small. */
const MAX_BATCH = 256;
/** Statements in flight at once per process: while one waits for its commit, the next one fills. */
const MAX_IN_FLIGHT = 2;

/**
 * Key verification on PostgreSQL, batched: the uses asked for while earlier ones are being committed
 * go to the database together as ONE statement, so they share one commit (one WAL flush). On our
 * machines a flush takes ~2 ms and every verify was its own commit, which capped verification near
 * 2,500/s however fast Roster was. A use is answered only after its statement
 * committed, so every answered use is counted, exactly once.
 *
 * Uses of the same key in one batch are summed into one update of its row; each is answered with
 * the usage it would have seen had they run one after another, in arrival order. Rows are locked
 * in id order, so two batches (of this process or another) touching the same keys cannot deadlock.
 */
export class AppKeyUseBatch {
  private queue: PendingUse[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly db: Kysely<Database>) {}

  consume(tenantId: number, digest: string, cost: number): Promise<AppKeyUse | null> {
    return new Promise((resolve, reject) => {
      this.queue.push({ tenantId, digest, cost, resolve, reject });
      if (this.scheduled || this.inFlight >= MAX_IN_FLIGHT) return;
      this.scheduled = true;
      // After the poll phase: the verifies read in this turn of the event loop join one batch.
      setImmediate(() => {
        this.scheduled = false;
        this.pump();
      });
    });
  }

  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async send(batch: PendingUse[]): Promise<void> {
    let rows: UsedKeyRow[];
    try {
      rows = await this.apply(batch);
    } catch (error) {
      // The statement did not commit: none of these uses was counted.
      for (const use of batch) use.reject(error);
      return;
    }
    const byKey = new Map<string, { row: UsedKeyRow; usage: number }>();
    for (const row of rows) byKey.set(keyOf(Number(row.tenantId), row.keyDigest), { row, usage: Number(row.before) });
    for (const use of batch) {
      const hit = byKey.get(keyOf(use.tenantId, use.digest));
      if (!hit) {
        use.resolve(null);
        continue;
      }
      hit.usage += use.cost;
      use.resolve({
        keyId: Number(hit.row.id),
        userId: Number(hit.row.userId),
        usage: hit.usage,
        username: hit.row.username ?? null,
      });
    }
  }

  private async apply(batch: PendingUse[]): Promise<UsedKeyRow[]> {
    const tenantIds = batch.map((u) => u.tenantId);
    const digests = batch.map((u) => u.digest);
    const costs = batch.map((u) => u.cost);
    // `hit` locks each used key (of an active owner) in id order and reads its usage as of that
    // lock; the update then adds the batch's total for the key. Same rules as AppKeyStore.consume.
    const result = await sql<UsedKeyRow>`
      with used as (
        select u.tenant_id, u.key_digest, sum(u.cost) as total
        from unnest(${tenantIds}::bigint[], ${digests}::text[], ${costs}::double precision[]) as u(tenant_id, key_digest, cost)
        group by u.tenant_id, u.key_digest
      ), hit as materialized (
        select k.id, k.usage as before, used.total, used.tenant_id, used.key_digest
        from app_keys k
        join used on k.key_digest = used.key_digest and k.tenant_id = used.tenant_id
        where k.revoked_at is null
          and exists (select 1 from users o where o.id = k.user_id and o.tenant_id = used.tenant_id and o.active = 1)
        order by k.id
        for update of k
      )
      update app_keys k set usage = hit.before + hit.total, last_used_at = ${Date.now()}
      from hit
      where k.id = hit.id
      returning hit.tenant_id, hit.key_digest, k.id, k.user_id, hit.before,
        (select o.username from users o where o.id = k.user_id) as username`.execute(this.db);
    return result.rows;
  }
}

interface UsedKeyRow {
  tenantId: number | string;
  keyDigest: string;
  id: number | string;
  userId: number | string;
  before: number;
  username: string | null;
}

const keyOf = (tenantId: number, digest: string) => `${tenantId}\u0000${digest}`;
