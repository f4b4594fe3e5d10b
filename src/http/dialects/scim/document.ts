import { scimInvalid } from './errors.ts';
import { findDef, resolveAttr, type AttrDef, type ResourceSchema } from './resource-schemas.ts';

/** A SCIM resource as JSON: core attributes at the top, each extension under its URN. */
export type ScimDoc = Record<string, unknown>;

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value with attribute names spelled as the schema spells them (names are case-insensitive). */
export function canonValue(def: AttrDef, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (def.multiValued) {
    const items = Array.isArray(value) ? value : [value];
    return items.map((item) => canonSingle(def, item));
  }
  return canonSingle(def, value);
}

function canonSingle(def: AttrDef, value: unknown): unknown {
  if (def.type !== 'complex') return value;
  // A complex attribute given as a bare value (Entra's manager: "<id>", a member as "<id>") means its `value`.
  if (!isObject(value)) return findDef(def.subAttributes, 'value') ? { value } : value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const sub = findDef(def.subAttributes, k);
    if (sub) out[sub.name] = v;
  }
  return out;
}

/**
 * A request body (POST/PUT, Bulk data) in canonical form. Unknown attributes are dropped (IdPs send
 * extras such as `roles: []`); extension attributes may come nested under their URN or as
 * `urn:…:attr` keys; read-only ones (`id`, `meta`, `groups`) are kept only to be ignored.
 */
export function canonicalize(rs: ResourceSchema, body: unknown): ScimDoc {
  if (!isObject(body)) throw scimInvalid('invalidSyntax', 'the request body must be a JSON object');
  const doc: ScimDoc = {};
  for (const [key, value] of Object.entries(body)) {
    if (key.toLowerCase() === 'schemas') {
      if (value !== undefined && (!Array.isArray(value) || value.some((s) => typeof s !== 'string'))) {
        throw scimInvalid('invalidSyntax', 'schemas must be an array of URNs');
      }
      continue;
    }
    const ext = rs.extensions.find((e) => e.urn.toLowerCase() === key.toLowerCase());
    if (ext) {
      if (value === null) continue;
      if (!isObject(value)) throw scimInvalid('invalidSyntax', `${ext.urn} must be an object`);
      const target = ((doc[ext.urn] as ScimDoc | undefined) ??= {});
      for (const [k, v] of Object.entries(value)) {
        const def = findDef(ext.attrs, k);
        if (def) target[def.name] = canonValue(def, v);
      }
      continue;
    }
    let schema: string | undefined;
    let name = key;
    if (/^urn:/i.test(key)) {
      const at = key.lastIndexOf(':');
      schema = key.slice(0, at);
      name = key.slice(at + 1);
    }
    const hit = resolveAttr(rs, schema, name);
    if (!hit) continue;
    if (hit.ext) {
      const target = ((doc[hit.ext] as ScimDoc | undefined) ??= {});
      target[hit.def.name] = canonValue(hit.def, value);
    } else {
      doc[hit.def.name] = canonValue(hit.def, value);
    }
  }
  return doc;
}

/** Reads a string attribute of a canonical doc; anything else but absent/null is a 400. */
export function optString(v: unknown, name: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') throw scimInvalid('invalidValue', `${name} must be a string`);
  return v;
}

/** Reads a boolean, accepting the "True"/"False" strings identity providers send. */
export function optBoolean(v: unknown, name: string): boolean | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
  throw scimInvalid('invalidValue', `${name} must be true or false`);
}
