// One handle on the daemon database and its tables.
import { DatasetTable } from './datasets.ts'
import { openDb, type Db } from './db.ts'
import { DeviceTable } from './devices.ts'
import { RunTable } from './runs.ts'

export class Store {
  readonly db: Db
  readonly devices: DeviceTable
  readonly runs: RunTable
  readonly datasets: DatasetTable

  /** Opens the SQLite file at path (':memory:' for tests). */
  constructor(path: string) {
    this.db = openDb(path)
    this.devices = new DeviceTable(this.db)
    this.runs = new RunTable(this.db)
    this.datasets = new DatasetTable(this.db)
  }

  /** Runs fn in one transaction. */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)()
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}
