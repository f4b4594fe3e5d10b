import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets its old generation grow past the live heap before the next full collection:
 * 1.5×, instead of V8's own factor (up to 4× when collections are cheap next to allocation).
 *
 * Why: with V8's factor the server's RSS wandered between 140 and 227 MiB through a 1M-user bench
 * run on PostgreSQL (the heap grew during list and create load and stayed grown), and peaked at
 * 249–268 MiB once argon2's 19 MiB per hash came on top; the budget is 250 MB. At 1.5× the same run
 * stayed at 138–147 MiB before sign-ups and peaked at 217–220 (BENCHMARKS.md, item 40).
 *
 * V8 reads this flag after every full collection, so setting it at start-up takes effect. A value
 * given on the command line (`node --heap-growing-percent=N`) wins. The young generation's size is
 * fixed when V8 starts, so its limit is a launch flag instead: `npm start` runs node with
 * `--max-semi-space-size=8` (package.json; item 41).
 */
export const HEAP_GROWING_PERCENT = 50;

export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): void {
  if (execArgv.some((a) => a.startsWith('--heap-growing-percent') || a.startsWith('--heap_growing_percent'))) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
