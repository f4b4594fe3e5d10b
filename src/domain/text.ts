import { invalid } from './errors.ts';

/**
 * The text rule every dialect shares: NUL (PostgreSQL text cannot hold it) and unpaired UTF-16
 * surrogates (not Unicode: PostgreSQL refuses them, SQLite would store U+FFFD) are refused, never
 * stored altered.
 */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The path of the first string (or object key) in a value that breaks the text rule, or null. */
export function unstorableAt(value: unknown, path: string): string | null {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const at = unstorableAt(value[i], `${path}.${i}`);
      if (at !== null) return at;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      // A bad key is reported as the object holding it: the key itself cannot be shown as sent.
      if (UNSTORABLE.test(k)) return path;
      const at = unstorableAt(v, `${path}.${k}`);
      if (at !== null) return at;
    }
  }
  return null;
}

/** True when any string (or object key) in a value breaks the text rule. */
export const hasUnstorableText = (value: unknown): boolean => unstorableAt(value, '') !== null;

/** Throws a 400 naming the field when a value (a string, or any JSON) breaks the text rule. */
export function checkText(value: unknown, field: string, code = 'text.invalid'): void {
  const at = unstorableAt(value, field);
  if (at !== null) throw invalid(code, `${at} must not contain NUL characters or unpaired surrogates`, at);
}

/** checkText over every named field of an input object (fields not sent are skipped). */
export function checkTextFields(input: object, code = 'text.invalid'): void {
  for (const [k, v] of Object.entries(input)) if (v !== undefined && v !== null) checkText(v, k, code);
}
