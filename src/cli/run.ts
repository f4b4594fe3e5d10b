import { ConfigError, loadConfig, type Config } from '../config.ts';
import { isDomainError, StoreUnavailable } from '../domain/errors.ts';
import type { Principal } from '../domain/privileges.ts';
import { deliverGeneratedRootKey, describeDelivery } from '../root-key-output.ts';
import { startRuntime, type Runtime } from '../runtime.ts';

/** The CLI acts as the operator: every command runs with the root key's reach. */
export const ROOT: Principal = { kind: 'root' };

/** A mistake of the person at the keyboard: printed as one line, exit status 1, no stack trace. */
export class UsageError extends Error {}

/** Error codes of a database that cannot be reached or opened (the network, the file, the server saying no). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'SQLITE_CANTOPEN',
  'SQLITE_NOTADB',
  'SQLITE_READONLY',
  '28P01', // invalid password
  '28000', // no pg_hba.conf entry / invalid authorization
  '3D000', // database does not exist
  '57P03', // the server is starting up
]);
/** Files named on the command line (import, key files): what could go wrong with them. */
const FILE_ERRORS = new Set(['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR', 'EPERM']);

type Coded = Error & { code?: string; path?: string; errors?: Error[] };

/** A DATABASE_URL fit to print: the password replaced. */
export function safeDatabaseUrl(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]+):[^@/]*@/, '$1:***@');
}

/** The one line a user error prints, or null when the error is a bug (its stack trace is printed). */
export function userErrorMessage(e: unknown, databaseUrl?: string): string | null {
  if (e instanceof UsageError || e instanceof ConfigError || isDomainError(e)) return e.message;
  if (!(e instanceof Error)) return null;
  const err = e as Coded;
  // Node reports a refused connection to a name with several addresses as an AggregateError.
  const code = err.code ?? (err.errors?.find((x) => (x as Coded).code) as Coded | undefined)?.code;
  if (typeof code === 'string' && UNREACHABLE.has(code)) {
    const detail = err.message || (err.errors ?? []).map((x) => x.message).join('; ') || code;
    const where = databaseUrl ? ` (DATABASE_URL=${safeDatabaseUrl(databaseUrl)})` : '';
    return `cannot use the database${where}: ${detail}`;
  }
  if (typeof code === 'string' && FILE_ERRORS.has(code) && err.path) {
    const why = { ENOENT: 'no such file', EACCES: 'permission denied', EPERM: 'permission denied' }[code];
    return `${err.path}: ${why ?? err.message}`;
  }
  return null;
}

/** Runs fn against the configured database (migrated, as the server would see it) and closes it. */
export async function withRuntime(fn: (rt: Runtime, config: Config) => Promise<void>): Promise<void> {
  const config = loadConfig();
  let rt: Runtime | undefined;
  try {
    try {
      rt = await startRuntime(config);
    } catch (e) {
      // Any system or driver error while opening, migrating or seeding: the database is not usable.
      // The store reports an unreachable database as StoreUnavailable; the driver's error is its cause.
      const unavailable = e instanceof StoreUnavailable;
      const err = (unavailable && e.cause instanceof Error ? e.cause : e) as Coded;
      const code = err.code ?? (err.errors?.[0] as Coded | undefined)?.code;
      if (unavailable || (typeof code === 'string' && !isDomainError(e) && !(e instanceof ConfigError)))
        throw new UsageError(
          `cannot use the database (DATABASE_URL=${safeDatabaseUrl(config.databaseUrl)}): ${err.message || code || 'unavailable'}`,
        );
      throw e;
    }
    // Whichever command meets a new database first hands its root key over (a terminal on stderr,
    // else the key file): stdout stays the command's own output.
    if (rt.generatedRootKey) {
      const d = deliverGeneratedRootKey(rt.generatedRootKey, config.generatedRootKeyFile, process.stderr);
      const note = describeDelivery(d);
      if (note) process.stderr.write(`roster: ${note}\n`);
    }
    await fn(rt, config);
  } catch (e) {
    // Named here, where the URL is known, so the top level can print it.
    const line = userErrorMessage(e, config.databaseUrl);
    if (line && !isDomainError(e) && !(e instanceof UsageError)) throw new UsageError(line);
    throw e;
  } finally {
    await rt?.close().catch(() => {});
  }
}
