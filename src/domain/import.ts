/** Import and export of users: the vocabulary shared by the service, the store and the dialects. */
export const IMPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
export const IMPORT_MODES = ['create', 'upsert'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];
export const IMPORT_STATES = ['queued', 'running', 'done', 'failed'] as const;
export type ImportState = (typeof IMPORT_STATES)[number];

export interface ImportOptions {
  format: ImportFormat;
  /** create: a row matching an existing user is an error; upsert: match on externalId, then username, then email. */
  mode: ImportMode;
  /** Validate everything (conflicts included), write nothing. */
  dryRun: boolean;
  /** All rows in one transaction: nothing is written when any row fails. */
  atomic: boolean;
}

export interface ImportCounts {
  /** Data rows read (header and blank lines excluded). */
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
}

/** A failed row: its 1-based line in the file (the CSV header is line 1) and why. */
export interface RowError {
  line: number;
  message: string;
}

export interface ImportJob {
  id: number;
  tenantId: number;
  state: ImportState;
  format: ImportFormat;
  mode: ImportMode;
  dryRun: boolean;
  atomic: boolean;
  actor: string;
  counts: ImportCounts;
  /** The first MAX_REPORTED_ERRORS row errors, in file order. */
  errors: RowError[];
  /** Why the whole job failed (a bad file, an atomic import with failed rows...). */
  message: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export const MAX_REPORTED_ERRORS = 100;
/** A line (NDJSON) or record (CSV) longer than this is refused: no core user comes near it. */
export const MAX_LINE_BYTES = 1024 * 1024;

export const emptyCounts = (): ImportCounts => ({ rows: 0, created: 0, updated: 0, unchanged: 0, failed: 0 });
