import type { Store } from '../store/store.ts';
import type { Principal } from '../domain/privileges.ts';
import { authorize } from './access.ts';
import { tenantNotFound } from '../domain/tenant.ts';
import { utcDay } from '../store/stats-store.ts';

const DAY_MS = 86_400_000;
export const DASHBOARD_DAYS = 30;

export interface Dashboard {
  users: { total: number; active: number; verified: number; createdLast7Days: number; createdLast30Days: number };
  /** One entry per UTC day, oldest first, today last (days without any count 0). */
  days: { day: string; signups: number; logins: number }[];
}

/** What the console's dashboard shows of a tenant. */
export class DashboardService {
  constructor(private readonly store: Store) {}

  async get(p: Principal, tenantId: number, now = Date.now()): Promise<Dashboard> {
    authorize(p, tenantId, 'users:read');
    if (!(await this.store.tenants.byId(tenantId))) throw tenantNotFound();
    const today = Date.parse(utcDay(now));
    const first = today - (DASHBOARD_DAYS - 1) * DAY_MS;
    const [counts, signups, logins] = await Promise.all([
      this.store.stats.userCounts(tenantId, now - 7 * DAY_MS, now - 30 * DAY_MS),
      this.store.stats.signupsPerDay(tenantId, first),
      this.store.stats.loginsPerDay(tenantId, utcDay(first)),
    ]);
    const days = Array.from({ length: DASHBOARD_DAYS }, (_, i) => {
      const day = utcDay(first + i * DAY_MS);
      return { day, signups: signups.get(day) ?? 0, logins: logins.get(day) ?? 0 };
    });
    return {
      users: {
        total: counts.total,
        active: counts.active,
        verified: counts.verified,
        createdLast7Days: counts.created7,
        createdLast30Days: counts.created30,
      },
      days,
    };
  }
}
