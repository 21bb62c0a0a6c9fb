// The runs table and the per-run series hanging off it: metrics, checkpoints and the event log.
import type { RunState } from '../../engine/run-state.ts'
import type { CheckpointInfo, LastMetrics, MetricRow, Progress, Provenance, RunResult } from '../runs/schemas.ts'
import type { Sql } from './sql.ts'

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
    state: r.state as RunState, stateReason: r.state_reason as string | null, interrupted: Number(r.interrupted) === 1,
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

/** The metrics table's columns in insert order (the values in insertMetrics follow it). */
const METRIC_COLUMNS = ['run_id', 'kind', 'epoch', 'batch', 'step', 'split', 'samples', 'distance', 'cost', 'accuracy', 'settled', 'dropped', 'fallback', 'mse', 'r2', 'time_s', 't']

interface RawMetric { kind: string; epoch: number; batch: number | null; step: number; split: string | null; samples: number; distance: number | null; cost: number | null; accuracy: number | null; settled: number | null; dropped: number | null; fallback: number | null; mse: number | null; r2: number | null; time_s: number | null; t: number }

/** Which runs a list wants: by state, by device, or those on the devices of one daemon. */
export interface RunFilter { state?: string; device?: string; owner?: string }

function whereOf(f: RunFilter): { sql: string; args: string[] } {
  const where: string[] = [], args: string[] = []
  if (f.state) { where.push('state = ?'); args.push(f.state) }
  if (f.device) { where.push('device_id = ?'); args.push(f.device) }
  if (f.owner !== undefined) { where.push('device_id IN (SELECT id FROM devices WHERE owner = ?)'); args.push(f.owner) }
  return { sql: where.length ? 'WHERE ' + where.join(' AND ') : '', args }
}

const metricFromRaw = (r: RawMetric): MetricRow => ({
  kind: r.kind as MetricRow['kind'], epoch: r.epoch, batch: r.batch, step: r.step, split: r.split, samples: r.samples,
  distance: r.distance, cost: r.cost, accuracy: r.accuracy, settled: r.settled, dropped: r.dropped, fallback: r.fallback,
  mse: r.mse ?? null, r2: r.r2 ?? null, timeS: r.time_s, t: Number(r.t),
})

export class RunTable {
  constructor(private readonly sql: Sql) {}

  /** The next run number; call inside the transaction that inserts it (see DeviceTable.nextN). */
  async nextN(): Promise<number> {
    await this.sql.lockFor('runs')
    return ((await this.sql.get<{ n: number | null }>('SELECT MAX(n) AS n FROM runs'))?.n ?? 0) + 1
  }

  async insert(r: RunRow): Promise<void> {
    const cols = ['id', 'n', ...Object.values(PLAIN_COLS), ...Object.values(JSON_COLS)]
    const vals = [r.id, r.n, ...Object.keys(PLAIN_COLS).map((k) => toSql(k as keyof RunRow, r[k as keyof RunRow])), ...Object.keys(JSON_COLS).map((k) => toSql(k as keyof RunRow, r[k as keyof RunRow]))]
    await this.sql.run(`INSERT INTO runs (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, vals)
  }

  /** Writes the given fields of a run. */
  async update(id: string, fields: Partial<Omit<RunRow, 'id' | 'n'>>): Promise<void> {
    const keys = Object.keys(fields) as (keyof typeof fields)[]
    if (keys.length === 0) return
    const col = (k: string) => (JSON_COLS as Record<string, string>)[k] ?? (PLAIN_COLS as Record<string, string>)[k]
    await this.sql.run(`UPDATE runs SET ${keys.map((k) => `${col(k)} = ?`).join(', ')} WHERE id = ?`, [...keys.map((k) => toSql(k, fields[k])), id])
  }

  async get(id: string): Promise<RunRow | null> {
    const r = await this.sql.get<Raw>('SELECT * FROM runs WHERE id = ?', [id])
    return r ? fromRaw(r) : null
  }

  async list(filter: RunFilter = {}): Promise<RunRow[]> {
    const w = whereOf(filter)
    return (await this.sql.all<Raw>(`SELECT * FROM runs ${w.sql} ORDER BY n`, w.args)).map(fromRaw)
  }

  /** Runs as list views need them: without request, config, provenance and result, whose JSON (two
   *  networks among them) would be parsed for nothing on every GET /runs. */
  async summaries(filter: RunFilter = {}): Promise<RunSummaryRow[]> {
    const w = whereOf(filter)
    const cols = ['id', 'n', ...Object.values(PLAIN_COLS), 'progress', 'last_metrics'].join(', ')
    return (await this.sql.all<Raw>(`SELECT ${cols} FROM runs ${w.sql} ORDER BY n`, w.args)).map((r) => {
      const { request: _q, config: _c, provenance: _p, result: _r, ...rest } = fromRaw({ ...r, request: null, config: null, provenance: null, result: null })
      return rest
    })
  }

  async countByState(): Promise<Record<string, number>> {
    const rows = await this.sql.all<{ state: string; c: number }>('SELECT state, COUNT(*) AS c FROM runs GROUP BY state')
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.c)]))
  }

  /** Deletes a run's metrics, checkpoints and events (a study trial trained again writes them afresh). */
  async clearSeries(runId: string): Promise<void> {
    for (const table of ['metrics', 'checkpoints', 'events']) await this.sql.run(`DELETE FROM ${table} WHERE run_id = ?`, [runId])
  }

  // ---- metrics

  async insertMetric(runId: string, m: MetricRow): Promise<void> {
    await this.insertMetrics(runId, [m])
  }

  /** Inserts many metric rows, in order, a few hundred per statement (a study trial's rows since its last write). */
  async insertMetrics(runId: string, rows: MetricRow[]): Promise<void> {
    const marks = `(${METRIC_COLUMNS.map(() => '?').join(', ')})`
    for (let i = 0; i < rows.length; i += 500) {
      const part = rows.slice(i, i + 500)
      await this.sql.run(`INSERT INTO metrics (${METRIC_COLUMNS.join(', ')}) VALUES ${part.map(() => marks).join(', ')}`,
        part.flatMap((m) => [runId, m.kind, m.epoch, m.batch, m.step, m.split, m.samples, m.distance, m.cost, m.accuracy, m.settled, m.dropped, m.fallback, m.mse, m.r2, m.timeS, m.t]))
    }
  }

  /** Metric rows in the order they were written. */
  async metrics(runId: string, q: { kind?: string; since?: number } = {}): Promise<MetricRow[]> {
    const where = ['run_id = ?'], args: (string | number)[] = [runId]
    if (q.kind) { where.push('kind = ?'); args.push(q.kind) }
    if (q.since !== undefined) { where.push('step > ?'); args.push(q.since) }
    // SQLite's implicit rowid, PostgreSQL's identity column: both count up with each insert
    const order = this.sql.dialect === 'sqlite' ? 'rowid' : 'id'
    return (await this.sql.all<RawMetric>(`SELECT * FROM metrics WHERE ${where.join(' AND ')} ORDER BY ${order}`, args)).map(metricFromRaw)
  }

  /** Drops rows written after a checkpoint, so a resumed run's series has no duplicates. */
  async truncateMetrics(runId: string, step: number, epoch: number): Promise<void> {
    await this.sql.run("DELETE FROM metrics WHERE run_id = ? AND ((kind = 'batch' AND step > ?) OR (kind <> 'batch' AND epoch > ?))", [runId, step, epoch])
  }

  // ---- checkpoints

  /** Stores a checkpoint and keeps only the newest `keep` of the run. */
  async insertCheckpoint(runId: string, c: CheckpointInfo, data: unknown, keep: number): Promise<void> {
    await this.sql.run('INSERT INTO checkpoints (run_id, seq, reason, epoch, batch, step, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [runId, c.seq, c.reason, c.epoch, c.batch, c.step, JSON.stringify(data), c.at])
    await this.sql.run('DELETE FROM checkpoints WHERE run_id = ? AND seq <= ?', [runId, c.seq - keep])
  }

  /** The newest checkpoint's info, without reading its data. */
  async lastCheckpointInfo(runId: string): Promise<CheckpointInfo | null> {
    const r = await this.sql.get<{ seq: number; reason: string; epoch: number; batch: number; step: number; created_at: string }>(
      'SELECT seq, reason, epoch, batch, step, created_at FROM checkpoints WHERE run_id = ? ORDER BY seq DESC LIMIT 1', [runId])
    return r ? { seq: r.seq, reason: r.reason, epoch: r.epoch, batch: r.batch, step: r.step, at: r.created_at } : null
  }

  async lastCheckpoint(runId: string): Promise<{ info: CheckpointInfo; data: unknown } | null> {
    const r = await this.sql.get<{ seq: number; reason: string; epoch: number; batch: number; step: number; data: string; created_at: string }>(
      'SELECT * FROM checkpoints WHERE run_id = ? ORDER BY seq DESC LIMIT 1', [runId])
    return r ? { info: { seq: r.seq, reason: r.reason, epoch: r.epoch, batch: r.batch, step: r.step, at: r.created_at }, data: JSON.parse(r.data) } : null
  }

  /** How many checkpoints the run keeps now. */
  async checkpointCount(runId: string): Promise<number> {
    return Number((await this.sql.get<{ c: number }>('SELECT COUNT(*) AS c FROM checkpoints WHERE run_id = ?', [runId]))?.c ?? 0)
  }

  // ---- events

  async appendEvent(runId: string, seq: number, type: string, data: unknown, t: number): Promise<void> {
    await this.sql.run('INSERT INTO events (run_id, seq, type, data, t) VALUES (?, ?, ?, ?, ?)', [runId, seq, type, JSON.stringify(data), t])
  }

  /** Appends many events, a few hundred per statement. */
  async appendEvents(runId: string, events: { seq: number; type: string; data: unknown; t: number }[]): Promise<void> {
    for (let i = 0; i < events.length; i += 500) {
      const part = events.slice(i, i + 500)
      await this.sql.run(`INSERT INTO events (run_id, seq, type, data, t) VALUES ${part.map(() => '(?, ?, ?, ?, ?)').join(', ')}`, part.flatMap((e) => [runId, e.seq, e.type, JSON.stringify(e.data), e.t]))
    }
  }

  async maxEventSeq(runId: string): Promise<number> {
    return (await this.sql.get<{ s: number | null }>('SELECT MAX(seq) AS s FROM events WHERE run_id = ?', [runId]))?.s ?? 0
  }

  async eventsSince(runId: string, seq: number): Promise<{ seq: number; type: string; data: unknown; t: number }[]> {
    return (await this.sql.all<{ seq: number; type: string; data: string; t: number }>('SELECT seq, type, data, t FROM events WHERE run_id = ? AND seq > ? ORDER BY seq', [runId, seq]))
      .map((e) => ({ seq: e.seq, type: e.type, data: JSON.parse(e.data), t: Number(e.t) }))
  }
}
