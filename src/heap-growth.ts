import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets its old generation grow past the live heap before the next full collection:
 * 1.5×, instead of V8's own factor (up to 4×). With V8's factor the heap grew under load and stayed
 * grown, which with argon2's memory per hash on top broke the 250 MB RSS budget (bench/HISTORY.md).
 *
 * V8 reads this flag after every full collection, so setting it at start-up takes effect; a value
 * given on the command line wins. The young generation's limit is a launch flag instead
 * (`--max-semi-space-size=8` in package.json's start script).
 */
export const HEAP_GROWING_PERCENT = 50;

export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): void {
  if (execArgv.some((a) => a.startsWith('--heap-growing-percent') || a.startsWith('--heap_growing_percent'))) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
