import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Request latency buckets (seconds): sub-millisecond reads up to slow imports and exports. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A gauge read when /metrics is scraped; answers one value, or one per label set. */
export type GaugeReading = number | { labels: Record<string, string>; value: number }[];

/**
 * Every Prometheus metric Roster exposes, in one registry per runtime (tests run many in one
 * process; prom-client's global registry would refuse the second). Label values are always
 * bounded: dialect names, route templates, methods, status classes, outcomes; never a raw path,
 * tenant id or user input.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'roster_http_requests_total',
    help: 'Completed HTTP requests by API (dialect), route template, method and status class.',
    labelNames: ['api', 'route', 'method', 'status_class'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'roster_http_request_duration_seconds',
    help: 'HTTP request latency, from the request received to the response sent.',
    labelNames: ['api', 'route', 'method', 'status_class'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'roster_rate_limited_total',
    help: 'Requests refused with 429 by the rate limits, by API.',
    labelNames: ['api'] as const,
    registers: [this.registry],
  });
  readonly argon2Duration = new Histogram({
    name: 'roster_argon2_duration_seconds',
    help: 'Time to compute one argon2 hash or verification, queueing excluded.',
    labelNames: ['kind'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly importRows = new Counter({
    name: 'roster_import_rows_total',
    help: 'Rows read by import jobs of this process (rate() gives rows per second).',
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: 'roster_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (sent: 2xx; failed: error, timeout, refused or non-2xx).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly webhookDuration = new Histogram({
    name: 'roster_webhook_delivery_duration_seconds',
    help: 'Webhook delivery attempt latency, until the receiver answered or the attempt failed.',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** A gauge whose value is read at scrape time (queue depths, pool sizes, pending deliveries). */
  gauge(name: string, help: string, read: () => GaugeReading | Promise<GaugeReading>, labelNames: string[] = []): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        const v = await read();
        this.reset();
        if (typeof v === 'number') this.set(v);
        else for (const { labels, value } of v) this.set(labels, value);
      },
    });
  }

  /** A counter kept elsewhere as a running total (e.g. by the database layer), read at scrape time. */
  counterFrom(name: string, help: string, read: () => number): void {
    new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }

  /** The text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
