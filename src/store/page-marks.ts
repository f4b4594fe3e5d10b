import type { RawBuilder } from 'kysely';
import type { DbKind } from './database.ts';
import { ListValues } from './list-shapes.ts';
import { keysetSql, type CursorValues } from './user-query-sql.ts';
import type { SortKey } from '../domain/user-query.ts';

/** Rows between two marks: an offset page reads at most this many index entries past its mark. */
export const MARK_STRIDE = 10_000;
/** Lists (tenant, filters, sort) whose marks are kept. */
const MAX_LISTS = 64;

/**
 * Where offset pages start, remembered per list: the sort values of every MARK_STRIDE-th row and
 * the total. A page at offset N seeks to the mark before N and skips fewer than MARK_STRIDE rows,
 * instead of stepping over N rows (seconds at the millionth row); the total comes without a
 * count. Marks are valid for one version of the database (SQLite's data_version: any commit by
 * any connection or process changes it), so a page read with them is the page read without them.
 */
export interface Marks {
  version: number;
  /** marks[m] holds the sort values of the row at position (m + 1) × MARK_STRIDE − 1. */
  marks: CursorValues[];
  total: number;
}

export class PageMarks {
  private readonly lists = new Map<string, { version: number; marks: Promise<Marks | null> }>();
  /** The totals of lists as last counted (or found by building marks), with the version they are valid for. */
  private readonly totals = new Map<string, { version: number; total: number }>();

  constructor(readonly version: () => number) {}

  /**
   * The marks of a list at the database's current version, built with `build` when missing or
   * stale (one build per list and version however many pages ask at once). Null when the database
   * changed while they were being built.
   */
  get(list: string, build: () => Promise<Omit<Marks, 'version'>>): Promise<Marks | null> {
    const version = this.version();
    const known = this.lists.get(list);
    if (known?.version === version) return known.marks;
    const marks = build().then((b) => {
      if (this.version() !== version) return null;
      this.remember(list, version, b.total);
      return { ...b, version };
    });
    this.lists.delete(list);
    if (this.lists.size >= MAX_LISTS) this.lists.delete(this.lists.keys().next().value!);
    this.lists.set(list, { version, marks });
    // A failed build is not remembered: the next page tries again.
    marks.catch(() => this.lists.get(list)?.marks === marks && this.lists.delete(list));
    return marks;
  }

  /** The list's total at the current version, when known. */
  total(list: string): number | undefined {
    const t = this.totals.get(list);
    return t && t.version === this.version() ? t.total : undefined;
  }

  /** Keeps a total counted at `version`, unless the database has changed since. */
  remember(list: string, version: number, total: number): void {
    if (this.version() !== version) return;
    this.totals.delete(list);
    if (this.totals.size >= MAX_LISTS) this.totals.delete(this.totals.keys().next().value!);
    this.totals.set(list, { version, total });
  }
}

/**
 * A page at a deep offset through the list's marks (page-marks.ts): it seeks to the mark before
 * the offset and skips fewer than MARK_STRIDE rows. Null when the database changed meanwhile
 * (the caller then reads the page the plain way).
 */
export async function pageFromMarks(
  remembered: PageMarks,
  kind: DbKind,
  list: string,
  page: { keys: SortKey[]; listValues: unknown[]; limit: number; offset: number },
  run: {
    pageOf: (
      where: RawBuilder<boolean> | null,
      limit: number,
      withTotal: boolean,
      offset: number,
      v: ListValues,
    ) => Promise<Record<string, unknown>[]>;
    count: (v: ListValues, where: RawBuilder<boolean> | null) => Promise<number>;
  },
): Promise<{ rows: Record<string, unknown>[]; total: number } | null> {
  const { keys } = page;
  /** Each statement's own values: the list's, then what it binds. */
  const fresh = () => {
    const v = new ListValues();
    v.values.push(...page.listValues);
    return v;
  };
  /** `limit` rows after `offset` rows past the row whose sort values are `after` (from the start when null). */
  const rowsAfter = async (after: CursorValues | null, offset: number, limit: number) => {
    const v = fresh();
    if (!after) return run.pageOf(null, limit, false, offset, v);
    const ks = keysetSql(kind, keys, after, v.bind);
    const head = await run.pageOf(ks.head, limit, false, offset, v);
    if (!ks.tail || head.length >= limit) return head;
    // The head ran out: the tail goes on where it ended (after all of it when it gave rows).
    const tailOffset = head.length > 0 ? 0 : offset - (await run.count(v, ks.head));
    return [...head, ...(await run.pageOf(ks.tail, limit - head.length, false, tailOffset, v))];
  };
  const sortValues = (row: Record<string, unknown>) =>
    keys.map((_, i) => (row[`s${i}`] ?? null) as string | number | null);
  const marks = await remembered.get(list, async () => {
    const found: CursorValues[] = [];
    for (;;) {
      const [row] = await rowsAfter(found[found.length - 1] ?? null, MARK_STRIDE - 1, 1);
      if (!row) break;
      found.push(sortValues(row));
    }
    const last = found[found.length - 1];
    let rest: number;
    if (!last) rest = await run.count(fresh(), null);
    else {
      const v = fresh();
      const ks = keysetSql(kind, keys, last, v.bind);
      rest = (await run.count(v, ks.head)) + (ks.tail ? await run.count(v, ks.tail) : 0);
    }
    return { marks: found, total: found.length * MARK_STRIDE + rest };
  });
  if (!marks) return null;
  const n = Math.min(Math.floor(page.offset / MARK_STRIDE), marks.marks.length);
  const rows = await rowsAfter(n > 0 ? marks.marks[n - 1] : null, page.offset - n * MARK_STRIDE, page.limit);
  return remembered.version() === marks.version ? { rows, total: marks.total } : null;
}
