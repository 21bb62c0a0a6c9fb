// Named leases with a holder and an expiry, taken and renewed by one conditional upsert, so two
// processes sharing a store can never both hold one (a daemon's identity; later, a board).
import type { Sql } from './sql.ts'

export interface LeaseRow { name: string; holder: string; expiresAt: number; info: unknown }

export class LeaseTable {
  constructor(private readonly sql: Sql) {}

  /** Takes the lease for ttlS seconds when it is free, expired or already ours; resolves with whether we hold it. */
  async take(name: string, holder: string, ttlS: number, info: unknown = null, now = Date.now()): Promise<boolean> {
    // one statement: the row lock of ON CONFLICT decides between two takers, no read-then-write gap
    const n = await this.sql.run(
      'INSERT INTO leases (name, holder, expires_at, info) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, info = excluded.info WHERE leases.expires_at < ? OR leases.holder = ?',
      [name, holder, now + ttlS * 1000, JSON.stringify(info), now, holder])
    return n > 0
  }

  /** Extends a lease we hold; false when it expired and someone else took it. */
  async renew(name: string, holder: string, ttlS: number, now = Date.now()): Promise<boolean> {
    return (await this.sql.run('UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ?', [now + ttlS * 1000, name, holder])) > 0
  }

  async release(name: string, holder: string): Promise<void> {
    await this.sql.run('DELETE FROM leases WHERE name = ? AND holder = ?', [name, holder])
  }

  /** Leases named `prefix...` that ran out before `now` (a daemon id whose daemon died and was not restarted). */
  async expired(prefix: string, now = Date.now()): Promise<LeaseRow[]> {
    const rows = await this.sql.all<{ name: string; holder: string; expires_at: number; info: string }>(
      'SELECT * FROM leases WHERE substr(name, 1, ?) = ? AND expires_at < ? ORDER BY name', [prefix.length, prefix, now])
    return rows.map((r) => ({ name: r.name, holder: r.holder, expiresAt: Number(r.expires_at), info: JSON.parse(r.info) }))
  }

  /** Hands a lease held by `from` to `to` (an adopting daemon takes a dead one's boards); false when `from` does not hold it. */
  async transfer(name: string, from: string, to: string): Promise<boolean> {
    return (await this.sql.run('UPDATE leases SET holder = ? WHERE name = ? AND holder = ?', [to, name, from])) > 0
  }

  async get(name: string): Promise<LeaseRow | null> {
    const r = await this.sql.get<{ name: string; holder: string; expires_at: number; info: string }>('SELECT * FROM leases WHERE name = ?', [name])
    return r ? { name: r.name, holder: r.holder, expiresAt: Number(r.expires_at), info: JSON.parse(r.info) } : null
  }
}
