import type { Compilable, CompiledQuery, Kysely, RawBuilder } from 'kysely';

const STAND_IN = /^\u0000v(\d+)\u0000$/;
const standInIndex = (p: unknown): number | null => {
  const m = typeof p === 'string' ? STAND_IN.exec(p) : null;
  return m ? Number(m[1]) : null;
};

/**
 * The values of one list query. Built with `bind`, its SQL holds stand-ins naming each value's
 * position instead of the values, so the same SQL serves every query of the same shape.
 */
export class ListValues {
  readonly values: unknown[] = [];
  readonly bind = (value: unknown): unknown => {
    this.values.push(value);
    return `\u0000v${this.values.length - 1}\u0000`;
  };
}

/**
 * The shape of a piece of SQL built with stand-ins: its text and which value goes where. A value
 * that did not pass through `bind` is part of the shape itself, so it can never be reused for
 * another value.
 */
export function shapeOf(db: Kysely<any>, piece: RawBuilder<unknown> | null): string {
  if (!piece) return '';
  const c = piece.compile(db);
  return `${c.sql}\u0001${c.parameters.map((p) => standInIndex(p) ?? `=${JSON.stringify(p)}`).join(',')}`;
}

interface Shaped {
  query: CompiledQuery<unknown>;
  /** For each parameter of the query, the position of its value in ListValues. */
  slots: number[];
}

const shaped = new WeakMap<object, Map<string, Shaped>>();
/** Distinct shapes kept per database (filters are built from a closed set of fields and operators). */
const MAX_SHAPES = 500;

/**
 * Runs a list query compiled once per shape. Kysely builds, transforms and compiles a list query
 * anew on every page (~15% of a SQLite list page's CPU at 1,000,000 users); `key` must name
 * everything the SQL depends on (shapeOf of its pieces, the sort, which clauses are present).
 * The compiled query's stand-ins are replaced by this call's values. A parameter that is not a
 * stand-in (a value bound without `bind`) keeps the query out of the cache.
 */
export async function runShaped(db: Kysely<any>, key: string, build: () => Compilable<unknown>, vals: ListValues): Promise<Record<string, unknown>[]> {
  const adapter = db.getExecutor().adapter;
  let byKey = shaped.get(adapter);
  if (!byKey) shaped.set(adapter, (byKey = new Map()));
  let entry = byKey.get(key);
  if (!entry) {
    const query = build().compile();
    const slots = query.parameters.map(standInIndex);
    if (slots.some((s) => s === null)) {
      const parameters = query.parameters.map((p) => {
        const i = standInIndex(p);
        return i === null ? p : vals.values[i];
      });
      return (await db.executeQuery({ ...query, parameters })).rows as Record<string, unknown>[];
    }
    entry = { query, slots: slots as number[] };
    if (byKey.size < MAX_SHAPES) byKey.set(key, entry);
  }
  const parameters = entry.slots.map((i) => vals.values[i]);
  return (await db.executeQuery({ ...entry.query, parameters })).rows as Record<string, unknown>[];
}
