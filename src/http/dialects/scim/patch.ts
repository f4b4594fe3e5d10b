import { scimInvalid } from './errors.ts';
import {
  compareValue,
  equalities,
  matchesEntry,
  parsePatchPath,
  splitAttrPath,
  type Filter,
  type PatchPath,
} from './filter.ts';
import { canonValue, isObject, type ScimDoc } from './document.ts';
import { findDef, resolveAttr, type AttrDef, type ResourceSchema } from './resource-schemas.ts';

type Op = 'add' | 'remove' | 'replace';

interface Target {
  def: AttrDef;
  ext: string | null;
  sub?: AttrDef;
  filter?: Filter;
}

/** A key of an operation, found case-insensitively (`Op`, `Path`, `Value` are seen in the wild). */
function field(o: Record<string, unknown>, name: string): unknown {
  const k = Object.keys(o).find((x) => x.toLowerCase() === name);
  return k === undefined ? undefined : o[k];
}

function targetOf(rs: ResourceSchema, pp: PatchPath, raw: string): Target {
  const hit = resolveAttr(rs, pp.path.schema, pp.path.attr);
  if (!hit) throw scimInvalid('invalidPath', `"${raw}" is not an attribute of ${rs.name}`);
  const t: Target = { def: hit.def, ext: hit.ext };
  if (pp.path.sub) {
    const sub = findDef(hit.def.subAttributes, pp.path.sub);
    if (!sub) throw scimInvalid('invalidPath', `"${raw}": ${hit.def.name} has no sub-attribute ${pp.path.sub}`);
    t.sub = sub;
  }
  if (pp.filter) {
    if (!hit.def.multiValued)
      throw scimInvalid('invalidPath', `"${raw}": a value filter applies to multi-valued attributes only`);
    t.filter = pp.filter;
  }
  return t;
}

const readOnly = (t: Target) => t.def.mutability === 'readOnly' || t.sub?.mutability === 'readOnly';

function containerOf(doc: ScimDoc, ext: string | null): Record<string, unknown> {
  if (!ext) return doc;
  if (!isObject(doc[ext])) doc[ext] = {};
  return doc[ext] as Record<string, unknown>;
}

const caseExactOf = (def: AttrDef) => (sub: string) => findDef(def.subAttributes, sub)?.caseExact ?? false;

/** Whether an entry is the one a removal value names: every non-null sub-attribute given must match. */
function sameEntry(def: AttrDef, entry: Record<string, unknown>, probe: unknown): boolean {
  if (!isObject(probe)) return compareValue('eq', entry.value, probe as string, caseExactOf(def)('value'));
  const keys = Object.keys(probe).filter(
    (k) => probe[k] !== null && probe[k] !== undefined && k !== 'display' && k !== '$ref',
  );
  if (keys.length === 0) return false;
  return keys.every((k) => {
    const v = probe[k];
    return typeof v === 'object'
      ? false
      : compareValue('eq', entry[k], v as string | number | boolean, caseExactOf(def)(k));
  });
}

const isTrue = (v: unknown) => v === true || (typeof v === 'string' && v.toLowerCase() === 'true');

/** RFC 7643 §2.4: at most one value is primary; the entry just written wins. */
function singlePrimary(list: Record<string, unknown>[], touched: Record<string, unknown>[]): void {
  const winner = touched.find((e) => isTrue(e.primary));
  if (!winner) return;
  for (const e of list) if (e !== winner && 'primary' in e) e.primary = false;
}

function entries(c: Record<string, unknown>, name: string): Record<string, unknown>[] {
  const v = c[name];
  return Array.isArray(v) ? (v.filter(isObject) as Record<string, unknown>[]) : [];
}

function apply(op: Op, t: Target, value: unknown, doc: ScimDoc): void {
  const c = containerOf(doc, t.ext);
  const name = t.def.name;
  if (op !== 'remove' && value === undefined) throw scimInvalid('invalidValue', `${op} of ${name} needs a value`);

  if (t.filter) {
    const list = entries(c, name);
    const hits = list.filter((e) => matchesEntry(t.filter!, e, caseExactOf(t.def)));
    if (op === 'remove') {
      if (t.sub) for (const h of hits) delete h[t.sub.name];
      else c[name] = list.filter((e) => !hits.includes(e));
      return;
    }
    const entryValue = t.sub ? value : canonValue({ ...t.def, multiValued: false }, value);
    if (!t.sub && !isObject(entryValue))
      throw scimInvalid('invalidValue', `the value for ${name}[…] must be an object`);
    if (hits.length === 0) {
      // Entra and Okta address an absent entry by filter (emails[type eq "work"].value): create it.
      const seed: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(equalities(t.filter))) {
        const sub = findDef(t.def.subAttributes, k);
        if (sub) seed[sub.name] = v;
      }
      const created = t.sub ? { ...seed, [t.sub.name]: value } : { ...seed, ...(entryValue as object) };
      list.push(created);
      hits.push(created);
    } else {
      for (const h of hits) {
        if (t.sub) h[t.sub.name] = value;
        else if (op === 'add') Object.assign(h, entryValue);
        else {
          for (const k of Object.keys(h)) delete h[k];
          Object.assign(h, entryValue);
        }
      }
    }
    singlePrimary(list, hits);
    c[name] = list;
    return;
  }

  if (t.sub) {
    const subName = t.sub.name;
    if (t.def.multiValued) {
      const list = entries(c, name);
      if (op === 'remove') for (const e of list) delete e[subName];
      else if (list.length === 0) list.push({ [subName]: value });
      else for (const e of list) e[subName] = value;
      c[name] = list;
      return;
    }
    const obj = isObject(c[name]) ? (c[name] as Record<string, unknown>) : {};
    if (op === 'remove' || value === null) delete obj[subName];
    else obj[subName] = value;
    c[name] = obj;
    return;
  }

  if (op === 'remove') {
    if (t.def.multiValued && value !== undefined && value !== null) {
      // Entra: {"op":"Remove","path":"members","value":[{"value":"<id>"}]} removes those entries only.
      const probes = Array.isArray(value) ? value : [value];
      c[name] = entries(c, name).filter((e) => !probes.some((p) => sameEntry(t.def, e, p)));
    } else {
      delete c[name];
    }
    return;
  }
  if (value === null) {
    delete c[name];
    return;
  }
  const v = canonValue(t.def, value);
  if (t.def.multiValued) {
    const incoming = (v as unknown[]).map((x) => (isObject(x) ? { ...x } : { value: x }));
    if (op === 'replace') {
      singlePrimary(incoming, incoming);
      c[name] = incoming;
      return;
    }
    const list = entries(c, name);
    const touched: Record<string, unknown>[] = [];
    for (const item of incoming) {
      const same = item.value !== undefined ? list.find((e) => sameEntry(t.def, e, { value: item.value })) : undefined;
      if (same) Object.assign(same, item);
      else list.push(item);
      touched.push(same ?? item);
    }
    singlePrimary(list, touched);
    c[name] = list;
    return;
  }
  if (t.def.type === 'complex' && isObject(v)) {
    // RFC 7644 §3.5.2.1/3: sub-attributes not given keep their values.
    c[name] = { ...(isObject(c[name]) ? (c[name] as object) : {}), ...v };
    return;
  }
  c[name] = v;
}

/** A pathless add/replace: each key of the value object is a path (`name.givenName`, `urn:…:employeeNumber`). */
function applyPathless(rs: ResourceSchema, op: Op, value: unknown, doc: ScimDoc): void {
  if (!isObject(value)) throw scimInvalid('invalidValue', `${op} without a path needs an object value`);
  for (const [key, v] of Object.entries(value)) {
    if (key.toLowerCase() === 'schemas') continue;
    const ext = rs.extensions.find((e) => e.urn.toLowerCase() === key.toLowerCase());
    if (ext) {
      if (!isObject(v)) throw scimInvalid('invalidValue', `${ext.urn} must be an object`);
      for (const [k, x] of Object.entries(v)) {
        const def = findDef(ext.attrs, k);
        if (def && def.mutability !== 'readOnly') apply(op, { def, ext: ext.urn }, x, doc);
      }
      continue;
    }
    let path;
    try {
      path = splitAttrPath(key);
    } catch {
      throw scimInvalid('invalidPath', `"${key}" is not a valid attribute path`);
    }
    const hit = resolveAttr(rs, path.schema, path.attr);
    if (!hit) continue; // unknown extras are ignored, as on POST
    const t: Target = { def: hit.def, ext: hit.ext };
    if (path.sub) {
      const sub = findDef(hit.def.subAttributes, path.sub);
      if (!sub) continue;
      t.sub = sub;
    }
    if (readOnly(t)) continue; // e.g. a PUT-like body echoing id or meta
    apply(op, t, v, doc);
  }
}

/**
 * Applies RFC 7644 §3.5.2 operations to a copy of a canonical resource. All or nothing: the copy is
 * returned only when every operation succeeded; a failing one throws before anything is written.
 */
export function applyPatch(rs: ResourceSchema, doc: ScimDoc, body: unknown): ScimDoc {
  if (!isObject(body)) throw scimInvalid('invalidSyntax', 'the request body must be a PatchOp object');
  const ops = field(body, 'operations');
  if (!Array.isArray(ops) || ops.length === 0)
    throw scimInvalid('invalidSyntax', 'Operations must be a non-empty array');
  const out = structuredClone(doc);
  for (const raw of ops) {
    if (!isObject(raw)) throw scimInvalid('invalidSyntax', 'each operation must be an object');
    const opName = String(field(raw, 'op') ?? '').toLowerCase();
    if (opName !== 'add' && opName !== 'remove' && opName !== 'replace') {
      throw scimInvalid('invalidSyntax', `op must be add, remove or replace (not ${JSON.stringify(field(raw, 'op'))})`);
    }
    const path = field(raw, 'path');
    const value = field(raw, 'value');
    if (path === undefined || path === null || path === '') {
      if (opName === 'remove') throw scimInvalid('noTarget', 'remove needs a path');
      applyPathless(rs, opName, value, out);
      continue;
    }
    if (typeof path !== 'string') throw scimInvalid('invalidPath', 'path must be a string');
    const pp = parsePatchPath(path);
    if (pp.path.attr === '' && pp.path.schema) {
      // The path is an extension URN itself: its value holds that extension's attributes.
      if (opName === 'remove') {
        delete out[
          rs.extensions.find((e) => e.urn.toLowerCase() === pp.path.schema!.toLowerCase())?.urn ?? pp.path.schema
        ];
        continue;
      }
      applyPathless(rs, opName, { [pp.path.schema]: value }, out);
      continue;
    }
    const t = targetOf(rs, pp, path);
    if (readOnly(t)) throw scimInvalid('mutability', `${path} is read-only`);
    apply(opName, t, value, out);
  }
  return out;
}
