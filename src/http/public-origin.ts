import type { FastifyRequest } from 'fastify';

/** Loopback names: a forged one points a client only at itself. */
export const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/** `example.com:8443` → `example.com`; `[::1]:80` → `[::1]`. */
const hostnameOf = (host: string) => (host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]);

/**
 * The origin absolute URLs are built on (SCIM `location` and `$ref`, the OpenAPI `servers`): the
 * public URL when one is configured; else the request's own origin, but only when its Host (or, from
 * a trusted proxy, X-Forwarded-Host) is one Roster answers for, so a forged Host is never echoed.
 * An entry with a port matches only that port. '' when neither: URLs stay relative.
 */
export function publicOriginResolver(opts: {
  publicUrl?: string | null;
  hosts?: readonly string[];
}): (req: FastifyRequest) => string {
  if (opts.publicUrl) {
    const fixed = opts.publicUrl.replace(/\/+$/, '');
    return () => fixed;
  }
  const exact = new Set<string>();
  const anyPort = new Set<string>();
  for (const h of (opts.hosts ?? DEFAULT_HOSTS).map((x) => x.toLowerCase()))
    (hostnameOf(h) === h ? anyPort : exact).add(h);
  return (req) => {
    const host = (req.host ?? '').toLowerCase();
    return exact.has(host) || anyPort.has(hostnameOf(host)) ? `${req.protocol}://${host}` : '';
  };
}
