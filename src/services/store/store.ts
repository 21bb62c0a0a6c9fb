// The store interface the services use, and the choice of backend: a SQLite file (the default, one
// daemon) or a PostgreSQL database (several daemons sharing one history). The services never see which.
import { EqpError } from '../../errors.ts'
import type { DatasetTable } from './datasets.ts'
import type { DeviceTable } from './devices.ts'
import type { LeaseTable } from './leases.ts'
import type { RunTable } from './runs.ts'

/** The tables, as one connection (or one transaction) sees them. */
export interface StoreTables {
  readonly devices: DeviceTable
  readonly runs: RunTable
  readonly datasets: DatasetTable
  readonly leases: LeaseTable
}

export interface Store extends StoreTables {
  readonly kind: 'sqlite' | 'postgres'
  /** whether other daemons may use this store too (rows then name the daemon that holds them) */
  readonly shared: boolean
  /** the database software's version(s), for run provenance */
  readonly versions: Record<string, string>
  /** Runs fn in one transaction on the tables it is given; a throw rolls back all of it. */
  tx<T>(fn: (t: StoreTables) => Promise<T>): Promise<T>
  close(): Promise<void>
}

/** Whether a --store value names a PostgreSQL database rather than a SQLite file. */
export const isPostgresUrl = (s: string): boolean => /^postgres(ql)?:\/\//i.test(s)

/** Opens a store: a postgres:// URL, or else the path of a SQLite file. Bad URL or unreachable
 *  server: EQP_ERR_BAD_INPUT on `store`, saying what failed. */
export async function openStore(where: string): Promise<Store> {
  if (isPostgresUrl(where)) {
    const { PostgresStore } = await import('./postgres.ts')
    return PostgresStore.open(where)
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(where)) throw new EqpError('EQP_ERR_BAD_INPUT', ['store', `'${where.split('://')[0]}://' is not a store: give postgres://user@host/db or a SQLite file path`])
  const { SqliteStore } = await import('./sqlite.ts')
  return new SqliteStore(where)
}
