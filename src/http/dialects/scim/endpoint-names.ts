import { PREFIX } from './constants.ts';

/**
 * The names of SCIM's endpoints as its routes register them (`Users`, `.search`, `ServiceProviderConfig`…),
 * by lower-case name: clients write them in any case (`/users`, `/USERS`).
 */
const NAMES = new Map<string, string>();

/** Records the fixed path segments of a route under the SCIM prefix (called for every route registered). */
export function recordEndpoint(url: string): void {
  if (!url.startsWith(PREFIX + '/')) return;
  for (const seg of url.slice(PREFIX.length + 1).split('/'))
    if (seg !== '' && !seg.startsWith(':')) NAMES.set(seg.toLowerCase(), seg);
}

/**
 * A SCIM URL as the routes spell it: the endpoint name (and a `.search` after it) in the registered
 * case, one trailing slash dropped (`/Users/` lists). Ids and the query string stay as sent.
 */
export function canonicalUrl(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (!path.startsWith(PREFIX + '/')) return url;
  const segs = path.slice(PREFIX.length + 1).split('/');
  if (segs.length > 1 && segs[segs.length - 1] === '') segs.pop();
  const named = segs.map((s, i) =>
    i === 0 || (i === 1 && s.toLowerCase() === '.search') ? (NAMES.get(s.toLowerCase()) ?? s) : s,
  );
  return `${PREFIX}/${named.join('/')}${q < 0 ? '' : url.slice(q)}`;
}
