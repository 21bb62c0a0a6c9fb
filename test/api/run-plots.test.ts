// GET /runs/:id/plots/:name.png: pictures of a stored run, drawn on demand, over real HTTP.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Daemon } from '../../src/api/daemon.ts'
import { curveFromMetrics } from '../../src/services/plots/stored-run.ts'
import { inProcessDaemon } from '../support/daemon.ts'

/** Width and height from a PNG's IHDR chunk, after checking the 8-byte signature. */
function pngSize(b: Buffer): { width: number; height: number } {
  assert.deepEqual([...b.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature')
  assert.equal(b.subarray(12, 16).toString('latin1'), 'IHDR')
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) }
}

describe('run pictures route', () => {
  let d: Daemon, base: string
  before(async () => {
    d = await inProcessDaemon({ checkpointEvery: 2 })
    base = d.url   // the in-process daemon already listens on a loopback port
    const dev = await d.app.inject({ method: 'POST', url: '/devices', payload: { kind: 'sim-xy', builder: 'lattice:3x3', task: 'xor', seed: 1 } })
    assert.equal(dev.statusCode, 201, dev.body)
    const r = await d.app.inject({ method: 'POST', url: '/runs', payload: { device: 'dev-1', task: 'xor', epochs: 3, batchSize: 4, seed: 2 } })
    assert.equal(r.statusCode, 202, r.body)
    await d.services.runs.idle('run-1')
  })
  after(async () => { await d.close() })

  for (const name of ['curve', 'phases', 'couplings', 'response']) {
    it(`serves ${name}.png of a finished run as image/png`, async () => {
      const res = await fetch(`${base}/runs/run-1/plots/${name}.png`)
      assert.equal(res.status, 200, await res.clone().text())
      assert.equal(res.headers.get('content-type'), 'image/png')
      const s = pngSize(Buffer.from(await res.arrayBuffer()))
      assert.ok(s.width > 0 && s.height > 0, JSON.stringify(s))
    })
  }

  it('answers 404 naming an unknown picture, and 404 for an unknown run', async () => {
    const bad = await fetch(`${base}/runs/run-1/plots/histogram.png`)
    assert.equal(bad.status, 404)
    const body = await bad.json() as { code: string; message: string }
    assert.equal(body.code, 'EQP_ERR_PLOT_NOT_FOUND')
    assert.match(body.message, /plot 'histogram' does not exist; known plots: curve, phases, couplings, response/)
    const none = await fetch(`${base}/runs/run-99/plots/curve.png`)
    assert.equal(none.status, 404)
    assert.equal(((await none.json()) as { code: string }).code, 'EQP_ERR_RUN_NOT_FOUND')
  })

  it('draws the curve from the stored metrics: one point per epoch, test accuracy at each evaluation', async () => {
    const pts = curveFromMetrics(await d.services.runs.metrics('run-1'))
    assert.deepEqual(pts.map((p) => p.epoch), [1, 2, 3])
    for (const p of pts) {
      assert.ok(Number.isFinite(p.distance) && p.distance >= 0)
      assert.ok(p.testAccuracy !== undefined && p.testAccuracy >= 0 && p.testAccuracy <= 1)
    }
  })
})
