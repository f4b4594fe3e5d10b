import Table from 'cli-table3';

/** What commands print: JSON for programs (`--json`), aligned plain columns for people. */

export function printJson(v: unknown): void {
  process.stdout.write(JSON.stringify(v, null, 2) + '\n');
}

const cell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
};

// No borders: columns separated by two spaces read well and stay easy to grep and cut.
const PLAIN = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

function render(head: string[], rows: string[][]): string {
  const t = new Table({ head, chars: PLAIN, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } });
  t.push(...rows);
  return t
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}

/** One row per item, the given fields as columns (headed by their names). */
export function printTable<T extends object>(items: T[], fields: (keyof T & string)[]): void {
  const rows = items.map((it) => fields.map((f) => cell(it[f])));
  process.stdout.write(render(fields, rows) + '\n');
}

/** One object as `field  value` lines. */
export function printRecord(item: object): void {
  const rows = Object.entries(item).map(([k, v]) => [k, cell(v)]);
  process.stdout.write(render(['field', 'value'], rows) + '\n');
}
