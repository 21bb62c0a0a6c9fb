// Metrics rows as CSV for pandas: one header line, empty cells for nulls, numbers at full precision.
import { METRIC_COLUMNS, type MetricRow } from './schemas.ts'

const HEADER = METRIC_COLUMNS.map((c) => (c === 'timeS' ? 'time_s' : c)).join(',')

/** CSV text of the rows (header included, trailing newline). */
export function metricsCsv(rows: readonly MetricRow[]): string {
  const lines = [HEADER]
  for (const r of rows) lines.push(METRIC_COLUMNS.map((c) => (r[c] === null ? '' : String(r[c]))).join(','))
  return lines.join('\n') + '\n'
}
