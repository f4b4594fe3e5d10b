import { invalid } from './errors.ts';
import { checkText } from './text.ts';

/** An application key of a user. The secret itself is never part of it. */
export interface AppKey {
  id: number;
  tenantId: number;
  userId: number;
  name: string;
  usage: number;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** What a successful key check answers: whose key it is and its usage after this call. */
export interface AppKeyUse {
  keyId: number;
  userId: number;
  username: string | null;
  usage: number;
}

export const APP_KEY_NAME_MAX = 200;
/** Active keys one user may hold: a runaway client cannot fill the table. */
export const APP_KEYS_PER_USER_MAX = 100;
/** The largest cost one verify may add (keeps sums far inside a double's exact integer range). */
export const APP_KEY_COST_MAX = 1_000_000;

export function validateAppKeyName(name: string): void {
  if (name.trim() === '' || name.length > APP_KEY_NAME_MAX) {
    throw invalid('app_key.invalid_name', `name must be 1 to ${APP_KEY_NAME_MAX} characters`, 'name');
  }
  checkText(name, 'name', 'app_key.invalid_name');
}

export function validateCost(cost: number): void {
  if (!Number.isFinite(cost) || cost < 0 || cost > APP_KEY_COST_MAX) {
    throw invalid('app_key.invalid_cost', `cost must be a number from 0 to ${APP_KEY_COST_MAX}`, 'cost');
  }
}
