import { hash as argonHash, verify as argonVerify, Algorithm } from '@node-rs/argon2';

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
  constructor(private readonly cost: Argon2Cost) {}

  hash(password: string): Promise<string> {
    return argonHash(password, { algorithm: Algorithm.Argon2id, ...this.cost });
  }

  /** Checks a password; `upgrade` says the stored hash should be replaced by a fresh argon2id one. */
  async verify(stored: string, password: string): Promise<{ ok: boolean; upgrade: boolean }> {
    if (stored.startsWith('$argon2')) {
      let ok = false;
      try {
        ok = await argonVerify(stored, password);
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
