import { availableParallelism } from 'node:os';
import { Argon2Pool, type Argon2Cost } from './argon2-pool.ts';

export type { Argon2Cost } from './argon2-pool.ts';

/**
 * Argon2id hashing on worker threads (never on the event loop). Hashes imported from other systems
 * are checked by the `legacy` verifiers the hasher is built with (services.ts passes them).
 */
export class PasswordHasher {
  private readonly argon2: Argon2Pool;

  /**
   * `concurrency`: hashes computed at once. Each argon2id hash keeps a core busy for ~10 ms. The
   * workers run at nice 19, so by default there is one per core: the event loop (nice 0) preempts
   * them whenever it has work. Where they cannot be niced, one core is left to the event loop
   * (with every core hashing at equal priority, GET p99 rose tenfold during sign-ups in the bench).
   */
  constructor(
    cost: Argon2Cost,
    private readonly legacy: readonly LegacyVerifier[] = [],
    concurrency?: number,
  ) {
    const cores = availableParallelism();
    this.argon2 = new Argon2Pool(cost, concurrency ?? cores, concurrency ?? Math.max(1, cores - 1));
  }

  /** For /metrics: jobs queued and running, and a callback told each computation's time. */
  get pool(): Pick<Argon2Pool, 'depth' | 'onComputed'> {
    return this.argon2;
  }

  async hash(password: string): Promise<string> {
    return (await this.argon2.run({ kind: 'hash', password })) as string;
  }

  /** Checks a password; `upgrade` says the stored hash should be replaced by a fresh argon2id one. */
  async verify(stored: string, password: string): Promise<{ ok: boolean; upgrade: boolean }> {
    if (stored.startsWith('$argon2')) {
      let ok = false;
      try {
        ok = (await this.argon2.run({ kind: 'verify', stored, password })) === true;
      } catch {
        ok = false;
      }
      return { ok, upgrade: ok && !stored.startsWith('$argon2id$') };
    }
    for (const v of this.legacy) {
      if (v.accepts(stored)) {
        const ok = await v.verify(stored, password);
        return { ok, upgrade: ok };
      }
    }
    return { ok: false, upgrade: false };
  }

  /** Stops the hashing workers (runtime shutdown). */
  close(): Promise<void> {
    return this.argon2.close();
  }
}

/** A verifier for a hash format of another system (see legacy-hashes.ts). */
export interface LegacyVerifier {
  accepts(stored: string): boolean;
  verify(stored: string, password: string): Promise<boolean>;
}
