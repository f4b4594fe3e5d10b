import type { Kysely, Selectable } from 'kysely';
import type { Database, EventsTable } from './schema.ts';
import type { UserEvent } from '../domain/event.ts';

function toEvent(r: Selectable<EventsTable>): UserEvent {
  return {
    id: r.id,
    tenantId: r.tenantId,
    userId: r.userId,
    eventName: r.eventName,
    eventTime: new Date(r.eventTime),
    params: typeof r.params === 'string' ? (JSON.parse(r.params) as Record<string, unknown>) : r.params,
    createdAt: new Date(r.createdAt),
  };
}

export interface NewEvent {
  userId: number;
  eventName: string;
  eventTime: number;
  params: Record<string, unknown>;
}

/** Every query here is scoped to one tenant. */
export class EventStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Inserts events in one statement; answers them in the order given. */
  async insertMany(tenantId: number, events: NewEvent[], now = Date.now()): Promise<UserEvent[]> {
    if (events.length === 0) return [];
    const rows = await this.db
      .insertInto('events')
      .values(
        events.map((e) => ({
          tenantId,
          userId: e.userId,
          eventName: e.eventName,
          eventTime: e.eventTime,
          params: JSON.stringify(e.params),
          createdAt: now,
        })),
      )
      .returningAll()
      .execute();
    // Identity ids grow in insertion order on both databases; sort to not rely on RETURNING's order.
    return rows.map(toEvent).sort((a, b) => a.id - b.id);
  }

  /** A user's events, newest first (by event time, then by id), with the total count. */
  async listByUser(
    tenantId: number,
    userId: number,
    page: { limit: number; offset: number },
  ): Promise<{ items: UserEvent[]; total: number }> {
    const base = this.db.selectFrom('events').where('tenantId', '=', tenantId).where('userId', '=', userId);
    const [rows, count] = await Promise.all([
      base
        .selectAll()
        .orderBy('eventTime', 'desc')
        .orderBy('id', 'desc')
        .limit(page.limit)
        .offset(page.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map(toEvent), total: Number(count.n) };
  }
}
