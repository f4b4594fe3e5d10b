import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import type { ReadNow } from './database.ts';

/**
 * Kysely builds, transforms and compiles a query on every call, a visible share of a GET by id.
 * For the hottest look-ups the SQL text never changes, so it is compiled once per database adapter
 * and run again with new parameters. `build` must use placeholder values in the same order as the
 * parameters passed later; a different parameter count is a programming error and throws.
 */
const cache = new WeakMap<object, Map<string, CompiledQuery<unknown>>>();

export function precompiled<R>(
  db: Kysely<any>,
  name: string,
  build: () => Compilable<R>,
  parameters: readonly unknown[],
): CompiledQuery<R> {
  // Transactions share the adapter of the instance they came from, so they share its compiled queries.
  const adapter = db.getExecutor().adapter;
  let byName = cache.get(adapter);
  if (!byName) cache.set(adapter, (byName = new Map()));
  let q = byName.get(name) as CompiledQuery<R> | undefined;
  if (!q) {
    q = build().compile();
    byName.set(name, q);
  }
  if (q.parameters.length !== parameters.length) {
    throw new Error(`precompiled query ${name} takes ${q.parameters.length} parameters, got ${parameters.length}`);
  }
  return { ...q, parameters };
}

/**
 * A value's stand-in in SQL built to be compiled once per shape: a parameter naming the value's
 * position, replaced by the value itself when the compiled query runs.
 */
export const standIn = (position: number): string => `\u0000v${position}\u0000`;
const STAND_IN = /^\u0000v(\d+)\u0000$/;
export function standInPosition(parameter: unknown): number | null {
  const m = typeof parameter === 'string' ? STAND_IN.exec(parameter) : null;
  return m ? Number(m[1]) : null;
}

interface Shaped {
  query: CompiledQuery<unknown>;
  /** For each parameter of the query, the position of its value. */
  slots: number[];
}
const shapes = new WeakMap<object, Map<string, Shaped>>();
/** Distinct shapes kept per database (column sets of inserts, list filters from a closed set of fields). */
const MAX_SHAPES = 1000;

/**
 * Like `precompiled`, for queries whose SQL depends on their shape (which columns an insert sets,
 * which filters a list has) rather than being fixed: compiled once per `shape`. `build` puts each
 * value in as its stand-in (it gets the stand-ins of `values`; SQL built with stand-ins already in
 * may ignore them); a stand-in may appear any number of times. `shape` must name everything the
 * SQL depends on besides those values. A query whose SQL holds a parameter that is not a stand-in
 * (a value bound as itself) is never reused: it is built anew on every call.
 */
export function compiledForShape<R>(
  db: Kysely<any>,
  shape: string,
  values: readonly unknown[],
  build: (standIns: readonly unknown[]) => Compilable<R>,
): CompiledQuery<R> {
  const adapter = db.getExecutor().adapter;
  let byShape = shapes.get(adapter);
  if (!byShape) shapes.set(adapter, (byShape = new Map()));
  let entry = byShape.get(shape);
  if (!entry) {
    const query = build(values.map((_, i) => standIn(i))).compile();
    const slots = query.parameters.map(standInPosition);
    if (slots.some((s) => s === null)) {
      return {
        ...query,
        parameters: query.parameters.map((p, k) => (slots[k] === null ? p : values[slots[k]!])),
      } as CompiledQuery<R>;
    }
    entry = { query, slots: slots as number[] };
    if (byShape.size < MAX_SHAPES) byShape.set(shape, entry);
  }
  return { ...(entry.query as CompiledQuery<R>), parameters: entry.slots.map((i) => values[i]) };
}

/**
 * The rows of a compiled SELECT: read at once on SQLite when the store is not inside a transaction
 * (readNow given), else through Kysely (PostgreSQL, transactions, in-memory SQLite).
 */
export function rowsOf(
  db: Kysely<any>,
  q: CompiledQuery<unknown>,
  readNow: ReadNow | undefined,
): Record<string, unknown>[] | Promise<Record<string, unknown>[]> {
  if (readNow) return readNow(q);
  return db.executeQuery(q).then((r) => r.rows as Record<string, unknown>[]);
}
