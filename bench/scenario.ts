import { http, roster, type BenchContext, type Endpoint } from './context.ts';
import { load, type LoadOptions, type Measured } from './load.ts';

export interface Target {
  /** e.g. "≥ 0.8 × the lean bare stack" */
  text: string;
  met: boolean;
  /** The target is stated for another setting (1,000,000 users, SQLite): reported, not judged. */
  informational?: boolean;
}

/** One run of a reference (the bare stack, the hash ceiling, SCIM GET by id) beside a scenario. */
export interface ReferenceRun {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  cpuUs?: number;
}

/** A scenario measured alternately with its reference: reference, scenario, reference. */
export interface Versus {
  /** What the reference is (its title). */
  reference: string;
  /** The reference's run before and after the scenario's. */
  runs: [ReferenceRun, ReferenceRun];
  /** req/s ÷ the mean of the two reference runs. */
  ratio: number;
  /** req/s ÷ each reference run, low to high (against the faster run, then the slower). */
  range: [number, number];
  /** (faster − slower) ÷ mean of the two reference runs. */
  spread: number;
  /** The reference's mean CPU per request ÷ the scenario's (disturbed less by other load than req/s). */
  cpuRatio?: number;
}

export interface ScenarioResult extends Partial<Measured> {
  name: string;
  title: string;
  skipped?: string;
  /** req/s ÷ /health req/s of the same run. */
  ratio?: number;
  /** The scenario against its reference, run alternately. */
  versus?: Versus;
  target?: Target;
  extra?: Record<string, unknown>;
  /** For targets on the /health ratio: the minimum (lets the runner judge again against another baseline). */
  ratioMin?: number;
  /** Highest RSS of the server sampled during the scenario. */
  rssMaxMiB?: number;
  /** Measured on something other than Roster (its RSS is not Roster's). */
  baseline?: boolean;
}

/** Results so far in this run (baselines for ratios and for the p99-under-load comparison). */
export type Done = Map<string, ScenarioResult>;

export interface Scenario {
  name: string;
  title: string;
  /** The target as `--help` shows it. */
  goal?: string;
  run(ctx: BenchContext, done: Done): Promise<ScenarioResult>;
}

export const skip = (s: { name: string; title: string }, why: string): ScenarioResult => ({
  name: s.name,
  title: s.title,
  skipped: why,
});

/** Runs one request; answers null when it succeeded, else why the scenario cannot run. */
export async function probe(
  on: { base: string },
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<string | null> {
  const r = await http(on.base, method, path, opts);
  if (r.status >= 200 && r.status < 300) return null;
  const noRoute = r.status === 404 && /no route/i.test(r.body);
  return `${method} ${path.split('?')[0]} answered ${r.status}${noRoute ? ' (route not registered: dialect not landed)' : `: ${r.body.slice(0, 160)}`}`;
}

export function healthRps(done: Done): number {
  return done.get('health')?.rps ?? NaN;
}

/** Warm-up (discarded), then the measured run, on Roster unless `on` names another server. */
export async function measure(
  ctx: BenchContext,
  o: Omit<LoadOptions, 'base' | 'connections' | 'duration'> & { connections?: number },
  on: Endpoint = roster(ctx),
): Promise<Measured> {
  const base = { base: on.base, connections: o.connections ?? ctx.connections };
  // Sub-second runs are smoke checks: no warm-up.
  if (ctx.duration >= 1) await load({ ...o, ...base, duration: Math.min(2, ctx.duration / 5), amount: undefined });
  const cpu0 = on.cpuSeconds();
  const m = await load({ ...o, ...base, duration: ctx.duration });
  return { ...m, cpuUs: ((on.cpuSeconds() - cpu0) * 1e6) / Math.max(1, m.total) };
}

const runOf = (m: Measured): ReferenceRun => ({
  rps: m.rps,
  p50: m.p50,
  p99: m.p99,
  errors: m.errors,
  cpuUs: m.cpuUs,
});

/**
 * Reference, subject, reference: the machine is shared and drifts, so the subject is compared with
 * the mean of a run before and after it, and the two reference runs show how far it drifted.
 */
export async function alternate(
  reference: { title: string; run(): Promise<Measured> },
  subject: () => Promise<Measured>,
): Promise<{ m: Measured; versus: Versus }> {
  const before = await reference.run();
  const m = await subject();
  const after = await reference.run();
  const [fast, slow] = before.rps >= after.rps ? [before, after] : [after, before];
  const mean = (before.rps + after.rps) / 2;
  // A reference run that completed nothing (a starved machine) leaves the ratio unknown, not infinite.
  const div = (a: number, b: number) => (b > 0 ? a / b : NaN);
  const cpu = [before.cpuUs, after.cpuUs].filter((x): x is number => x !== undefined && Number.isFinite(x));
  return {
    m,
    versus: {
      reference: reference.title,
      runs: [runOf(before), runOf(after)],
      ratio: div(m.rps, mean),
      range: [div(m.rps, fast.rps), div(m.rps, slow.rps)],
      spread: div(fast.rps - slow.rps, mean),
      cpuRatio: cpu.length === 2 && m.cpuUs ? (cpu[0] + cpu[1]) / 2 / m.cpuUs : undefined,
    },
  };
}

/**
 * A result judged on its ratio to its reference. The ratio targets are stated for SQLite; on
 * PostgreSQL they are reported, not judged.
 */
export function versusTarget(
  ctx: BenchContext,
  r: ScenarioResult & { versus: Versus },
  min: number,
  what: string,
): ScenarioResult {
  const refErrors = r.versus.runs[0].errors + r.versus.runs[1].errors;
  return {
    ...r,
    target: {
      text: `≥ ${min} × ${what}`,
      met: r.versus.ratio >= min && r.errors === 0 && refErrors === 0,
      informational: ctx.db === 'postgres',
    },
  };
}

/** A p99 target, stated for 1,000,000 users on SQLite. */
export function p99Target(ctx: BenchContext, r: ScenarioResult, ms: number, connections: number): ScenarioResult {
  return {
    ...r,
    target: {
      text: `p99 ≤ ${ms} ms (1,000,000 users, ${connections} connections)`,
      met: r.p99! <= ms && r.errors === 0,
      informational: ctx.users < 1_000_000 || ctx.db === 'postgres',
    },
  };
}

/** `n` picks from `items` in random order. */
export const shuffled = <T>(items: T[], n: number): T[] =>
  Array.from({ length: n }, () => items[Math.floor(Math.random() * items.length)]);
