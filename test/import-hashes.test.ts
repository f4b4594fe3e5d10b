import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hash as argonHash, Algorithm } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { importFile, ndjson } from './support/imports.ts';
import { basic } from './support/rest-users.ts';

const OLD = 'old-secret-pw';

/**
 * Independent vectors: made with Python's hashlib (scrypt, PBKDF2, salted digests) for the
 * password "old-secret-pw", salt "NaCl-salt-16byte" (PHC) or "pepper" (salted digests).
 */
const VECTORS: Record<string, unknown> = {
  scrypt: '$scrypt$ln=10,r=8,p=1$TmFDbC1zYWx0LTE2Ynl0ZQ$oOCWIGNXb9QMePIRVyiolnHGyLmbPc1pzdRuraQeMxI',
  'pbkdf2-sha256': '$pbkdf2-sha256$i=1000$TmFDbC1zYWx0LTE2Ynl0ZQ$Pkj7vJtvyWXS+a7iUZK5SqAOx5okV66rxSgHk4nzvfQ',
  'pbkdf2-sha256 (passlib)': '$pbkdf2-sha256$1000$TmFDbC1zYWx0LTE2Ynl0ZQ$Pkj7vJtvyWXS.a7iUZK5SqAOx5okV66rxSgHk4nzvfQ',
  'pbkdf2-sha512':
    '$pbkdf2-sha512$i=1000$TmFDbC1zYWx0LTE2Ynl0ZQ$rlMUgiCVRImeAYp4+nmawaXsJd+iI5wZ9WQR16EQVVVtOKx3JrxKmHCAyFSTMjXm/Ng6Om8Ij3wj3UvR00u0Zw',
  'salted sha256 (salt+password, hex)': {
    algorithm: 'sha256',
    salt: 'pepper',
    hash: 'b2f146a7358bad9124bb3a8368ebe4ec738899c5868ef93a0a33062b62d8e884',
  },
  'salted sha256 (password+salt, base64)': {
    algorithm: 'sha256',
    salt: 'pepper',
    hash: '5ahvKkaOfe8+yPrxTIObO2MgFA1JaZxoavZGJC3aOSI=',
    format: 'password+salt',
  },
  'salted sha256 (hex salt)': {
    algorithm: 'sha256',
    salt: '00ff10',
    saltEncoding: 'hex',
    hash: '97712603d86541dbc3a6fe57b8e231fcf0031d8094be55b186073bddf5de5988',
  },
  'salted sha1': { algorithm: 'sha1', salt: 'pepper', hash: '71d4100afbfe3e8fc3de76406006f6ca87143c69' },
  'salted sha1 (password+salt)': {
    algorithm: 'sha1',
    salt: 'pepper',
    hash: 'TrcE6kd1HIwRKZGNjGLVJefw0vY=',
    format: 'password+salt',
  },
  'salted md5': { algorithm: 'md5', salt: 'pepper', hash: '449577b23045b92d84e170d699dbd5a0' },
  'salted md5 (password+salt)': {
    algorithm: 'md5',
    salt: 'pepper',
    hash: 'bLpyxdMsPlDJ3SjSEYk9hg==',
    format: 'password+salt',
  },
};

describe.each(backends())('imported password hashes ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  const cases: [string, unknown][] = [];
  const names = new Map<string, string>();

  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Hashes', 'hashes');
    const bcryptB = bcrypt.hashSync(OLD, 4);
    cases.push(
      [
        'argon2id',
        await argonHash(OLD, { algorithm: Algorithm.Argon2id, memoryCost: 1024, timeCost: 1, parallelism: 1 }),
      ],
      [
        'argon2i',
        await argonHash(OLD, { algorithm: Algorithm.Argon2i, memoryCost: 1024, timeCost: 1, parallelism: 1 }),
      ],
      ['bcrypt $2b$', bcryptB],
      ['bcrypt $2a$', bcryptB.replace(/^\$2b\$/, '$2a$')],
      ['bcrypt $2y$', bcryptB.replace(/^\$2b\$/, '$2y$')],
      ...Object.entries(VECTORS),
    );
    const rows = cases.map(([name, passwordHash], i) => {
      names.set(name, `user${i}`);
      return { username: `user${i}`, email: `user${i}@x.io`, passwordHash };
    });
    const job = await importFile(t, acme.tenantId, ndjson(rows));
    expect(job.errors).toEqual([]);
    expect(job.counts.created).toBe(cases.length);
  });
  afterAll(() => t.close());

  const storedHash = async (username: string) =>
    (
      await t.runtime.db.kysely
        .selectFrom('users')
        .select('passwordHash')
        .where('tenantId', '=', acme.tenantId)
        .where('username', '=', username)
        .executeTakeFirstOrThrow()
    ).passwordHash!;
  const signIn = (username: string, password: string) =>
    t.req({
      method: 'GET',
      url: `/rest/users/${username}`,
      key: null,
      headers: { authorization: basic(username, password), 'x-roster-tenant': acme.licenseCode },
    });

  it.each([
    'argon2id',
    'argon2i',
    'bcrypt $2b$',
    'bcrypt $2a$',
    'bcrypt $2y$',
    'scrypt',
    'pbkdf2-sha256',
    'pbkdf2-sha256 (passlib)',
    'pbkdf2-sha512',
    'salted sha256 (salt+password, hex)',
    'salted sha256 (password+salt, base64)',
    'salted sha256 (hex salt)',
    'salted sha1',
    'salted sha1 (password+salt)',
    'salted md5',
    'salted md5 (password+salt)',
  ])('%s: the old password signs in over HTTP Basic, then the hash is argon2id', async (name) => {
    const username = names.get(name)!;
    const before = await storedHash(username);
    if (name.startsWith('salted')) expect(before).toMatch(/^\$roster-salted\$/);

    const wrong = await signIn(username, 'not-the-password');
    expect(wrong.statusCode, wrong.body).toBe(401);
    expect(await storedHash(username)).toBe(before);

    const ok = await signIn(username, OLD);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().content.username).toBe(username);
    const after = await storedHash(username);
    expect(after).toMatch(/^\$argon2id\$/);
    if (name === 'argon2id') expect(after).toBe(before);
    else expect(after).not.toBe(before);

    // The upgraded hash keeps working, through the service as well.
    expect((await signIn(username, OLD)).statusCode).toBe(200);
    const id = (await t.runtime.services.users.find(acme.tenantId, { username }))!.id;
    expect(await t.runtime.services.users.login(acme.tenantId, id, OLD)).toBe(true);
    expect(await t.runtime.services.users.login(acme.tenantId, id, 'nope-nope-nope')).toBe(false);
  });

  it('refuses malformed or unsupported hashes per row, naming the problem', async () => {
    const rows = [
      { username: 'h1', passwordHash: '$scrypt$ln=30,r=8,p=1$TmFDbA$oOCWIGNXb9QMePIRVyiolnHGyLmbPc1pzdRuraQeMxI' },
      { username: 'h2', passwordHash: '$2b$31$' + 'a'.repeat(53) },
      { username: 'h3', passwordHash: { algorithm: 'sha512', salt: 's', hash: 'ab' } },
      { username: 'h4', passwordHash: { algorithm: 'md5', salt: 's', hash: 'abcd' } },
      { username: 'h5', passwordHash: 'plaintext' },
      { username: 'h6', passwordHash: '$pbkdf2-sha1$i=1000$TmFDbA$Pkj7vJtvyWXS+a7iUZK5SqAOx5okV66rxSgHk4nzvfQ' },
      { username: 'h7', password: 'long-enough-pw', passwordHash: VECTORS.scrypt },
    ];
    const job = await importFile(t, acme.tenantId, ndjson(rows));
    expect(job.counts).toMatchObject({ created: 0, failed: 7 });
    const m = job.errors.map((e) => e.message);
    expect(m[0]).toMatch(/line 1: passwordHash is not a valid scrypt/);
    expect(m[1]).toMatch(/line 2: passwordHash is not a valid bcrypt/);
    expect(m[2]).toMatch(/line 3: passwordHash algorithm must be one of sha256, sha1, md5/);
    expect(m[3]).toMatch(/line 4: passwordHash hash must be the 16-byte md5 digest/);
    expect(m[4]).toMatch(/line 5: passwordHash is in an unsupported format/);
    expect(m[5]).toMatch(/line 6: passwordHash is not a valid PBKDF2/);
    expect(m[6]).toMatch(/line 7: has both password and passwordHash/);
  });
});
