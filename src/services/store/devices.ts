// The devices table: what was attached (the request and the network), and the parameters last applied.
import type { Db } from './db.ts'

export interface DeviceRow {
  id: string
  n: number
  kind: string
  name: string | null
  createdAt: string
  spec: unknown
  network: unknown
  params: { weights: number[]; h: number[]; psi: number[]; s?: number[] } | null
}

interface Raw { id: string; n: number; kind: string; name: string | null; created_at: string; spec: string; network: string; params: string | null }

const fromRaw = (r: Raw): DeviceRow => ({
  id: r.id, n: r.n, kind: r.kind, name: r.name, createdAt: r.created_at,
  spec: JSON.parse(r.spec), network: JSON.parse(r.network), params: r.params === null ? null : JSON.parse(r.params),
})

export class DeviceTable {
  constructor(private readonly db: Db) {}

  /** The next device number (ids are never reused, detached devices included). */
  nextN(): number {
    return ((this.db.prepare('SELECT MAX(n) AS n FROM devices').get() as { n: number | null }).n ?? 0) + 1
  }

  insert(row: DeviceRow): void {
    this.db.prepare('INSERT INTO devices (id, n, kind, name, created_at, spec, network, params) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(row.id, row.n, row.kind, row.name, row.createdAt, JSON.stringify(row.spec), JSON.stringify(row.network), row.params === null ? null : JSON.stringify(row.params))
  }

  /** Attached (not detached) devices, oldest first. */
  attached(): DeviceRow[] {
    return (this.db.prepare('SELECT * FROM devices WHERE detached_at IS NULL ORDER BY n').all() as Raw[]).map(fromRaw)
  }

  setParams(id: string, params: DeviceRow['params']): void {
    this.db.prepare('UPDATE devices SET params = ? WHERE id = ?').run(JSON.stringify(params), id)
  }

  detach(id: string, at: string): void {
    this.db.prepare('UPDATE devices SET detached_at = ? WHERE id = ?').run(at, id)
  }
}
