import type { Compilable, Kysely, RawBuilder } from 'kysely';
import { compiledForShape, standIn, standInPosition } from './precompiled.ts';

/**
 * The values of one list query. Built with `bind`, its SQL holds stand-ins naming each value's
 * position instead of the values, so the same SQL serves every query of the same shape.
 */
export class ListValues {
  readonly values: unknown[] = [];
  readonly bind = (value: unknown): unknown => {
    this.values.push(value);
    return standIn(this.values.length - 1);
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
  return `${c.sql}\u0001${c.parameters.map((p) => standInPosition(p) ?? `=${JSON.stringify(p)}`).join(',')}`;
}

/**
 * Runs a list query compiled once per shape (compiledForShape). Kysely builds, transforms and
 * compiles a list query anew on every page, a visible share of a list page's CPU;
 * `key` must name everything the SQL depends on (shapeOf of its pieces, the sort, which clauses
 * are present). `build` assembles SQL whose values went in through `vals.bind`.
 */
export async function runShaped(
  db: Kysely<any>,
  key: string,
  build: () => Compilable<unknown>,
  vals: ListValues,
): Promise<Record<string, unknown>[]> {
  const q = compiledForShape(db, `list:${key}`, vals.values, () => build());
  return (await db.executeQuery(q)).rows as Record<string, unknown>[];
}
