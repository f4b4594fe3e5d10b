import type { FastifyRequest } from 'fastify';

/** The API key of a request: `Authorization: Bearer <key>` or `admin_api_key: <key>`. */
export function apiKeyOf(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const k = req.headers['admin_api_key'];
  if (typeof k === 'string' && k.trim() !== '') return k.trim();
  return undefined;
}

/** `If-Match` → the expected version (undefined when absent or `*`). Accepts `W/"3"` and `"3"`. */
/** An unreadable If-Match can match nothing: -1 is a version no row has (→ 412). */
export function expectedVersion(req: FastifyRequest): number | undefined {
  const h = req.headers['if-match'];
  if (!h || h.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"(\d+)"\s*$/.exec(h);
  return m ? Number(m[1]) : -1;
}

export const etagOf = (version: number) => `W/"${version}"`;
