/**
 * application/x-www-form-urlencoded → object. Accepts a leading "?&" form
 * (`?&username=u&email=e&password=p`): the "?" and empty pairs are skipped. A repeated name
 * becomes an array, which the route schema then rejects (one value per field).
 */
export function parseForm(text: string): Record<string, string | string[]> {
  const params = new URLSearchParams(text.trim().replace(/^\?/, ''));
  const out = new Map<string, string | string[]>();
  for (const [k, v] of params) {
    const seen = out.get(k);
    out.set(k, seen === undefined ? v : Array.isArray(seen) ? [...seen, v] : [seen, v]);
  }
  // fromEntries defines own properties, so a "__proto__" field stays a plain (unknown) field.
  return Object.fromEntries(out);
}
