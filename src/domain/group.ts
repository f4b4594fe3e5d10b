import { invalid } from './errors.ts';
import { checkText } from './text.ts';
import type { Comparison, FilterValue } from './user-query.ts';

/** A tenant-scoped group of users (SCIM Groups). Members are users of the same tenant. */
export interface Group {
  id: number;
  tenantId: number;
  displayName: string;
  externalId: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Incremented on every change (name, externalId or membership): the ETag. */
  version: number;
}

export interface GroupMember {
  userId: number;
  /** The member's displayName, else username, else email (for SCIM `members.display`). */
  display: string | null;
}

/** A group a user belongs to, as a read of the user shows it (SCIM User.groups). */
export interface UserGroupRef {
  id: number;
  displayName: string;
}

export interface GroupWithMembers extends Group {
  members: GroupMember[];
}

/** A group as the management API lists it: its fields and how many members it has. */
export interface GroupSummary extends Group {
  memberCount: number;
}

/** A member as the management API lists one: enough of the user to recognise them. */
export interface GroupMemberUser {
  userId: number;
  username: string | null;
  email: string | null;
  displayName: string | null;
}

/** A keyset page of a tenant's groups (by id), optionally only names containing `q` (case-insensitive). */
export interface GroupPageQuery {
  afterId: number;
  limit: number;
  q?: string;
}

/** A group's writable state. `members` is the complete list of user ids. */
export interface GroupState {
  displayName: string;
  externalId: string | null;
  members: number[];
}

/** Fields a group list may filter or sort on; `member` filters on a member's user id. */
export const GROUP_FIELDS = ['id', 'displayName', 'externalId', 'createdAt', 'updatedAt', 'member'] as const;
export type GroupField = (typeof GROUP_FIELDS)[number];

/** Same shape as UserCondition, over group fields. `displayName` compares case-insensitively when `ci`. */
export type GroupCondition =
  | { op: 'and' | 'or'; items: GroupCondition[] }
  | { op: 'not'; item: GroupCondition }
  | { op: Comparison; field: GroupField; value: FilterValue; ci?: boolean }
  | { op: 'pr'; field: GroupField };

export interface GroupQuery {
  where?: GroupCondition;
  sort: { field: Exclude<GroupField, 'member'>; desc: boolean }[];
  limit: number;
  offset: number;
  /** Loading members is skipped when the caller does not render them (SCIM excludedAttributes=members). */
  withMembers: boolean;
}

export const GROUP_NAME_MAX = 256;

export function validateGroupState(s: GroupState): void {
  if (typeof s.displayName !== 'string' || s.displayName.trim() === '') {
    throw invalid('group.invalid_display_name', 'displayName is required and must not be empty', 'displayName');
  }
  if (s.displayName.length > GROUP_NAME_MAX) {
    throw invalid(
      'group.invalid_display_name',
      `displayName must be at most ${GROUP_NAME_MAX} characters`,
      'displayName',
    );
  }
  if (s.externalId !== null && (typeof s.externalId !== 'string' || s.externalId.length > 1024)) {
    throw invalid('group.invalid_external_id', 'externalId must be a string of at most 1024 characters', 'externalId');
  }
  checkText(s.displayName, 'displayName', 'group.invalid_field');
  checkText(s.externalId, 'externalId', 'group.invalid_field');
  for (const m of s.members) {
    if (!Number.isSafeInteger(m) || m < 1)
      throw invalid('group.invalid_member', `member ${String(m)} is not a user id`, 'members');
  }
}
