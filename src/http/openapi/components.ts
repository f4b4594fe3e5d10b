import type { TSchema } from '@sinclair/typebox';

/** The keyword a wire schema carries to be published as `#/components/schemas/<name>`. */
const MARK = 'x-component';

/**
 * Names a wire schema for the OpenAPI document: it is published once under components.schemas and
 * referenced with $ref wherever a route uses it. Validation and serialisation ignore the keyword.
 */
export const named = <T extends TSchema>(name: string, schema: T): T => ({ ...schema, [MARK]: name });

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Key order does not matter when two uses of one name are compared. */
function canonical(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** Keywords that describe a use of a schema rather than the schema: they may differ between uses. */
const ANNOTATIONS = ['description', 'title', 'example', 'default'];

/**
 * Moves every marked schema of the document into components.schemas and leaves a $ref in its place
 * (innermost first, so a named list refers to its named item). `T | null` arrives merged into one
 * object (OpenAPI 3.0 has no null type, and the use's own description joins it): such a use becomes
 * a nullable allOf of the reference, keeping its description. Two different shapes under one name
 * are a programming error: the document would lie about one of them.
 */
export function liftComponents(doc: Record<string, Json>): void {
  const components = (doc.components ??= {}) as Record<string, Json>;
  const schemas = (components.schemas ??= {}) as Record<string, Record<string, Json>>;
  const nullableUses: { name: string; node: Record<string, Json>; at: Record<string, Json> }[] = [];
  const register = (name: string, node: Record<string, Json>) => {
    const before = schemas[name];
    if (before !== undefined && canonical(before) !== canonical(node))
      throw new Error(`two different schemas are named ${name} in the OpenAPI document`);
    schemas[name] = node;
  };
  const walk = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(walk);
    if (!isObject(node)) return node;
    for (const k of Object.keys(node)) node[k] = walk(node[k]);
    const name = node[MARK];
    if (typeof name !== 'string') return node;
    delete node[MARK];
    if (node.nullable === true) {
      delete node.nullable;
      const at: Record<string, Json> = {}; // filled in once every plain use is known
      nullableUses.push({ name, node, at });
      return at;
    }
    register(name, node);
    return { $ref: `#/components/schemas/${name}` };
  };
  doc.paths = walk(doc.paths);
  for (const { name, node, at } of nullableUses) {
    const plain = schemas[name];
    const use: Record<string, Json> = {};
    if (plain)
      for (const k of ANNOTATIONS)
        if (node[k] !== undefined && canonical(node[k]) !== canonical(plain[k])) {
          use[k] = node[k];
          if (plain[k] === undefined) delete node[k];
          else node[k] = plain[k];
        }
    register(name, node);
    Object.assign(at, { type: node.type, nullable: true, ...use, allOf: [{ $ref: `#/components/schemas/${name}` }] });
  }
}
