import autocannon, { type Request, type Result } from 'autocannon';

export interface LoadOptions {
  base: string;
  connections: number;
  /** Seconds; ignored when amount is set. */
  duration: number;
  amount?: number;
  method?: string;
  headers?: Record<string, string>;
  /**
   * Requests built up front and cycled through: autocannon encodes them once, so the client stays
   * cheap (a per-request `next` costs the client about as much as /health costs the server).
   */
  paths?: string[];
  /** Builds each request (unique names in bodies); called once per request. */
  next?: () => { path: string; body?: string; headers?: Record<string, string>; method?: string };
  path?: string;
  body?: string;
}

export interface Measured {
  rps: number;
  p50: number;
  p99: number;
  /** Connection errors + timeouts + non-2xx answers. */
  errors: number;
  ok: number;
  total: number;
  statusCodes: Record<string, number>;
  durationS: number;
  /** Server CPU time per answered request, in µs (set by the scenario runner). */
  cpuUs?: number;
}

/** One autocannon run against the server; latencies in ms. */
export async function load(o: LoadOptions): Promise<Measured> {
  const request: Request = {
    method: o.method ?? 'GET',
    path: o.path ?? '/',
    headers: o.headers,
    body: o.body,
  };
  if (o.next) {
    const next = o.next;
    request.setupRequest = (req) => {
      const n = next();
      return {
        ...req,
        path: n.path,
        method: n.method ?? req.method,
        body: n.body ?? req.body,
        headers: n.headers ? { ...req.headers, ...n.headers } : req.headers,
      };
    };
  }
  const requests = o.paths ? o.paths.map((path) => ({ ...request, path })) : [request];
  const r: Result = await autocannon({
    url: o.base,
    connections: o.connections,
    duration: o.duration,
    ...(o.amount ? { amount: o.amount } : {}),
    timeout: 30,
    requests,
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = Number(s.count);
  const ok = r['2xx'];
  const total = Object.values(statusCodes).reduce((a, b) => a + b, 0);
  return {
    // Completed requests over the measured window. autocannon's own duration also counts the time it
    // spends encoding each connection's requests before the first is sent (the server idles then).
    rps: o.amount ? (r.duration > 0 ? total / r.duration : 0) : total / o.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
    ok,
    total,
    statusCodes,
    durationS: r.duration,
  };
}
