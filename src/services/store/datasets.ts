// The datasets table: uploaded tables, kept as parsed rows so a run can rebuild its splits by seed.
import type { Sql } from './sql.ts'

export interface DatasetRow { name: string; description: string; createdAt: string; data: unknown }

export class DatasetTable {
  constructor(private readonly sql: Sql) {}

  async insert(row: DatasetRow): Promise<void> {
    await this.sql.run('INSERT INTO datasets (name, description, created_at, data) VALUES (?, ?, ?, ?)', [row.name, row.description, row.createdAt, JSON.stringify(row.data)])
  }

  async get(name: string): Promise<DatasetRow | null> {
    const r = await this.sql.get<{ name: string; description: string; created_at: string; data: string }>('SELECT * FROM datasets WHERE name = ?', [name])
    return r ? { name: r.name, description: r.description, createdAt: r.created_at, data: JSON.parse(r.data) } : null
  }

  async names(): Promise<{ name: string; description: string; createdAt: string }[]> {
    return (await this.sql.all<{ name: string; description: string; created_at: string }>('SELECT name, description, created_at FROM datasets ORDER BY name'))
      .map((r) => ({ name: r.name, description: r.description, createdAt: r.created_at }))
  }
}
