import { CompiledQuery, type Compilable, type Kysely } from 'kysely';

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
