import type { AccessChangeWatch } from './access-change-watch.ts';

interface Entry<T> {
  value: T;
  token: number;
  at: number;
}

/**
 * Look-ups that decide access (a manager by key digest, a tenant by license code or id), kept per
 * process and trusted only while the store's AccessChangeWatch token is the one taken before the
 * look-up: a revoked or rotated key, a changed role, a changed or deleted tenant or manager retires
 * every entry at once, in this process at commit and in others when PostgreSQL's notification
 * arrives (SQLite: at their next look-up). Misses are not cached (a new key or tenant must work at
 * once). Entries also expire after `ttlMs`, and at most `max` are kept.
 */
export class AccessCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly watch: AccessChangeWatch,
    private readonly opts: { max: number; ttlMs: number } = { max: 10_000, ttlMs: 60_000 },
  ) {}

  async get(digest: string, load: () => Promise<T | null>): Promise<T | null> {
    const token = this.watch.token();
    if (token === null) return load();
    const hit = this.entries.get(digest);
    if (hit && hit.token === token && Date.now() - hit.at < this.opts.ttlMs) return hit.value;
    const value = await load();
    if (value === null) {
      this.entries.delete(digest);
      return null;
    }
    // Kept only if nothing changed while it was read (a token taken after the read would trust it).
    if (this.watch.token() === token) {
      if (this.entries.size >= this.opts.max && !this.entries.has(digest))
        this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(digest, { value, token, at: Date.now() });
    }
    return value;
  }
}
