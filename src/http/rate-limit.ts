import { Redis } from 'ioredis';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.ts';
import { apiKeyOf } from './credentials.ts';
import { keyDigest } from '../services/api-keys.ts';

export interface RateLimitOptions {
  /** Requests per window per API key (ROSTER_RATE_LIMIT). */
  perKey: number;
  /** Requests per window per client IP without a key, and failed key checks per IP (ROSTER_RATE_LIMIT_IP). */
  perIp: number;
  /** Counters live in Redis (shared by every Roster process) when set; in this process otherwise. */
  redisUrl?: string | null;
  /** Prefix of the Redis keys (tests use a unique one per run). */
  prefix?: string;
  /** Window length; one minute unless a test says otherwise. */
  windowMs?: number;
}

/** A fixed-window counter: `hit` counts one request, `peek` only reads. */
export interface Counter {
  /** Resolves once the counter can answer (or gave up trying, for a while). */
  ready?(timeoutMs: number): Promise<void>;
  /** In-process counters answer at once (no promise on the hot path); Redis answers later. */
  hit(key: string, windowMs: number): Count | Promise<Count>;
  peek(key: string): Count | Promise<Count>;
  close(): Promise<void>;
}

export interface Count {
  count: number;
  /** Milliseconds until the window of this key ends. */
  resetMs: number;
}

/** Counters in this process: enough for one Roster process. */
export class MemoryCounter implements Counter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly sweep: NodeJS.Timeout;

  constructor(windowMs: number) {
    // Expired windows are dropped regularly so a flood of distinct IPs cannot grow the map for long.
    this.sweep = setInterval(() => {
      const now = Date.now();
      for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
    }, windowMs);
    this.sweep.unref();
  }

  hit(key: string, windowMs: number): Count {
    const now = Date.now();
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, w);
    }
    w.count++;
    return { count: w.count, resetMs: w.resetAt - now };
  }

  peek(key: string): Count {
    const now = Date.now();
    const w = this.windows.get(key);
    return !w || w.resetAt <= now ? { count: 0, resetMs: 0 } : { count: w.count, resetMs: w.resetAt - now };
  }

  async close(): Promise<void> {
    clearInterval(this.sweep);
  }
}

// INCR and PEXPIRE in one atomic step, so a crash between them cannot leave a key without expiry.
const HIT = `local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {c, redis.call('PTTL', KEYS[1])}`;

/** Counters in Redis, shared by every Roster process using the same Redis and prefix. */
export class RedisCounter implements Counter {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    this.redis = new Redis(url, {
      // Never queue or wait long: a Redis outage must not slow requests down (see failOpen).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 500,
      connectTimeout: 2000,
      lazyConnect: false,
    });
    this.redis.on('error', () => {}); // reconnects by itself; failures surface per command
  }

  async ready(timeoutMs: number): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.redis.off('ready', done);
        this.redis.off('error', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.redis.once('ready', done);
      this.redis.once('error', done); // unreachable: start anyway, it keeps reconnecting
    });
  }

  async hit(key: string, windowMs: number): Promise<Count> {
    const [count, ttl] = (await this.redis.eval(HIT, 1, this.prefix + key, String(windowMs))) as [number, number];
    return { count, resetMs: ttl > 0 ? ttl : windowMs };
  }

  async peek(key: string): Promise<Count> {
    const [v, ttl] = await this.redis
      .multi()
      .get(this.prefix + key)
      .pttl(this.prefix + key)
      .exec()
      .then((r) => (r ?? []).map((x) => x[1]));
    return { count: Number(v ?? 0), resetMs: Math.max(0, Number(ttl)) };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

function limited(resetMs: number, what: string): DomainError {
  const retryAfter = Math.max(1, Math.ceil(resetMs / 1000));
  return new DomainError('rate_limited', 'rate_limited', `too many requests ${what}; retry in ${retryAfter} s`, {
    retryAfter,
  });
}

/**
 * The IETF draft's RateLimit header fields on every limited response: the limit that applied, what is
 * left of it, and seconds until the window ends (the 429's Retry-After says the same).
 */
function tellLimit(reply: FastifyReply, limit: number, c: Count): void {
  reply.header('ratelimit-limit', String(limit));
  reply.header('ratelimit-remaining', String(Math.max(0, limit - c.count)));
  reply.header('ratelimit-reset', String(Math.max(0, Math.ceil(c.resetMs / 1000))));
}

/** Probes and scrapes that orchestrators and Prometheus call often; never limited. */
const EXEMPT = new Set(['/health', '/ready', '/metrics']);

/**
 * Adds the root rate-limit hooks. A request with an API key counts against that key (so one noisy
 * tenant cannot starve another); one without counts against its client IP, and so does every
 * rejected key (401), so guessing keys is limited per IP as well. Over a limit the hook throws a
 * 429 DomainError that the route's dialect renders in its own envelope, with Retry-After.
 */
export function addRateLimit(app: FastifyInstance, opts: RateLimitOptions): void {
  const windowMs = opts.windowMs ?? 60_000;
  const counter: Counter = opts.redisUrl
    ? new RedisCounter(opts.redisUrl, opts.prefix ?? 'roster:rl:')
    : new MemoryCounter(windowMs);
  let warned = 0;

  /** A counter that cannot answer (Redis down) lets the request through: limits must not cause an outage. */
  function unavailable(req: FastifyRequest, err: unknown): null {
    if (Date.now() - warned > 60_000) {
      warned = Date.now();
      req.log.warn({ err: { message: (err as Error).message } }, 'rate limit counter unavailable; not limiting');
    }
    return null;
  }
  function failOpen(req: FastifyRequest, fn: () => Count | Promise<Count>): Count | null | Promise<Count | null> {
    try {
      const c = fn();
      return c instanceof Promise ? c.catch((err) => unavailable(req, err)) : c;
    } catch (err) {
      return unavailable(req, err);
    }
  }
  /** Runs `next` on a value now, or once its promise settles. */
  const then = <T, R>(v: T | Promise<T>, next: (v: T) => R | Promise<R>): R | Promise<R> =>
    v instanceof Promise ? v.then(next) : next(v);

  /** The 429 this request earns, if any. */
  function verdict(req: FastifyRequest, reply: FastifyReply): DomainError | null | Promise<DomainError | null> {
    if (EXEMPT.has(req.url.split('?')[0])) return null;
    const key = apiKeyOf(req);
    if (!key) {
      return then(
        failOpen(req, () => counter.hit(`ip:${req.ip}`, windowMs)),
        (c) => {
          if (!c) return null;
          tellLimit(reply, opts.perIp, c);
          return c.count > opts.perIp ? limited(c.resetMs, 'from this address') : null;
        },
      );
    }
    return then(
      failOpen(req, () => counter.peek(`fail:${req.ip}`)),
      (failures) => {
        if (failures && failures.count >= opts.perIp) {
          tellLimit(reply, opts.perIp, failures);
          return limited(failures.resetMs, 'with invalid keys from this address');
        }
        return then(
          failOpen(req, () => counter.hit(`key:${keyDigest(key)}`, windowMs)),
          (c) => {
            if (!c) return null;
            tellLimit(reply, opts.perKey, c);
            return c.count > opts.perKey ? limited(c.resetMs, 'for this API key') : null;
          },
        );
      },
    );
  }

  // Callback-style hooks: with in-process counters a request passes without a promise.
  app.addHook('onRequest', (req, reply, done) => {
    const v = verdict(req, reply);
    if (v instanceof Promise) v.then((e) => done(e ?? undefined), done);
    else done(v ?? undefined);
  });

  app.addHook('onResponse', (req, reply, done) => {
    if (reply.statusCode !== 401 || !apiKeyOf(req)) return done();
    const c = failOpen(req, () => counter.hit(`fail:${req.ip}`, windowMs));
    if (c instanceof Promise) void c.then(() => done());
    else done();
  });

  // Start with a connected Redis when there is one; without it the server still starts (fail open).
  app.addHook('onReady', async () => counter.ready?.(3000));
  app.addHook('onClose', async () => counter.close());
}
