// Datasets by name: the built-in ones and tables uploaded to the daemon (kept in its database).
import { DATASETS, loadDataset, type Dataset } from '../../core/data/index.ts'
import { EqpError } from '../../errors.ts'
import type { Store } from '../store/index.ts'
import { type DatasetUpload, type DatasetView, type StoredTable } from './schemas.ts'
import { tableDataset, tableFromUpload } from './table.ts'
import './sources.ts'   // registers the image-source loaders (paper scale)

export class DatasetService {
  constructor(private readonly store: Store) {}

  private view(name: string, description: string, d: Dataset, extra: { builtin: boolean; classNames: string[] | null; features: string[] | null; createdAt: string | null }): DatasetView {
    return { name, description, nIn: d.nIn, nOut: d.nOut, classes: d.classes, trainRows: d.train.rows, testRows: d.test.rows, ...extra }
  }

  async list(): Promise<DatasetView[]> {
    const builtin = Object.entries(DATASETS).map(([name, e]) => {
      const extra = { builtin: true, classNames: null, features: null, createdAt: null }
      // large image tasks list their sizes without loading the data (paper scale)
      if ('sizes' in e) return { name, description: e.description, ...e.sizes, ...extra }
      return this.view(name, e.description, loadDataset(name, 0), extra)
    })
    return [...builtin, ...await Promise.all((await this.store.datasets.names()).map((r) => this.get(r.name)))]
  }

  async get(name: string): Promise<DatasetView> {
    if (Object.hasOwn(DATASETS, name)) return (await this.list()).find((d) => d.name === name)!
    const row = await this.store.datasets.get(name)
    if (!row) throw new EqpError('EQP_ERR_DATASET_NOT_FOUND', [name])
    const t = row.data as StoredTable
    return this.view(name, row.description, tableDataset(name, t, 0), { builtin: false, classNames: t.classNames, features: t.featureNames, createdAt: row.createdAt })
  }

  /** Stores an uploaded table; 400 naming the row for malformed data, 409 for a taken name. */
  async upload(u: DatasetUpload): Promise<DatasetView> {
    if (Object.hasOwn(DATASETS, u.name) || await this.store.datasets.get(u.name)) throw new EqpError('EQP_ERR_DATASET_EXISTS', [u.name])
    const table = tableFromUpload(u)
    const desc = u.description ?? (table.kind === 'regression'
      ? `uploaded regression table, ${table.x.length} rows, ${table.featureNames.length} features, target '${table.targetName}'`
      : `uploaded table, ${table.x.length} rows, ${table.featureNames.length} features, ${table.classNames.length} classes`)
    // a name taken in between (another daemon on a shared store) fails the primary key: the same 409
    try {
      await this.store.datasets.insert({ name: u.name, description: desc, createdAt: new Date().toISOString(), data: table })
    } catch (e) {
      if (await this.store.datasets.get(u.name)) throw new EqpError('EQP_ERR_DATASET_EXISTS', [u.name])
      throw e
    }
    return this.get(u.name)
  }

  /** The dataset a run trains on; an unknown name is a 400 on the field `field`. */
  async load(name: string, seed: number, field = 'task'): Promise<Dataset> {
    if (Object.hasOwn(DATASETS, name)) return loadDataset(name, seed)
    const row = await this.store.datasets.get(name)
    if (!row) {
      const known = [...Object.keys(DATASETS), ...(await this.store.datasets.names()).map((r) => r.name)]
      throw new EqpError('EQP_ERR_BAD_INPUT', [field, `unknown dataset '${name}'; known: ${known.join(', ')}`])
    }
    return tableDataset(name, row.data as StoredTable, seed)
  }
}
