/** Paths of headers and fields that hold secrets: never written to a log line. */
export const REDACT = [
  'req.headers.authorization',
  'req.headers["admin_api_key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["admin_api_key"]',
  // database errors may quote a whole failing row (hashes included)
  'err.detail',
  'err.parameters',
];

/** Query parameters that may carry a secret (some legacy clients put keys in the URL). */
const SECRET_PARAM = /(key|token|secret|pass|pwd|auth|signature|sig)/i;

/**
 * Values shaped like the keys Roster issues (rk_…, rak_…, rk_root_…), wherever they appear (glued
 * to what precedes them too, as in `%22rk_…`), also when a client percent-escaped some of their
 * characters (`rk%5F…`, `%2D`). Redacting a look-alike in a log line costs nothing.
 */
const KEY_SHAPED = /(?:rk|rak)(?:_|%5F)(?:[A-Za-z0-9_-]|%[0-9A-F]{2}){16,}/gi;

/** The URL as logged: key-shaped values (in the path or any parameter) and secret-looking parameter values replaced. */
export function redactUrl(url: string): string {
  return redactParams(url).replace(KEY_SHAPED, '[redacted]');
}

function redactParams(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((p) => {
      const eq = p.indexOf('=');
      const raw = eq < 0 ? p : p.slice(0, eq);
      let name = raw;
      try {
        name = decodeURIComponent(raw.replace(/\+/g, ' '));
      } catch {
        // undecodable: judge the raw name
      }
      return eq >= 0 && SECRET_PARAM.test(name) ? `${raw}=[redacted]` : p;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}
