import { useCallback, useEffect, useRef, useState } from 'react';

/** Loads data for a page: what it got, the error, and a reload; reruns when deps change. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  const run = useCallback(fn as Function, deps) as () => Promise<T>;
  useEffect(() => {
    let live = true;
    setLoading(true);
    run()
      .then((d) => live && (setData(d), setError(null)))
      .catch((e) => live && setError(e))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [run, tick]);
  return { data, error, loading, reload: () => setTick((t) => t + 1), setData };
}

/**
 * A cursor-paged list read page by page ("Load more"): starts over whenever deps change; a page
 * that arrives after the deps changed again is dropped.
 */
export function usePages<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
  deps: unknown[],
) {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  const load = useCallback(async (cursor: string | undefined, reset: boolean) => {
    const mine = ++generation.current;
    setLoading(true);
    try {
      const p = await fetchPage(cursor);
      if (mine !== generation.current) return;
      setItems((old) => (reset ? p.items : [...old, ...p.items]));
      setNext(p.nextCursor);
      setError(null);
    } catch (e) {
      if (mine === generation.current) setError(e);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, deps);
  useEffect(() => {
    load(undefined, true);
  }, [load, tick]);
  return {
    items,
    error,
    loading,
    more: next !== null,
    loadMore: () => next !== null && load(next, false),
    reload: () => setTick((t) => t + 1),
  };
}
