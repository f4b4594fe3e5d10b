import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { DEFAULT_HOSTS } from './http/public-origin.ts';

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
  /** The URL clients reach Roster at (ROSTER_PUBLIC_URL); absolute URLs are built on it. */
  publicUrl: string | null;
  /** Without a public URL, the Hosts whose origin absolute URLs may use (ROSTER_HOSTS). */
  hosts: readonly string[];
  /** X-Forwarded-* is believed from this many proxies, or from these addresses/CIDRs (ROSTER_TRUST_PROXY). */
  trustProxy: number | string | undefined;
  /** Where a root key generated on a new database is written (mode 0600) when stdout is not a terminal. */
  generatedRootKeyFile: string;
  /** Argon2id cost; tests lower it, production keeps OWASP's minimum (m=19 MiB, t=2, p=1). */
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  /** pretty: pino-pretty's readable lines (default on a terminal); json: one JSON object a line. */
  logFormat: 'json' | 'pretty';
  /** Bearer token GET /metrics requires; open when null. */
  metricsToken: string | null;
  webhooks: WebhookConfig;
}

export interface WebhookConfig {
  /** Deliver to loopback, private, link-local and metadata addresses too (off: refused, SSRF). */
  allowPrivate: boolean;
  /** One delivery attempt's limit. */
  timeoutMs: number;
  /** Waits before each retry; the last one repeats. */
  retryScheduleMs: number[];
  /** A subscription failing this long is switched off. */
  disableAfterMs: number;
  /** How often each process looks for due deliveries. */
  pollMs: number;
  /** Encrypts signing secrets at rest (AES-256-GCM) when set. */
  secretKey: string | null;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `5s`, `2m`, `1h`, `3d` → milliseconds. */
function duration(name: string, raw: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(raw.trim());
  if (!m || Number(m[1]) === 0)
    throw new ConfigError(`${name} must be durations like 500ms, 5s, 2m, 1h or 3d (got "${raw}")`);
  return Number(m[1]) * UNITS[m[2]];
}

/** The webhook settings of an environment (the defaults for an empty one). */
export function webhookConfig(env: NodeJS.ProcessEnv = {}): WebhookConfig {
  const allow = env.ROSTER_WEBHOOK_ALLOW_PRIVATE || 'false';
  if (allow !== 'true' && allow !== 'false')
    throw new ConfigError(`ROSTER_WEBHOOK_ALLOW_PRIVATE must be true or false (got "${allow}")`);
  const schedule = (env.ROSTER_WEBHOOK_RETRY_SCHEDULE || '5s,30s,2m,10m,1h,6h,1d')
    .split(',')
    .map((d) => duration('ROSTER_WEBHOOK_RETRY_SCHEDULE', d));
  const secretKey = secretSetting(env, 'ROSTER_SECRET_KEY') ?? null;
  if (secretKey !== null && secretKey.length < 32)
    throw new ConfigError('ROSTER_SECRET_KEY must be at least 32 characters');
  return Object.freeze({
    allowPrivate: allow === 'true',
    timeoutMs: duration('ROSTER_WEBHOOK_TIMEOUT', env.ROSTER_WEBHOOK_TIMEOUT || '10s'),
    retryScheduleMs: Object.freeze(schedule) as number[],
    disableAfterMs: duration('ROSTER_WEBHOOK_DISABLE_AFTER', env.ROSTER_WEBHOOK_DISABLE_AFTER || '3d'),
    pollMs: duration('ROSTER_WEBHOOK_POLL', env.ROSTER_WEBHOOK_POLL || '1s'),
    secretKey,
  });
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

/**
 * A secret setting: from NAME, or from the file NAME_FILE names (Docker and Kubernetes secrets are
 * files), its content with the trailing newline dropped. Both at once is an error.
 */
export function secretSetting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const file = env[`${name}_FILE`];
  if (!file) return env[name] || undefined;
  if (env[name]) throw new ConfigError(`${name} and ${name}_FILE are both set: set one`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${name}_FILE: cannot read "${file}" (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (!value) throw new ConfigError(`${name}_FILE: "${file}" is empty`);
  return value;
}

/** A hop count, or addresses and CIDR ranges separated by commas (never "everyone": X-Forwarded-For is forgeable). */
function trustProxy(raw: string | undefined): number | string | undefined {
  if (!raw) return undefined;
  if (/^\d+$/.test(raw) && Number(raw) <= 10) return Number(raw);
  const parts = raw.split(',').map((p) => p.trim());
  const ok = parts.every((p) => {
    const [addr, bits, extra] = p.split('/');
    const v = isIP(addr);
    return (
      v !== 0 &&
      extra === undefined &&
      (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (v === 4 ? 32 : 128)))
    );
  });
  if (!ok)
    throw new ConfigError(
      `ROSTER_TRUST_PROXY must be a hop count (0-10) or addresses/CIDRs separated by commas (got "${raw}")`,
    );
  return parts.join(',');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = secretSetting(env, 'DATABASE_URL') || 'sqlite:./data/roster.db';
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(databaseUrl)) {
    // Only the scheme is shown: the rest may hold a password.
    const shown = /^[a-z][a-z0-9+.-]*:/i.exec(databaseUrl)?.[0] ?? databaseUrl.slice(0, 12);
    throw new ConfigError(`DATABASE_URL must be sqlite:<path>, sqlite::memory: or postgres://… (got "${shown}…")`);
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  const rootKey = secretSetting(env, 'ROSTER_ROOT_KEY') ?? null;
  if (rootKey !== null && rootKey.length < 16) throw new ConfigError('ROSTER_ROOT_KEY must be at least 16 characters');
  const host = env.HOST || '127.0.0.1';
  if (/\s/.test(host)) throw new ConfigError(`HOST must be a host name or address (got "${host}")`);
  const redisUrl = secretSetting(env, 'REDIS_URL') ?? null;
  if (redisUrl !== null && !/^rediss?:\/\/.+/.test(redisUrl)) throw new ConfigError('REDIS_URL must be redis://…');
  const logFormat = env.LOG_FORMAT || (process.stdout.isTTY ? 'pretty' : 'json');
  if (logFormat !== 'json' && logFormat !== 'pretty')
    throw new ConfigError(`LOG_FORMAT must be json or pretty (got "${logFormat}")`);
  const metricsToken = secretSetting(env, 'ROSTER_METRICS_TOKEN') ?? null;
  if (metricsToken !== null && (metricsToken.length < 16 || /\s/.test(metricsToken)))
    throw new ConfigError('ROSTER_METRICS_TOKEN must be at least 16 characters, without spaces');
  const publicUrl = env.ROSTER_PUBLIC_URL?.replace(/\/+$/, '') || null;
  if (publicUrl !== null && !/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(publicUrl))
    throw new ConfigError(`ROSTER_PUBLIC_URL must be http(s)://host[:port][/path] (got "${publicUrl}")`);
  const hosts = env.ROSTER_HOSTS ? env.ROSTER_HOSTS.split(',').map((h) => h.trim().toLowerCase()) : DEFAULT_HOSTS;
  if (hosts.some((h) => !/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d+)?$/.test(h)))
    throw new ConfigError(`ROSTER_HOSTS must be host[:port] names separated by commas (got "${env.ROSTER_HOSTS}")`);
  return Object.freeze({
    publicUrl,
    hosts,
    trustProxy: trustProxy(env.ROSTER_TRUST_PROXY),
    port: int(env, 'PORT', 8080, 0, 65535),
    host,
    databaseUrl,
    rootKey,
    logLevel,
    rateLimit: int(env, 'ROSTER_RATE_LIMIT', 6000, 1, 10_000_000),
    rateLimitIp: int(env, 'ROSTER_RATE_LIMIT_IP', 600, 1, 10_000_000),
    redisUrl,
    generatedRootKeyFile: resolve(env.ROSTER_GENERATED_ROOT_KEY_FILE || 'data/root-key'),
    argon2: Object.freeze({
      memoryCost: int(env, 'ROSTER_ARGON2_MEMORY_KIB', 19456, 1024, 4_194_304),
      timeCost: int(env, 'ROSTER_ARGON2_TIME', 2, 1, 100),
      parallelism: 1,
    }),
    logFormat,
    metricsToken,
    webhooks: webhookConfig(env),
  });
}
