import { createHash, pbkdf2, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { invalid } from '../domain/errors.ts';
import type { LegacyVerifier } from './password-hasher.ts';

/**
 * Password hashes of other systems, accepted by imports and checked at login (the first
 * successful login replaces them by argon2id; see UserService.login). Stored as their own
 * strings, except salted digests, which have no standard string form and get ours:
 *
 *   $roster-salted$<sha256|sha1|md5>$<salt+password|password+salt>$<salt, base64>$<digest, hex>
 *
 * Every comparison is constant-time; work factors are capped so a hostile file cannot make a
 * login cost minutes or gigabytes.
 */

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (
  pw: string,
  salt: Buffer,
  len: number,
  o: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

const SCRYPT_MAX_MEM = 256 * 1024 * 1024;
const PBKDF2_MAX_ITERATIONS = 10_000_000;
const BCRYPT_MAX_COST = 16;

/** Standard or passlib's adapted base64 (`.` for `+`), padding optional. */
function b64(s: string): Buffer | null {
  if (!/^[A-Za-z0-9+/.]*={0,2}$/.test(s)) return null;
  return Buffer.from(s.replace(/\./g, '+'), 'base64');
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

// ---- scrypt: $scrypt$ln=15,r=8,p=1$<salt>$<hash> (PHC / passlib); the salt is used as its decoded bytes.
interface Scrypt {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}
function parseScrypt(s: string): Scrypt | null {
  const m = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([^$]+)\$([^$]+)$/.exec(s);
  if (!m) return null;
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const salt = b64(m[4]);
  const hash = b64(m[5]);
  if (!salt || !hash || hash.length < 16 || ln < 1 || r < 1 || p < 1) return null;
  const N = 2 ** ln;
  if (128 * N * r * p > SCRYPT_MAX_MEM) return null;
  return { N, r, p, salt, hash };
}

// ---- PBKDF2: $pbkdf2-sha256$i=29000$<salt>$<hash> (PHC) or $pbkdf2-sha256$29000$<salt>$<hash> (passlib).
interface Pbkdf2 {
  digest: 'sha256' | 'sha512';
  iterations: number;
  salt: Buffer;
  hash: Buffer;
}
function parsePbkdf2(s: string): Pbkdf2 | null {
  const m = /^\$pbkdf2-(sha256|sha512)\$(?:i=)?(\d{1,8})(?:,l=\d+)?\$([^$]+)\$([^$]+)$/.exec(s);
  if (!m) return null;
  const iterations = Number(m[2]);
  const salt = b64(m[3]);
  const hash = b64(m[4]);
  if (!salt || !hash || hash.length < 16 || iterations < 1 || iterations > PBKDF2_MAX_ITERATIONS) return null;
  return { digest: m[1] as Pbkdf2['digest'], iterations, salt, hash };
}

// ---- bcrypt: $2a$ / $2b$ / $2y$ (PHP's name for the fixed $2a$; the same algorithm).
const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
function bcryptCost(s: string): number | null {
  const m = BCRYPT.exec(s);
  return m && Number(m[1]) >= 4 && Number(m[1]) <= BCRYPT_MAX_COST ? Number(m[1]) : null;
}

// ---- argon2i / argon2id PHC strings are verified by PasswordHasher itself.
const ARGON2 = /^\$argon2(id|i)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/;

// ---- salted digests
export const SALTED_ALGORITHMS = ['sha256', 'sha1', 'md5'] as const;
export type SaltedAlgorithm = (typeof SALTED_ALGORITHMS)[number];
export const SALT_ORDERS = ['salt+password', 'password+salt'] as const;
export type SaltOrder = (typeof SALT_ORDERS)[number];
const DIGEST_BYTES: Record<SaltedAlgorithm, number> = { sha256: 32, sha1: 20, md5: 16 };

interface Salted {
  algorithm: SaltedAlgorithm;
  order: SaltOrder;
  salt: Buffer;
  hash: Buffer;
}
const SALTED =
  /^\$roster-salted\$(sha256|sha1|md5)\$(salt\+password|password\+salt)\$([A-Za-z0-9+/]*={0,2})\$([0-9a-f]+)$/;
function parseSalted(s: string): Salted | null {
  const m = SALTED.exec(s);
  if (!m) return null;
  const algorithm = m[1] as SaltedAlgorithm;
  const hash = Buffer.from(m[4], 'hex');
  if (hash.length !== DIGEST_BYTES[algorithm]) return null;
  return { algorithm, order: m[2] as SaltOrder, salt: Buffer.from(m[3], 'base64'), hash };
}

function saltedDigest(h: Salted, password: string): Buffer {
  const pw = Buffer.from(password, 'utf8');
  const data = h.order === 'salt+password' ? Buffer.concat([h.salt, pw]) : Buffer.concat([pw, h.salt]);
  return createHash(h.algorithm).update(data).digest();
}

const badHash = (why: string) => invalid('import.invalid_password_hash', `passwordHash ${why}`, 'passwordHash');

/** {algorithm, salt, hash} → our stored string; throws an `invalid` error naming what is wrong. */
export function saltedHashString(o: Record<string, unknown>): string {
  for (const k of Object.keys(o)) {
    if (!['algorithm', 'salt', 'hash', 'format', 'saltEncoding'].includes(k))
      throw badHash(`has an unknown field "${k}" (algorithm, salt, hash, format, saltEncoding)`);
  }
  const { algorithm, salt, hash, format = 'salt+password', saltEncoding = 'utf8' } = o;
  if (
    typeof algorithm !== 'string' ||
    !(SALTED_ALGORITHMS as readonly string[]).includes(algorithm.toLowerCase().replace('-', ''))
  ) {
    throw badHash(`algorithm must be one of ${SALTED_ALGORITHMS.join(', ')}`);
  }
  const alg = algorithm.toLowerCase().replace('-', '') as SaltedAlgorithm;
  if (typeof salt !== 'string') throw badHash('salt must be a string');
  if (typeof format !== 'string' || !(SALT_ORDERS as readonly string[]).includes(format))
    throw badHash(`format must be ${SALT_ORDERS.join(' or ')}`);
  if (saltEncoding !== 'utf8' && saltEncoding !== 'hex' && saltEncoding !== 'base64')
    throw badHash('saltEncoding must be utf8, hex or base64');
  if (saltEncoding === 'hex' && !/^([0-9a-fA-F]{2})*$/.test(salt)) throw badHash('salt is not hex');
  if (saltEncoding === 'base64' && !b64(salt)) throw badHash('salt is not base64');
  const saltBytes = Buffer.from(salt, saltEncoding === 'utf8' ? 'utf8' : saltEncoding);
  if (typeof hash !== 'string') throw badHash('hash must be a string');
  const n = DIGEST_BYTES[alg];
  let digest: Buffer | null = null;
  if (hash.length === 2 * n && /^[0-9a-fA-F]+$/.test(hash)) digest = Buffer.from(hash, 'hex');
  else {
    const d = b64(hash);
    if (d && d.length === n) digest = d;
  }
  if (!digest) throw badHash(`hash must be the ${n}-byte ${alg} digest in hex or base64`);
  return `$roster-salted$${alg}$${format}$${saltBytes.toString('base64')}$${digest.toString('hex')}`;
}

/**
 * An imported `passwordHash` (a string in a supported format, or a salted-digest object) → the
 * string to store. Throws an `invalid` DomainError for anything a login could not verify.
 */
export function normalizePasswordHash(v: unknown): string {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return saltedHashString(v as Record<string, unknown>);
  if (typeof v !== 'string') throw badHash('must be a string or an {algorithm, salt, hash} object');
  if (v.length > 1024) throw badHash('is longer than 1024 characters');
  if (v.startsWith('{')) {
    // CSV cells carry the salted-digest object as JSON text.
    let o: unknown;
    try {
      o = JSON.parse(v);
    } catch {
      throw badHash('looks like JSON but does not parse');
    }
    return normalizePasswordHash(typeof o === 'object' ? o : null);
  }
  if (ARGON2.test(v)) return v;
  if (v.startsWith('$scrypt$'))
    return parseScrypt(v)
      ? v
      : badHashThrow('is not a valid scrypt PHC string ($scrypt$ln=…,r=…,p=…$salt$hash; at most 256 MiB of memory)');
  if (v.startsWith('$pbkdf2-'))
    return parsePbkdf2(v) ? v : badHashThrow('is not a valid PBKDF2 PHC string ($pbkdf2-sha256|sha512$i=…$salt$hash)');
  if (v.startsWith('$2'))
    return bcryptCost(v) !== null
      ? v
      : badHashThrow(`is not a valid bcrypt hash ($2a$, $2b$ or $2y$, cost 4 to ${BCRYPT_MAX_COST})`);
  if (v.startsWith('$roster-salted$'))
    return parseSalted(v) ? v : badHashThrow('is not a valid $roster-salted$ string');
  throw badHash(
    'is in an unsupported format (argon2id, argon2i, scrypt, pbkdf2-sha256/sha512 PHC strings, bcrypt, or {algorithm, salt, hash})',
  );
}

function badHashThrow(why: string): never {
  throw badHash(why);
}

export const legacyVerifiers: LegacyVerifier[] = [
  {
    accepts: (s) => s.startsWith('$scrypt$'),
    async verify(s, password) {
      const h = parseScrypt(s);
      if (!h) return false;
      const out = await scryptAsync(password, h.salt, h.hash.length, {
        N: h.N,
        r: h.r,
        p: h.p,
        maxmem: SCRYPT_MAX_MEM + 1024 * 1024,
      });
      return sameBytes(out, h.hash);
    },
  },
  {
    accepts: (s) => s.startsWith('$pbkdf2-'),
    async verify(s, password) {
      const h = parsePbkdf2(s);
      if (!h) return false;
      return sameBytes(await pbkdf2Async(password, h.salt, h.iterations, h.hash.length, h.digest), h.hash);
    },
  },
  {
    accepts: (s) => s.startsWith('$2'),
    async verify(s, password) {
      if (bcryptCost(s) === null) return false;
      // bcryptjs reads $2y$ as well; its async compare yields to the event loop between rounds.
      return bcrypt.compare(password, s);
    },
  },
  {
    accepts: (s) => s.startsWith('$roster-salted$'),
    async verify(s, password) {
      const h = parseSalted(s);
      return h ? sameBytes(saltedDigest(h, password), h.hash) : false;
    },
  },
];
