// The few calls the tables make on a database, so one set of table classes runs on SQLite and PostgreSQL.
// SQL is written with `?` placeholders; the PostgreSQL side numbers them.

/** One database connection (or the pool outside a transaction), as the tables use it. */
export interface Sql {
  readonly dialect: 'sqlite' | 'postgres'
  all<R>(sql: string, args?: unknown[]): Promise<R[]>
  get<R>(sql: string, args?: unknown[]): Promise<R | undefined>
  /** Runs a write; resolves with the number of rows it changed. */
  run(sql: string, args?: unknown[]): Promise<number>
  /** Serialises number allocation on `table` until the transaction ends (SQLite's write lock already does). */
  lockFor(table: string): Promise<void>
}
