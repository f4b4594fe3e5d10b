import type { Role } from './privileges.ts';
import type { TenantSettings } from './tenant.ts';
import type { User } from './user.ts';

/**
 * A whole tenant as a backup holds it: every row with the secrets in the form they are stored
 * (password hashes, key digests, sealed webhook secrets), never in plain text. Ids are the source
 * database's; a restore gives every row a new id and rewrites the references.
 */
export interface BackupTenant {
  id: number;
  name: string;
  licenseCode: string;
  settings: TenantSettings;
  createdAt: Date;
  updatedAt: Date;
}

export interface BackupManager {
  id: number;
  name: string;
  email: string;
  role: Role;
  /** SHA-256 of the API key. */
  keyDigest: string;
  /** The console password's argon2id hash, when one is set. */
  passwordHash: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface BackupGroup {
  id: number;
  displayName: string;
  externalId: string | null;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

export interface BackupMember {
  groupId: number;
  userId: number;
}

export type BackupUser = Omit<User, 'tenantId' | 'hasPassword'> & { passwordHash: string | null };

export interface BackupAppKey {
  id: number;
  userId: number;
  name: string;
  /** SHA-256 of the key. */
  keyDigest: string;
  usage: number;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface BackupWebhook {
  id: number;
  url: string;
  events: string[];
  description: string;
  active: boolean;
  disabledReason: string | null;
  failingSince: Date | null;
  /** The signing secret as stored: sealed under ROSTER_SECRET_KEY (`enc:v1:…`), or plain when no key was set. */
  secret: string;
  createdAt: Date;
  updatedAt: Date;
}
