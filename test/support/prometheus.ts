/**
 * A strict reader of the Prometheus text exposition format (0.0.4): every line must be a HELP or
 * TYPE comment or a well-formed sample of a declared family, or it throws. (The npm parser tried,
 * parse-prometheus-text-format, drops the labels of labelled histograms.)
 */
export interface Sample {
  /** The sample's own name: `<family>`, or `<family>_bucket|_sum|_count` of a histogram. */
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

function labelsOf(text: string, line: string): Record<string, string> {
  const out: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const m = LABEL.exec(text);
    if (!m) throw new Error(`bad labels in: ${line}`);
    if (m[1] in out) throw new Error(`repeated label ${m[1]} in: ${line}`);
    out[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    if (m[3] === '') break;
  }
  return out;
}

/** As Prometheus reads values (Go's ParseFloat): Inf and NaN in any case. */
function numberOf(v: string, line: string): number {
  if (/^\+?inf(inity)?$/i.test(v)) return Infinity;
  if (/^-inf(inity)?$/i.test(v)) return -Infinity;
  if (/^nan$/i.test(v)) return NaN;
  const n = Number(v);
  if (v === '' || Number.isNaN(n)) throw new Error(`bad value in: ${line}`);
  return n;
}

export function parseMetrics(text: string): Family[] {
  const families = new Map<string, Family>();
  const get = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, help: '', type: 'untyped', samples: [] }));
    return f;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const f = get(meta[2]);
      if (meta[1] === 'HELP') f.help = meta[3];
      else if (['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(meta[3]))
        f.type = meta[3] as Family['type'];
      else throw new Error(`bad type in: ${line}`);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample: ${line}`);
    const base = families.has(m[1]) ? m[1] : m[1].replace(/_(bucket|sum|count|total)$/, '');
    const f = families.get(base) ?? families.get(m[1]);
    if (!f) throw new Error(`sample of an undeclared family: ${line}`);
    f.samples.push({ name: m[1], labels: m[2] ? labelsOf(m[2], line) : {}, value: numberOf(m[3], line) });
  }
  return [...families.values()];
}

/** One family by name (throws when missing, naming the ones there are). */
export function family(all: Family[], name: string): Family {
  const f = all.find((x) => x.name === name);
  if (!f) throw new Error(`no metric ${name} (have: ${all.map((x) => x.name).join(', ')})`);
  return f;
}

/** The samples of a family (or of one of its series, e.g. `_count`) whose labels include `labels`. */
export const samples = (f: Family, labels: Record<string, string> = {}, name = f.name): Sample[] =>
  f.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

/**
 * The value of the one sample matching `labels` (a histogram's `_count`); 0 when none (a label
 * set not seen yet).
 */
export function valueOf(all: Family[], name: string, labels: Record<string, string> = {}): number {
  const f = family(all, name);
  const s = samples(f, labels, f.type === 'histogram' ? `${name}_count` : f.name);
  if (s.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${s.length} samples`);
  return s.length === 0 ? 0 : s[0].value;
}
