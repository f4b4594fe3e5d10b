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

/** The URL as logged: secret-looking query parameter values replaced. */
export function redactUrl(url: string): string {
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
