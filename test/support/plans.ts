import pg from 'pg';
import type { Backend } from './backends.ts';

/**
 * The plans PostgreSQL actually runs for Roster's statements, as its pool runs them (named or
 * unnamed, generic or custom): the test database's connections load auto_explain, which sends the
 * plan of every statement to the client as a notice; every pg client of this process collects them.
 */
export interface PlanLog {
  /** A PostgreSQL backend whose connections report their plans. */
  backend: Backend;
  /** Plans logged since the last `take` (each: "Query Text: …" and the plan). */
  take(): string[];
  /** Stops collecting. */
  stop(): void;
}

export function planLog(pgBackend: Backend): PlanLog {
  let plans: string[] = [];
  const connect = pg.Client.prototype.connect;
  pg.Client.prototype.connect = function (this: pg.Client, ...args: unknown[]) {
    this.on('notice', (n) => {
      if (n.message?.includes('Query Text:')) plans.push(n.message);
    });
    return (connect as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof connect;
  return {
    backend: {
      name: 'postgres',
      async fresh() {
        const db = await pgBackend.fresh();
        const url = new URL(db.url);
        const explain =
          '-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0 -c client_min_messages=log';
        url.searchParams.set('options', `${url.searchParams.get('options') ?? ''} ${explain}`.trim());
        return { url: url.toString(), drop: db.drop };
      },
    },
    take() {
      const out = plans;
      plans = [];
      return out;
    },
    stop() {
      pg.Client.prototype.connect = connect;
    },
  };
}

/** Plans whose query text matches `re`: the query's line and the plan's lines (without JIT details). */
export function plansOf(plans: string[], re: RegExp): string[] {
  return plans
    .filter((p) =>
      re.test(p.slice(p.indexOf('Query Text:'), p.indexOf('\n', p.indexOf('Query Text:')) + 1 || undefined)),
    )
    .map((p) => {
      const lines = p.split('\n');
      const q = lines.findIndex((l) => l.startsWith('Query Text:'));
      return [lines[q], ...lines.slice(q + 1).filter((l) => !/^\s*(JIT|Functions|Options):/.test(l))].join('\n');
    });
}
