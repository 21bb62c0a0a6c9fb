import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Daemon } from '../../src/api/daemon.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { inProcessDaemon, tempDir } from '../support/daemon.ts'

const xorNet = buildNetwork({ kind: 'all-to-all', nodes: 5, weightStd: 0.6, bias: 'random' }, { inputs: 2, outputs: 1 }, 3)

describe('POST /devices/:id/identify', () => {
  let d: Daemon
  const dir = tempDir('devices-identify')
  before(async () => { d = await inProcessDaemon({ dataDir: dir }) })
  after(async () => { await d.close() })
  const inject = (method: 'GET' | 'POST', url: string, payload?: unknown) => d.app.inject({ method, url, payload: payload as object })

  it('fits a simulated device with device variation and returns its twin', async () => {
    const a = await inject('POST', '/devices', { kind: 'sim-xy', network: xorNet, sim: { solver: 'fire-newton', tol: 1e-10, variation: 0.2, deviceSeed: 3 } })
    assert.equal(a.statusCode, 201, a.body)
    const id = a.json().id
    const r = await inject('POST', `/devices/${id}/identify`, { samples: 32 })
    assert.equal(r.statusCode, 200, r.body)
    const { report, twin } = r.json()
    assert.equal(report.relaxations, 3 * 2 * 32)
    assert.equal(twin.edges.length, 10)
    // the simulator reports its physical couplings: the twin must match them, not the setpoints
    const truth = (await inject('GET', `/devices/${id}/params`)).json().weights as number[]
    let off = 0
    for (let k = 1; k < 10; k++) {
      assert.ok(Math.abs(twin.weights[k] - truth[k]) < 1e-5, `edge ${k}`)
      off = Math.max(off, Math.abs(report.couplings[k].setpoint - truth[k]))
    }
    assert.ok(off > 0.01, 'the variation moves the couplings off their setpoints')
    const dev = (await inject('GET', `/devices/${id}`)).json()
    assert.ok(dev.stats.relaxSamples >= 192, 'the probes count as the device\'s relaxations')
  })

  it('answers 400 naming the field, and 404 for an unknown device', async () => {
    const bad = await inject('POST', '/devices/dev-1/identify', { model: 'affine', setpointSets: 1 })
    assert.equal(bad.statusCode, 400)
    assert.match(bad.body, /setpointSets/)
    const typo = await inject('POST', '/devices/dev-1/identify', { sampels: 3 })
    assert.equal(typo.statusCode, 400)
    assert.match(typo.body, /sampels/)
    assert.equal((await inject('POST', '/devices/dev-9/identify', {})).statusCode, 404)
  })
})
