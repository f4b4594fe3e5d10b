export {
  createRoster,
  type Roster,
  type RosterApi,
  type RosterOptions,
  type ListUsersOptions,
  type WriteOptions,
} from './roster.ts';
export { RosterError, isRosterError } from './errors.ts';
export type * from './types.ts';
export type { paths, components, operations } from './generated/openapi.ts';
