// The datasets table: uploaded tables, kept as parsed rows so a run can rebuild its splits by seed.
import type { Db } from './db.ts'

export interface DatasetRow { name: string; description: string; createdAt: string; data: unknown }

export class DatasetTable {
  constructor(private readonly db: Db) {}

  insert(row: DatasetRow): void {
    this.db.prepare('INSERT INTO datasets (name, description, created_at, data) VALUES (?, ?, ?, ?)')
      .run(row.name, row.description, row.createdAt, JSON.stringify(row.data))
  }

  get(name: string): DatasetRow | null {
    const r = this.db.prepare('SELECT * FROM datasets WHERE name = ?').get(name) as { name: string; description: string; created_at: string; data: string } | undefined
    return r ? { name: r.name, description: r.description, createdAt: r.created_at, data: JSON.parse(r.data) } : null
  }

  names(): { name: string; description: string; createdAt: string }[] {
    return (this.db.prepare('SELECT name, description, created_at FROM datasets ORDER BY name').all() as { name: string; description: string; created_at: string }[])
      .map((r) => ({ name: r.name, description: r.description, createdAt: r.created_at }))
  }
}
