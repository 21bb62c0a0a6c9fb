// The runs table and the per-run series hanging off it: metrics, checkpoints and the event log.
import type { RunState } from '../../engine/run-state.ts'
import type { CheckpointInfo, LastMetrics, MetricRow, Progress, Provenance, RunResult } from '../runs/schemas.ts'
import type { Statement } from 'better-sqlite3'
import type { Db } from './db.ts'

export interface RunRow {
  id: string
  n: number
  deviceId: string
  label: string | null
  client: string
  task: string
  state: RunState
  stateReason: string | null
  interrupted: boolean
  createdAt: string
  startedAt: string | null
  endedAt: string | null
  updatedAt: string
  request: Record<string, unknown>
  config: Record<string, unknown>
  provenance: Provenance | null
  progress: Progress
  lastMetrics: LastMetrics
  result: RunResult | null
  error: string | null
}

/** A run row without its heavy JSON fields (list views). */
export type RunSummaryRow = Omit<RunRow, 'request' | 'config' | 'provenance' | 'result'>

const JSON_COLS = { request: 'request', config: 'config', provenance: 'provenance', progress: 'progress', lastMetrics: 'last_metrics', result: 'result' } as const
const PLAIN_COLS = { deviceId: 'device_id', label: 'label', client: 'client', task: 'task', state: 'state', stateReason: 'state_reason', interrupted: 'interrupted', createdAt: 'created_at', startedAt: 'started_at', endedAt: 'ended_at', updatedAt: 'updated_at', error: 'error' } as const

type Raw = Record<string, string | number | null>
const parse = (v: string | number | null) => (v === null ? null : JSON.parse(String(v)))

function fromRaw(r: Raw): RunRow {
  return {
    id: String(r.id), n: Number(r.n), deviceId: String(r.device_id), label: r.label as string | null, client: String(r.client), task: String(r.task),
    state: r.state as RunState, stateReason: r.state_reason as string | null, interrupted: r.interrupted === 1,
    createdAt: String(r.created_at), startedAt: r.started_at as string | null, endedAt: r.ended_at as string | null, updatedAt: String(r.updated_at),
    request: parse(r.request), config: parse(r.config), provenance: parse(r.provenance), progress: parse(r.progress),
    lastMetrics: parse(r.last_metrics), result: parse(r.result), error: r.error as string | null,
  }
}

const toSql = (k: keyof RunRow, v: unknown): string | number | null => {
  if (k in JSON_COLS) return v === null ? null : JSON.stringify(v)
  if (typeof v === 'boolean') return v ? 1 : 0
  return v as string | number | null
}

interface RawMetric { kind: string; epoch: number; batch: number | null; step: number; split: string | null; samples: number; distance: number | null; cost: number | null; accuracy: number | null; settled: number | null; dropped: number | null; fallback: number | null; time_s: number | null; t: number }

export class RunTable {
  private readonly cache = new Map<string, Statement<unknown[]>>()
  constructor(private readonly db: Db) {}

  /** A prepared statement, compiled once per SQL text. */
  private q(sql: string): Statement<unknown[]> {
    let st = this.cache.get(sql)
    if (!st) { st = this.db.prepare<unknown[]>(sql); this.cache.set(sql, st) }
    return st
  }

  nextN(): number {
    return ((this.q('SELECT MAX(n) AS n FROM runs').get() as { n: number | null }).n ?? 0) + 1
  }

  insert(r: RunRow): void {
    const cols = ['id', 'n', ...Object.values(PLAIN_COLS), ...Object.values(JSON_COLS)]
    const vals = [r.id, r.n, ...Object.keys(PLAIN_COLS).map((k) => toSql(k as keyof RunRow, r[k as keyof RunRow])), ...Object.keys(JSON_COLS).map((k) => toSql(k as keyof RunRow, r[k as keyof RunRow]))]
    this.q(`INSERT INTO runs (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...vals)
  }

  /** Writes the given fields of a run. */
  update(id: string, fields: Partial<Omit<RunRow, 'id' | 'n'>>): void {
    const keys = Object.keys(fields) as (keyof typeof fields)[]
    if (keys.length === 0) return
    const col = (k: string) => (JSON_COLS as Record<string, string>)[k] ?? (PLAIN_COLS as Record<string, string>)[k]
    this.q(`UPDATE runs SET ${keys.map((k) => `${col(k)} = ?`).join(', ')} WHERE id = ?`)
      .run(...keys.map((k) => toSql(k, fields[k])), id)
  }

  get(id: string): RunRow | null {
    const r = this.q('SELECT * FROM runs WHERE id = ?').get(id) as Raw | undefined
    return r ? fromRaw(r) : null
  }

  list(filter: { state?: string; device?: string } = {}): RunRow[] {
    const where: string[] = [], args: string[] = []
    if (filter.state) { where.push('state = ?'); args.push(filter.state) }
    if (filter.device) { where.push('device_id = ?'); args.push(filter.device) }
    const sql = `SELECT * FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY n`
    return (this.q(sql).all(...args) as Raw[]).map(fromRaw)
  }

  /** Runs as list views need them: without request, config, provenance and result, whose JSON (two
   *  networks among them) would be parsed for nothing on every GET /runs. */
  summaries(filter: { state?: string; device?: string } = {}): RunSummaryRow[] {
    const where: string[] = [], args: string[] = []
    if (filter.state) { where.push('state = ?'); args.push(filter.state) }
    if (filter.device) { where.push('device_id = ?'); args.push(filter.device) }
    const cols = ['id', 'n', ...Object.values(PLAIN_COLS), 'progress', 'last_metrics'].join(', ')
    const sql = `SELECT ${cols} FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY n`
    return (this.q(sql).all(...args) as Raw[]).map((r) => {
      const { request: _q, config: _c, provenance: _p, result: _r, ...rest } = fromRaw({ ...r, request: null, config: null, provenance: null, result: null })
      return rest
    })
  }

  countByState(): Record<string, number> {
    const rows = this.q('SELECT state, COUNT(*) AS c FROM runs GROUP BY state').all() as { state: string; c: number }[]
    return Object.fromEntries(rows.map((r) => [r.state, r.c]))
  }

  // ---- metrics

  insertMetric(runId: string, m: MetricRow): void {
    this.q('INSERT INTO metrics (run_id, kind, epoch, batch, step, split, samples, distance, cost, accuracy, settled, dropped, fallback, time_s, t) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(runId, m.kind, m.epoch, m.batch, m.step, m.split, m.samples, m.distance, m.cost, m.accuracy, m.settled, m.dropped, m.fallback, m.timeS, m.t)
  }

  metrics(runId: string, q: { kind?: string; since?: number } = {}): MetricRow[] {
    const where = ['run_id = ?'], args: (string | number)[] = [runId]
    if (q.kind) { where.push('kind = ?'); args.push(q.kind) }
    if (q.since !== undefined) { where.push('step > ?'); args.push(q.since) }
    const rows = this.q(`SELECT * FROM metrics WHERE ${where.join(' AND ')} ORDER BY rowid`).all(...args) as RawMetric[]
    return rows.map((r) => ({
      kind: r.kind as MetricRow['kind'], epoch: r.epoch, batch: r.batch, step: r.step, split: r.split, samples: r.samples,
      distance: r.distance, cost: r.cost, accuracy: r.accuracy, settled: r.settled, dropped: r.dropped, fallback: r.fallback, timeS: r.time_s, t: r.t,
    }))
  }

  /** Drops rows written after a checkpoint, so a resumed run's series has no duplicates. */
  truncateMetrics(runId: string, step: number, epoch: number): void {
    this.q("DELETE FROM metrics WHERE run_id = ? AND ((kind = 'batch' AND step > ?) OR (kind <> 'batch' AND epoch > ?))").run(runId, step, epoch)
  }

  // ---- checkpoints

  /** Stores a checkpoint and keeps only the newest `keep` of the run. */
  insertCheckpoint(runId: string, c: CheckpointInfo, data: unknown, keep: number): void {
    this.q('INSERT INTO checkpoints (run_id, seq, reason, epoch, batch, step, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(runId, c.seq, c.reason, c.epoch, c.batch, c.step, JSON.stringify(data), c.at)
    this.q('DELETE FROM checkpoints WHERE run_id = ? AND seq <= ?').run(runId, c.seq - keep)
  }

  /** The newest checkpoint's info, without reading its data. */
  lastCheckpointInfo(runId: string): CheckpointInfo | null {
    const r = this.q('SELECT seq, reason, epoch, batch, step, created_at FROM checkpoints WHERE run_id = ? ORDER BY seq DESC LIMIT 1').get(runId) as
      { seq: number; reason: string; epoch: number; batch: number; step: number; created_at: string } | undefined
    return r ? { seq: r.seq, reason: r.reason, epoch: r.epoch, batch: r.batch, step: r.step, at: r.created_at } : null
  }

  lastCheckpoint(runId: string): { info: CheckpointInfo; data: unknown } | null {
    const r = this.q('SELECT * FROM checkpoints WHERE run_id = ? ORDER BY seq DESC LIMIT 1').get(runId) as
      { seq: number; reason: string; epoch: number; batch: number; step: number; data: string; created_at: string } | undefined
    return r ? { info: { seq: r.seq, reason: r.reason, epoch: r.epoch, batch: r.batch, step: r.step, at: r.created_at }, data: JSON.parse(r.data) } : null
  }

  // ---- events

  appendEvent(runId: string, seq: number, type: string, data: unknown, t: number): void {
    this.q('INSERT INTO events (run_id, seq, type, data, t) VALUES (?, ?, ?, ?, ?)').run(runId, seq, type, JSON.stringify(data), t)
  }

  maxEventSeq(runId: string): number {
    return (this.q('SELECT MAX(seq) AS s FROM events WHERE run_id = ?').get(runId) as { s: number | null }).s ?? 0
  }

  eventsSince(runId: string, seq: number): { seq: number; type: string; data: unknown; t: number }[] {
    return (this.q('SELECT seq, type, data, t FROM events WHERE run_id = ? AND seq > ? ORDER BY seq').all(runId, seq) as { seq: number; type: string; data: string; t: number }[])
      .map((e) => ({ seq: e.seq, type: e.type, data: JSON.parse(e.data), t: e.t }))
  }
}
