import { measure, type Scenario } from './scenario.ts';
import { FILTER_SCENARIOS, GET_SCENARIOS } from './scenarios-get.ts';
import { LIST_SCENARIOS } from './scenarios-list.ts';
import { WRITE_SCENARIOS } from './scenarios-write.ts';

export type { Done, Scenario, ScenarioResult, Target, Versus } from './scenario.ts';

const health: Scenario = {
  name: 'health',
  title: 'GET /health',
  async run(ctx) {
    const m = await measure(ctx, { path: '/health' });
    return { name: this.name, title: this.title, ...m, ratio: 1 };
  },
};

/**
 * In run order: /health first, the idle reads before the writes (sign-ups compare reads with the
 * idle ones; creates and sign-ups add users), lists before creates so page counts are the seed's.
 */
export const SCENARIOS: Scenario[] = [
  health,
  ...GET_SCENARIOS,
  ...FILTER_SCENARIOS,
  ...LIST_SCENARIOS,
  ...WRITE_SCENARIOS,
];
