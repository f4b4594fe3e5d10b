/** Environment → frozen, typed, validated configuration. A bad value stops start-up with one line naming it. */
export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  rootKey: string | null;
  logLevel: string;
  /** Requests per minute per API key. */
  rateLimit: number;
  /** Requests per minute per client IP on unauthenticated routes. */
  rateLimitIp: number;
  redisUrl: string | null;
  /** Argon2id cost; tests lower it, production keeps OWASP's minimum (m=19 MiB, t=2, p=1). */
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  /** pretty: pino-pretty's readable lines (default on a terminal); json: one JSON object a line. */
  logFormat: 'json' | 'pretty';
  /** Bearer token GET /metrics requires; open when null. */
  metricsToken: string | null;
}

export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return Number(raw);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = env.DATABASE_URL || 'sqlite:./data/roster.db';
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(databaseUrl)) {
    throw new ConfigError(`DATABASE_URL must be sqlite:<path>, sqlite::memory: or postgres://… (got "${databaseUrl}")`);
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  const rootKey = env.ROSTER_ROOT_KEY || null;
  if (rootKey !== null && rootKey.length < 16) throw new ConfigError('ROSTER_ROOT_KEY must be at least 16 characters');
  const host = env.HOST || '127.0.0.1';
  if (/\s/.test(host)) throw new ConfigError(`HOST must be a host name or address (got "${host}")`);
  const redisUrl = env.REDIS_URL || null;
  if (redisUrl !== null && !/^rediss?:\/\/.+/.test(redisUrl))
    throw new ConfigError(`REDIS_URL must be redis://… (got "${redisUrl}")`);
  const logFormat = env.LOG_FORMAT || (process.stdout.isTTY ? 'pretty' : 'json');
  if (logFormat !== 'json' && logFormat !== 'pretty')
    throw new ConfigError(`LOG_FORMAT must be json or pretty (got "${logFormat}")`);
  const metricsToken = env.ROSTER_METRICS_TOKEN || null;
  if (metricsToken !== null && (metricsToken.length < 16 || /\s/.test(metricsToken)))
    throw new ConfigError('ROSTER_METRICS_TOKEN must be at least 16 characters, without spaces');
  return Object.freeze({
    port: int(env, 'PORT', 8080, 0, 65535),
    host,
    databaseUrl,
    rootKey,
    logLevel,
    rateLimit: int(env, 'ROSTER_RATE_LIMIT', 6000, 1, 10_000_000),
    rateLimitIp: int(env, 'ROSTER_RATE_LIMIT_IP', 600, 1, 10_000_000),
    redisUrl,
    argon2: Object.freeze({
      memoryCost: int(env, 'ROSTER_ARGON2_MEMORY_KIB', 19456, 1024, 4_194_304),
      timeCost: int(env, 'ROSTER_ARGON2_TIME', 2, 1, 100),
      parallelism: 1,
    }),
    logFormat,
    metricsToken,
  });
}
