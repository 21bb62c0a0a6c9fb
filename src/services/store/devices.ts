// The devices table: what was attached (the request and the network), the parameters last applied, and
// which daemon holds it (a shared store has several).
import type { Sql } from './sql.ts'

export interface DeviceRow {
  id: string
  n: number
  kind: string
  name: string | null
  createdAt: string
  spec: unknown
  network: unknown
  params: { weights: number[]; h: number[]; psi: number[]; s?: number[] } | null
  /** the daemon id that attached it (null in a SQLite file written before owners were kept) */
  owner: string | null
}

interface Raw { id: string; n: number; kind: string; name: string | null; created_at: string; spec: string; network: string; params: string | null; owner: string | null }

const fromRaw = (r: Raw): DeviceRow => ({
  id: r.id, n: Number(r.n), kind: r.kind, name: r.name, createdAt: r.created_at,
  spec: JSON.parse(r.spec), network: JSON.parse(r.network), params: r.params === null ? null : JSON.parse(r.params), owner: r.owner,
})

export class DeviceTable {
  constructor(private readonly sql: Sql) {}

  /** The next device number (ids are never reused, detached devices included); call inside the
   *  transaction that inserts it, so two daemons on one store cannot draw the same number. */
  async nextN(): Promise<number> {
    await this.sql.lockFor('devices')
    return ((await this.sql.get<{ n: number | null }>('SELECT MAX(n) AS n FROM devices'))?.n ?? 0) + 1
  }

  async insert(row: DeviceRow): Promise<void> {
    await this.sql.run('INSERT INTO devices (id, n, kind, name, created_at, spec, network, params, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [row.id, row.n, row.kind, row.name, row.createdAt, JSON.stringify(row.spec), JSON.stringify(row.network), row.params === null ? null : JSON.stringify(row.params), row.owner])
  }

  /** Attached (not detached) devices, oldest first; only those of `owner` when one is given. */
  async attached(owner?: string): Promise<DeviceRow[]> {
    const rows = owner === undefined
      ? await this.sql.all<Raw>('SELECT * FROM devices WHERE detached_at IS NULL ORDER BY n')
      : await this.sql.all<Raw>('SELECT * FROM devices WHERE detached_at IS NULL AND owner = ? ORDER BY n', [owner])
    return rows.map(fromRaw)
  }

  async get(id: string): Promise<DeviceRow | null> {
    const r = await this.sql.get<Raw>('SELECT * FROM devices WHERE id = ?', [id])
    return r ? fromRaw(r) : null
  }

  async setParams(id: string, params: DeviceRow['params']): Promise<void> {
    await this.sql.run('UPDATE devices SET params = ? WHERE id = ?', [JSON.stringify(params), id])
  }

  /** Gives an attached device to another daemon (adoption of a dead daemon's devices); false when `from` no longer owns it. */
  async setOwner(id: string, from: string, to: string): Promise<boolean> {
    return (await this.sql.run('UPDATE devices SET owner = ? WHERE id = ? AND owner = ? AND detached_at IS NULL', [to, id, from])) > 0
  }

  async detach(id: string, at: string): Promise<void> {
    await this.sql.run('UPDATE devices SET detached_at = ? WHERE id = ?', [at, id])
  }
}
