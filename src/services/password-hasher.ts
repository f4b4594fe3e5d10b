import { hash as argonHash, verify as argonVerify, Algorithm } from '@node-rs/argon2';
import { availableParallelism } from 'node:os';

export interface Argon2Cost {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/**
 * Argon2id hashing on libuv's thread pool (never on the event loop). Verification of hashes
 * imported from other systems plugs in through `verifiers` (see the import feature).
 */
export class PasswordHasher {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  /**
   * `concurrency`: hashes computed at once. Each argon2id hash keeps a core busy for ~15 ms; with
   * libuv's 4 threads on a 2-core machine the event loop got a third of a core and GET p99 rose
   * tenfold during sign-ups (bench). One core is left to the event loop; the rest queue here.
   */
  constructor(
    private readonly cost: Argon2Cost,
    private readonly concurrency = Math.max(1, availableParallelism() - 1),
  ) {}

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter (running stays the same), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  hash(password: string): Promise<string> {
    return this.limited(() => argonHash(password, { algorithm: Algorithm.Argon2id, ...this.cost }));
  }

  /** Checks a password; `upgrade` says the stored hash should be replaced by a fresh argon2id one. */
  async verify(stored: string, password: string): Promise<{ ok: boolean; upgrade: boolean }> {
    if (stored.startsWith('$argon2')) {
      let ok = false;
      try {
        ok = await this.limited(() => argonVerify(stored, password));
      } catch {
        ok = false;
      }
      return { ok, upgrade: ok && !stored.startsWith('$argon2id$') };
    }
    for (const v of legacyVerifiers) {
      if (v.accepts(stored)) {
        const ok = await v.verify(stored, password);
        return { ok, upgrade: ok };
      }
    }
    return { ok: false, upgrade: false };
  }
}

/** A verifier for a hash format of another system; registered by the import feature. */
export interface LegacyVerifier {
  accepts(stored: string): boolean;
  verify(stored: string, password: string): Promise<boolean>;
}

const legacyVerifiers: LegacyVerifier[] = [];
export function registerLegacyVerifier(v: LegacyVerifier): void {
  legacyVerifiers.push(v);
}
