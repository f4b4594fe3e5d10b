import {
  PostgresDialect,
  PostgresIntrospector,
  sql,
  type DatabaseMetadataOptions,
  type Kysely,
  type TableMetadata,
} from 'kysely';

/**
 * Kysely's PostgreSQL introspector lists the tables of every schema of the database and resolves
 * each one by name (`pg_get_serial_sequence('schema.table', …)`): a table renamed or dropped in
 * *another* schema while that runs fails the whole query ("relation … does not exist"). The
 * migrator asks it at every start, so DDL by anyone else on a shared database could fail Roster's
 * start (seen in tests, which drop their schemas in parallel). This one looks at Roster's own
 * schema (the connection's current_schema) only.
 */
class CurrentSchemaIntrospector extends PostgresIntrospector {
  constructor(private readonly kysely: Kysely<any>) {
    super(kysely);
  }

  override async getTables(
    options: DatabaseMetadataOptions = { withInternalKyselyTables: false },
  ): Promise<TableMetadata[]> {
    const { rows } = await sql<{
      table: string;
      schema: string;
      isView: boolean;
      column: string;
      type: string;
      typeSchema: string;
      notNull: boolean;
      hasDefault: boolean;
      comment: string | null;
      serial: string | null;
    }>`
      select c.relname as "table", ns.nspname as "schema", c.relkind = 'v' as "isView", a.attname as "column",
             typ.typname as "type", tns.nspname as "typeSchema", a.attnotnull as "notNull", a.atthasdef as "hasDefault",
             col_description(a.attrelid, a.attnum) as "comment", pg_get_serial_sequence(c.oid::regclass::text, a.attname) as "serial"
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace ns on ns.oid = c.relnamespace
      join pg_catalog.pg_attribute a on a.attrelid = c.oid
      join pg_catalog.pg_type typ on typ.oid = a.atttypid
      join pg_catalog.pg_namespace tns on tns.oid = typ.typnamespace
      where ns.nspname = current_schema() and c.relkind in ('r', 'v', 'p') and a.attnum >= 0 and not a.attisdropped
        and (${options.withInternalKyselyTables ?? false} or c.relname not in ('kysely_migration', 'kysely_migration_lock'))
      order by c.relname, a.attnum`.execute(this.kysely);
    const tables = new Map<string, TableMetadata & { columns: TableMetadata['columns'][number][] }>();
    for (const r of rows) {
      let t = tables.get(r.table);
      if (!t) tables.set(r.table, (t = { name: r.table, schema: r.schema, isView: r.isView, columns: [] }));
      t.columns.push({
        name: r.column,
        dataType: r.type,
        dataTypeSchema: r.typeSchema,
        isNullable: !r.notNull,
        hasDefaultValue: r.hasDefault,
        isAutoIncrementing: r.serial !== null,
        comment: r.comment ?? undefined,
      });
    }
    return [...tables.values()];
  }
}

export class RosterPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<any>) {
    return new CurrentSchemaIntrospector(db);
  }
}
