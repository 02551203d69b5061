import type { ColumnType } from 'kysely';

/** A timestamptz column: read as Date, written as Date or ISO string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A timestamptz column with a database default (e.g. now()). */
export type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** Facts about this installation (e.g. when each worker last proved it reaches the database), kept as key/value. */
export interface InstallationTable {
  key: string;
  value: string;
  updated_at: DefaultedTimestamp;
}

export interface CoreTables {
  installation: InstallationTable;
}
