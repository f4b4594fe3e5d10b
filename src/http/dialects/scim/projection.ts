import { isObject, type ScimDoc } from './document.ts';
import { scimInvalid } from './errors.ts';
import { matchesEntry, parsePatchPath, splitAttrPath, type AttrPath, type Filter } from './filter.ts';
import { findDef, resolveAttr, type ResourceSchema } from './resource-schemas.ts';

/** An attribute to return or leave out; a value path (`emails[type eq "work"]`) narrows a multi-valued one to its matching entries. */
export type Selector = AttrPath & { filter?: Filter };

/** `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5), parsed once per request. */
export interface Projection {
  attributes: Selector[];
  excluded: Selector[];
}

/** Splits a comma-separated list at the commas outside value filters and quoted strings. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

function parseSelector(x: string, name: string): Selector {
  try {
    if (!x.includes('[')) return splitAttrPath(x, { allowBareSchema: true });
    const pp = parsePatchPath(x);
    return { ...pp.path, ...(pp.filter ? { filter: pp.filter } : {}) };
  } catch {
    throw scimInvalid('invalidValue', `${name}: "${x}" is not an attribute path`);
  }
}

function parseList(v: unknown, name: string): Selector[] {
  if (v === undefined || v === null || v === '') return [];
  const items = Array.isArray(v) ? v.map(String) : splitTop(String(v));
  return items
    .map((x) => x.trim())
    .filter((x) => x !== '')
    .map((x) => parseSelector(x, name));
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

/** The entries of a multi-valued attribute a selector's value filter matches (sub-attribute names compare as the schema says). */
function matching(rs: ResourceSchema, path: Selector, v: unknown): unknown[] {
  const def = resolveAttr(rs, path.schema, path.attr)?.def;
  const caseExact = (sub: string) => findDef(def?.subAttributes, sub)?.caseExact ?? false;
  return (Array.isArray(v) ? v : [v]).filter((e) => isObject(e) && matchesEntry(path.filter!, e, caseExact));
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
      const whole = path.filter ? matching(rs, path, at.holder[at.key]) : at.holder[at.key];
      if (path.filter && (whole as unknown[]).length === 0) continue;
      const value = path.sub ? pickSub(whole, path.sub) : whole;
      if (value === undefined) continue;
      const target = at.ext && path.attr !== '' ? ((out[at.ext] as ScimDoc | undefined) ??= {}) : out;
      const existing = target[at.key];
      if (path.filter && Array.isArray(existing) && Array.isArray(value)) {
        // Two value paths on one attribute: the entries of both, each once.
        const seen = new Set(existing.map((e) => JSON.stringify(e)));
        target[at.key] = [...existing, ...value.filter((e) => !seen.has(JSON.stringify(e)))];
      } else if (path.sub && isObject(existing) && isObject(value)) target[at.key] = { ...existing, ...value };
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
      if (path.filter) {
        const hit = new Set(matching(rs, path, at.holder[at.key]));
        const v = at.holder[at.key];
        if (!path.sub && Array.isArray(v)) {
          const kept = v.filter((e) => !hit.has(e));
          if (kept.length) at.holder[at.key] = kept;
          else delete at.holder[at.key];
          continue;
        }
        for (const o of hit) {
          const k = Object.keys(o as object).find((x) => x.toLowerCase() === path.sub!.toLowerCase());
          if (k) delete (o as Record<string, unknown>)[k];
        }
        continue;
      }
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
