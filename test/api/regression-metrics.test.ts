// A regression run's metrics rows carry mse and r2 through the store and GET /runs/:id/metrics,
// on both backends (the SQLite file and a real PostgreSQL database).
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { inProcessDaemon } from '../support/daemon.ts'
import { freshDatabase, type TestDatabase } from '../support/postgres.ts'

interface Row { kind: string; split: string | null; accuracy: number | null; mse: number | null; r2: number | null }

const dbs: TestDatabase[] = []
after(async () => { for (const d of dbs) await d.drop() })

const BACKENDS: { name: string; store: () => Promise<string | undefined> }[] = [
  { name: 'sqlite', store: async () => undefined },
  { name: 'postgres', store: async () => { const d = await freshDatabase(); dbs.push(d); return d.url } },
]

for (const backend of BACKENDS) {
  describe(`regression metrics (${backend.name})`, () => {
    it('stores and serves mse and r2 for a regression run, null for a classification run', async () => {
      const store = await backend.store()
      const d = await inProcessDaemon(store ? { store } : {})
      try {
        const inject = (method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = {}) =>
          d.app.inject({ method, url, payload, headers })
        const dev = await inject('POST', '/devices', { kind: 'sim-xy', builder: 'layered:2,6,1', task: 'sine-product', seed: 1 })
        assert.equal(dev.statusCode, 201, dev.body)
        const hp = { seed: 1, optimiser: { kind: 'adam' }, lr: 0.02, batchSize: 16, epochs: 2, evalEvery: 1 }
        const reg = (await inject('POST', '/runs', { device: dev.json().id, task: 'sine-product', ...hp })).json()
        await d.services.runs.idle(reg.id)
        const view = (await inject('GET', `/runs/${reg.id}`)).json()
        assert.equal(view.state, 'done', view.stateReason)
        const rows: Row[] = (await inject('GET', `/runs/${reg.id}/metrics`)).json().rows
        const evals = rows.filter((r) => r.kind === 'eval')
        assert.equal(evals.length, 2, 'one test evaluation per epoch')
        for (const r of rows) {
          assert.ok(typeof r.mse === 'number' && r.mse >= 0 && r.mse <= 4, `${r.kind} mse ${r.mse} in [0, 4] (outputs in [-1, 1])`)
          assert.ok(typeof r.r2 === 'number' && Number.isFinite(r.r2) && r.r2 <= 1, `${r.kind} r2 ${r.r2}`)
        }
        // the last evaluation is the one the run row reports
        const last = evals[evals.length - 1]
        assert.deepEqual([last.mse, last.r2], [view.lastMetrics.eval.mse, view.lastMetrics.eval.r2])
        // CSV: the same numbers in the mse and r2 columns
        const csv = (await inject('GET', `/runs/${reg.id}/metrics?format=csv&kind=eval`)).body.trim().split('\n')
        const head = csv[0].split(','), cells = csv[csv.length - 1].split(',')
        assert.equal(Number(cells[head.indexOf('mse')]), last.mse)
        assert.equal(Number(cells[head.indexOf('r2')]), last.r2)

        const dev2 = await inject('POST', '/devices', { kind: 'sim-xy', builder: 'all-to-all:6', task: 'xor', seed: 1 })
        const cls = (await inject('POST', '/runs', { device: dev2.json().id, task: 'xor', ...hp, batchSize: 4 })).json()
        await d.services.runs.idle(cls.id)
        const clsRows: Row[] = (await inject('GET', `/runs/${cls.id}/metrics`)).json().rows
        assert.ok(clsRows.length > 0)
        for (const r of clsRows) assert.deepEqual([r.mse, r.r2], [null, null], `${r.kind} row of a classification run`)
      } finally {
        await d.close()
      }
    })
  })
}
