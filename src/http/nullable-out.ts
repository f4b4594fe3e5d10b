import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** A nullable field of a *request* schema: Ajv validates the union (responses use NullableOut). */
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/**
 * A nullable field of a *response* schema, written the OpenAPI 3.0 way (`nullable: true`).
 * fast-json-stringify serialises `anyOf: [T, null]` (Type.Union) by running a schema check per
 * value to pick the branch: for list pages with many nullable fields that made the serialiser
 * slower than JSON.stringify.
 * Request schemas keep Type.Union: Ajv validates those, and it reads `nullable` only next to `type`.
 * `base` must carry a `type` (a string type, or an enum of strings).
 */
export const NullableOut = <T extends TSchema>(base: T) => Type.Unsafe<Static<T> | null>({ ...base, nullable: true });

/** A string from a closed list, or null, for response schemas (see NullableOut). */
export const NullableEnumOut = <const V extends readonly string[]>(values: V) =>
  Type.Unsafe<V[number] | null>({ type: 'string', enum: [...values], nullable: true });

/** A string from a closed list, for response schemas: `enum` instead of a union of literals (anyOf, see NullableOut). */
export const EnumOut = <const V extends readonly string[]>(values: V) =>
  Type.Unsafe<V[number]>({ type: 'string', enum: [...values] });
