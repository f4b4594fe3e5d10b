import { readFileSync, writeFileSync } from 'node:fs';
import type { ScenarioResult, Versus } from './scenarios.ts';

export interface RunReport {
  date: string;
  command: string;
  db: 'sqlite' | 'postgres';
  users: number;
  durationS: number;
  connections: number;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    node: string;
    loadAvgStart: number[];
    loadAvgEnd: number[];
  };
  seedSeconds: number;
  healthEndRps?: number;
  /** The faster of the two /health runs: every ratio is against it. */
  healthBaselineRps?: number;
  memory: {
    startMiB?: number;
    endMiB?: number;
    peakMiB?: number;
    target: string;
    met: boolean | null;
    informational: boolean;
  };
  scenarios: ScenarioResult[];
}

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || Number.isNaN(n)
    ? '–'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** CPU per request and how it compares with /health's (health ÷ this: comparable to the req/s ratio on an idle machine). */
function cpuCell(us: number | undefined, health: number | undefined): string {
  if (us === undefined || Number.isNaN(us)) return '';
  return health ? `${fmt(us)} (${fmt(health / us, 2)})` : fmt(us);
}

function verdict(met: boolean | null | undefined, informational?: boolean): string {
  if (met === undefined || met === null) return '';
  const word = met ? 'met' : '**missed**';
  return informational ? `${met ? 'met' : 'missed'} (informational at this N)` : word;
}

/** The reference's two runs and how far apart they were. */
function referenceCell(v: Versus | undefined): string {
  if (!v) return '';
  const cpu = v.runs.every((x) => x.cpuUs !== undefined && Number.isFinite(x.cpuUs))
    ? `, ${fmt(v.runs[0].cpuUs)} / ${fmt(v.runs[1].cpuUs)} µs/req`
    : '';
  return `${v.reference.replace(/\|/g, '\\|')}: ${fmt(v.runs[0].rps)} / ${fmt(v.runs[1].rps)} req/s${cpu}, spread ${fmt(v.spread * 100, 1)} %`;
}

/** Ratio to the mean of the reference runs, with the ratio against each of them. */
function ratioCell(v: Versus | undefined): string {
  if (!v) return '';
  const cpu = v.cpuRatio === undefined ? '' : `; CPU ${fmt(v.cpuRatio, 2)}`;
  return `**${fmt(v.ratio, 2)}** (${fmt(v.range[0], 2)}–${fmt(v.range[1], 2)}${cpu})`;
}

export function markdownTable(r: RunReport): string {
  const lines = [
    `**${r.db}**, ${r.users.toLocaleString('en-US')} users, ${r.durationS} s per scenario, ${r.connections} connections — ${r.date}`,
    `machine: ${r.machine.cpus} CPUs (${r.machine.cpuModel}), ${r.machine.memoryGiB} GiB, Node ${r.machine.node}; load average at start ${r.machine.loadAvgStart.map((x) => x.toFixed(2)).join(' ')}, at end ${r.machine.loadAvgEnd.map((x) => x.toFixed(2)).join(' ')}`,
    `command: \`${r.command}\``,
    '',
    '| scenario | req/s | p50 ms | p99 ms | errors | reference (run before / after) | ratio to reference (range) | × /health | server CPU µs/req (× /health) | RSS max MiB | target | |',
    '|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---|',
  ];
  const healthCpu = r.scenarios.find((s) => s.name === 'health')?.cpuUs;
  for (const s of r.scenarios) {
    if (s.skipped) {
      lines.push(`| ${s.title} | | | | | | | | | | | skipped: ${s.skipped.replace(/\|/g, '\\|')} |`);
      continue;
    }
    lines.push(
      `| ${s.title.replace(/\|/g, '\\|')} | ${fmt(s.rps)} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.errors)} | ${referenceCell(s.versus)} | ${ratioCell(s.versus)} | ${s.ratio === undefined ? '' : fmt(s.ratio, 2)} | ${cpuCell(s.cpuUs, healthCpu)} | ${fmt(s.rssMaxMiB)} | ${s.target?.text ?? ''} | ${verdict(s.target?.met, s.target?.informational)} |`,
    );
  }
  const m = r.memory;
  lines.push(
    `| RSS of the server (start → end, peak) | | | | | | | | | | ${m.target} | ${fmt(m.startMiB)} → ${fmt(m.endMiB)} MiB, peak ${fmt(m.peakMiB)} MiB: ${verdict(m.met, m.informational)} |`,
  );
  const start = r.scenarios.find((s) => s.name === 'health')?.rps;
  if (r.healthEndRps !== undefined) {
    lines.push(
      '',
      `/health: ${fmt(start)} req/s at the start, ${fmt(r.healthEndRps)} at the end; × /health is against the faster (${fmt(r.healthBaselineRps)}). A ratio to a reference is req/s ÷ the mean of the reference's runs before and after the scenario; the range is the ratio against each; the spread is how far the two reference runs differ.`,
    );
  }
  return lines.join('\n');
}

/** Replaces the block between `<!-- bench:<db> -->` and `<!-- /bench:<db> -->` in BENCHMARKS.md. */
export function updateMarkdown(file: string, r: RunReport): boolean {
  const text = readFileSync(file, 'utf8');
  const open = `<!-- bench:${r.db} -->`;
  const close = `<!-- /bench:${r.db} -->`;
  const a = text.indexOf(open);
  const b = text.indexOf(close);
  if (a < 0 || b < a) return false;
  writeFileSync(file, `${text.slice(0, a + open.length)}\n${markdownTable(r)}\n${text.slice(b)}`);
  return true;
}
