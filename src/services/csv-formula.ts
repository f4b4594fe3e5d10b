/**
 * Spreadsheet formula injection (OWASP): a cell that begins with = + - @, a tab or a carriage return
 * is run as a formula by Excel and LibreOffice. Export prefixes such cells (and cells already
 * beginning with the prefix, so the rule can be undone) with a single quote; import removes it again.
 */
const FORMULA_START = /^[=+\-@\t\r']/;

export const escapeFormula = (s: string): string => (FORMULA_START.test(s) ? `'${s}` : s);

export const unescapeFormula = (s: string): string =>
  s.length > 1 && s[0] === "'" && FORMULA_START.test(s.slice(1)) ? s.slice(1) : s;
