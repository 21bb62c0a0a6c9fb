// The tasks a local `train` or `eval` can name beyond the built-in ones: a CSV file, or a table uploaded
// to a daemon whose data directory is on this machine (read from its database, which WAL mode lets us
// read while the daemon runs).
import { existsSync, readFileSync } from 'node:fs'
import { basename, extname, join } from 'node:path'
import { DATASETS } from '../../core/data/index.ts'
import { EqpError } from '../../errors.ts'
import { SqliteStore } from '../store/index.ts'
import { loadTask, type TaskLoader } from '../training.ts'
import { DATASET_LIMITS, type StoredTable } from './schemas.ts'
import { tableDataset, tableFromUpload } from './table.ts'

/** A task as a command names it: the name it reports and writes files under, and its loader. */
export interface TaskSource { name: string; kind: 'built-in' | 'csv' | 'uploaded'; load: TaskLoader }

/** Options for CSV files (as for an upload): the label column, the share held out for testing, and whether the label is a numeric regression target. */
export interface CsvTaskOptions { labelColumn?: string; testFraction?: number; kind?: 'classification' | 'regression' }

/** Whether a task argument names a CSV file rather than a dataset. */
export const isCsvPath = (arg: string): boolean => extname(arg).toLowerCase() === '.csv'

/**
 * Resolves a task argument: a built-in dataset name, a path to a CSV file (features and a label column,
 * split and scaled as an upload would be), or the name of a table uploaded to the daemon whose data
 * directory is `dataDir`. Anything else is EQP_ERR_BAD_INPUT on `field`, listing what is known.
 */
export async function resolveTask(arg: string, dataDir: string, csv: CsvTaskOptions = {}, field = 'task'): Promise<TaskSource> {
  if (isCsvPath(arg)) {
    const table = readCsvTable(arg, csv)
    const name = basename(arg, extname(arg))
    return { name, kind: 'csv', load: (_, seed) => tableDataset(name, table, seed) }
  }
  if (csv.labelColumn !== undefined || csv.testFraction !== undefined || csv.kind !== undefined) throw new EqpError('EQP_ERR_BAD_INPUT', [field, `'${arg}' is not a .csv file: the label column, test fraction and regression are set for CSV files only`])
  if (Object.hasOwn(DATASETS, arg)) return { name: arg, kind: 'built-in', load: loadTask }
  const db = join(dataDir, 'eqprop-hil.sqlite')
  const store = existsSync(db) ? new SqliteStore(db) : null
  try {
    const row = await store?.datasets.get(arg)
    if (row) return { name: arg, kind: 'uploaded', load: (_, seed) => tableDataset(arg, row.data as StoredTable, seed) }
    const uploaded = store ? (await store.datasets.names()).map((r) => r.name) : []
    throw new EqpError('EQP_ERR_BAD_INPUT', [field, `unknown dataset '${arg}'; known: ${[...Object.keys(DATASETS), ...uploaded].join(', ')}, ` +
      `or a path to a .csv file${store ? '' : ` (no daemon database in ${dataDir}: give --data-dir for uploaded tables)`}`])
  } finally {
    await store?.close()
  }
}

/** Reads and checks a CSV table; problems name the file, the line and the column. */
function readCsvTable(path: string, o: CsvTaskOptions): StoredTable {
  let text: string
  try { text = readFileSync(path, 'utf8') } catch (e) { throw new EqpError('EQP_ERR_FILE_READ', [path, (e as NodeJS.ErrnoException).code ?? String(e)]) }
  if (Buffer.byteLength(text) > DATASET_LIMITS.bytes) throw new EqpError('EQP_ERR_BAD_INPUT', [path, `larger than ${DATASET_LIMITS.bytes} bytes`])
  try {
    return tableFromUpload({ name: 'csv', csv: text, labelColumn: o.labelColumn, testFraction: o.testFraction ?? 0.2, kind: o.kind ?? 'classification' })
  } catch (e) {
    if (e instanceof EqpError && e.code === 'EQP_ERR_BAD_INPUT') throw new EqpError('EQP_ERR_BAD_INPUT', [path, e.message.replace(/^labelColumn:/, '--label:')])
    throw e
  }
}
