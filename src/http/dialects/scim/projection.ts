import { isObject, type ScimDoc } from './document.ts';
import { scimInvalid } from './errors.ts';
import { splitAttrPath, type AttrPath } from './filter.ts';
import type { ResourceSchema } from './resource-schemas.ts';

/** `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5), parsed once per request. */
export interface Projection {
  attributes: AttrPath[];
  excluded: AttrPath[];
}

function parseList(v: unknown, name: string): AttrPath[] {
  if (v === undefined || v === null || v === '') return [];
  const items = Array.isArray(v) ? v : String(v).split(',');
  return items
    .map((x) => String(x).trim())
    .filter((x) => x !== '')
    .map((x) => {
      try {
        return splitAttrPath(x, { allowBareSchema: true });
      } catch {
        throw scimInvalid('invalidValue', `${name}: "${x}" is not an attribute path`);
      }
    });
}

export function parseProjection(attributes: unknown, excluded: unknown): Projection {
  return { attributes: parseList(attributes, 'attributes'), excluded: parseList(excluded, 'excludedAttributes') };
}

const ALWAYS = new Set(['schemas', 'id']);

/** Where a path points in a doc: the object holding it (core or an extension) and its key. */
function locate(
  rs: ResourceSchema,
  doc: ScimDoc,
  p: AttrPath,
): { holder: Record<string, unknown>; key: string | undefined; ext?: string } | undefined {
  const ext = p.schema ? rs.extensions.find((e) => e.urn.toLowerCase() === p.schema!.toLowerCase()) : undefined;
  if (ext) {
    if (p.attr === '') return { holder: doc, key: ext.urn, ext: ext.urn };
    const holder = doc[ext.urn];
    if (!isObject(holder)) return undefined;
    return { holder, key: Object.keys(holder).find((k) => k.toLowerCase() === p.attr.toLowerCase()), ext: ext.urn };
  }
  if (p.schema && p.schema.toLowerCase() !== rs.core.urn.toLowerCase()) return undefined;
  return { holder: doc, key: Object.keys(doc).find((k) => k.toLowerCase() === p.attr.toLowerCase()) };
}

function pickSub(v: unknown, sub: string): unknown {
  const one = (o: unknown) => {
    if (!isObject(o)) return undefined;
    const k = Object.keys(o).find((x) => x.toLowerCase() === sub.toLowerCase());
    return k === undefined ? undefined : { [k]: o[k] };
  };
  if (Array.isArray(v)) return v.map(one).filter((x) => x !== undefined);
  return one(v);
}

/** Whether a top-level attribute (e.g. `members`, `groups`) will be rendered: lets the caller skip loading it. */
export function wants(p: Projection, attr: string): boolean {
  const a = attr.toLowerCase();
  if (p.excluded.some((x) => !x.schema && x.attr.toLowerCase() === a && !x.sub)) return false;
  if (p.attributes.length === 0) return true;
  return p.attributes.some((x) => !x.schema && x.attr.toLowerCase() === a);
}

/** Applies the projection to a rendered resource; `id` and `schemas` are always returned. */
export function project(rs: ResourceSchema, doc: ScimDoc, p: Projection): ScimDoc {
  let out: ScimDoc = doc;
  if (p.attributes.length) {
    out = {};
    for (const k of Object.keys(doc)) if (ALWAYS.has(k)) out[k] = doc[k];
    for (const path of p.attributes) {
      const at = locate(rs, doc, path);
      if (!at?.key || at.holder[at.key] === undefined) continue;
      const value = path.sub ? pickSub(at.holder[at.key], path.sub) : at.holder[at.key];
      if (value === undefined) continue;
      const target = at.ext && path.attr !== '' ? ((out[at.ext] as ScimDoc | undefined) ??= {}) : out;
      const existing = target[at.key];
      if (path.sub && isObject(existing) && isObject(value)) target[at.key] = { ...existing, ...value };
      else if (path.sub && Array.isArray(existing) && Array.isArray(value))
        target[at.key] = existing.map((e, i) => ({ ...(e as object), ...(value[i] as object) }));
      else target[at.key] = value;
    }
  }
  if (p.excluded.length) {
    out = structuredClone(out);
    for (const path of p.excluded) {
      const at = locate(rs, out, path);
      if (!at?.key || ALWAYS.has(at.key)) continue;
      if (!path.sub) {
        delete at.holder[at.key];
        continue;
      }
      const v = at.holder[at.key];
      for (const o of Array.isArray(v) ? v : [v]) {
        if (!isObject(o)) continue;
        const k = Object.keys(o).find((x) => x.toLowerCase() === path.sub!.toLowerCase());
        if (k) delete o[k];
      }
    }
  }
  return out;
}
