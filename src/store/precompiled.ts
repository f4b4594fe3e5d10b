import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import type { ReadNow } from './database.ts';

/**
 * Kysely builds, transforms and compiles a query on every call (~15% of a GET by id in the bench).
 * For the hottest look-ups the SQL text never changes, so it is compiled once per database adapter
 * and run again with new parameters. `build` must use placeholder values in the same order as the
 * parameters passed later; a different parameter count is a programming error and throws.
 */
const cache = new WeakMap<object, Map<string, CompiledQuery<unknown>>>();

export function precompiled<R>(db: Kysely<any>, name: string, build: () => Compilable<R>, parameters: readonly unknown[]): CompiledQuery<R> {
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
 * Like `precompiled`, for queries whose SQL depends on their shape (e.g. which columns an insert
 * sets) rather than being fixed: compiled once per `shape`, by building it with unique placeholder
 * values and checking that the compiled parameters are exactly those placeholders, in order (so
 * the values given later map to the right placeholders). A shape whose SQL embeds a value is
 * never reused: it is built anew on every call.
 */
const shapes = new WeakMap<object, Map<string, CompiledQuery<unknown> | null>>();

export function compiledForShape<R>(db: Kysely<any>, shape: string, values: readonly unknown[], build: (values: readonly unknown[]) => Compilable<R>): CompiledQuery<R> {
  const adapter = db.getExecutor().adapter;
  let byShape = shapes.get(adapter);
  if (!byShape) shapes.set(adapter, (byShape = new Map()));
  let q = byShape.get(shape) as CompiledQuery<R> | null | undefined;
  if (q === undefined) {
    const placeholders = values.map((_, i) => `\u0000placeholder${i}\u0000`);
    const probe = build(placeholders).compile();
    const exact = probe.parameters.length === placeholders.length && probe.parameters.every((p, i) => p === placeholders[i]);
    q = exact ? probe : null;
    if (byShape.size < 500) byShape.set(shape, q);
  }
  if (q === null) return build(values).compile();
  return { ...q, parameters: values };
}

/**
 * The rows of a compiled SELECT: read at once on SQLite when the store is not inside a transaction
 * (readNow given), else through Kysely (PostgreSQL, transactions, in-memory SQLite).
 */
export function rowsOf(db: Kysely<any>, q: CompiledQuery<unknown>, readNow: ReadNow | undefined): Record<string, unknown>[] | Promise<Record<string, unknown>[]> {
  if (readNow) return readNow(q);
  return db.executeQuery(q).then((r) => r.rows as Record<string, unknown>[]);
}
