import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Daemon } from '../../src/api/daemon.ts'
import { inProcessDaemon, tempDir } from '../support/daemon.ts'

describe('devices API: substrate selection', () => {
  let d: Daemon
  before(async () => { d = await inProcessDaemon({ dataDir: tempDir('substrates') }) })
  after(async () => { await d.close() })
  const inject = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => d.app.inject({ method, url, payload: payload as object })

  it('attaches a sim-oim device whose info and description say model oim', async () => {
    const r = await inject('POST', '/devices', { kind: 'sim-oim', builder: 'all-to-all:12:std=0.5', task: 'iris', seed: 2 })
    assert.equal(r.statusCode, 201, r.body)
    const v = r.json()
    assert.equal(v.kind, 'sim-oim')
    assert.equal(v.info.model, 'oim')
    assert.equal(v.description.model, 'oim')
    const xy = (await inject('POST', '/devices', { kind: 'sim-xy', builder: 'all-to-all:12:std=0.5', task: 'iris', seed: 2 })).json()
    assert.equal(xy.info.model, 'xy')
  })

  it('attaches a sim-resistor device and relaxes it to node voltages', async () => {
    const r = await inject('POST', '/devices', { kind: 'sim-resistor', builder: 'layered:2,4,1', io: { inputs: 2, outputs: 1 } })
    assert.equal(r.statusCode, 201, r.body)
    assert.equal(r.json().info.model, 'resistor')
    const relax = await inject('POST', `/devices/${r.json().id}/relax`, { inputs: [[1, -1]] })
    assert.equal(relax.statusCode, 200, relax.body)
    assert.deepEqual(relax.json().settled, [true])
    // a 4-bit ADC over +-0.5 V: free node voltages come back in steps of 1/16 V
    const adc = await inject('POST', '/devices', { kind: 'sim-resistor', builder: 'layered:2,4,1', io: { inputs: 2, outputs: 1 }, sim: { readoutBits: 4, readoutRange: 0.5, noise: { sigma: 0.01 } } })
    assert.equal(adc.statusCode, 201, adc.body)
    const read = await inject('POST', `/devices/${adc.json().id}/relax`, { inputs: [[1, -1]] })
    assert.equal(read.statusCode, 200, read.body)
    for (const v of read.json().phases[0].slice(2)) assert.ok(Number.isInteger(v * 16), `${v} is off the 4-bit grid`)
    // the ADC range is a resistor option
    const bad = await inject('POST', '/devices', { kind: 'sim-xy', builder: 'layered:2,4,1', io: { inputs: 2, outputs: 1 }, sim: { readoutRange: 0.5 } })
    assert.equal(bad.statusCode, 400)
  })

  it('attaches a sim-ising device with output copies and an anneal schedule, and relaxes it to spins', async () => {
    const r = await inject('POST', '/devices', { kind: 'sim-ising', builder: 'layered:4,6,3', task: 'iris', copies: 2, anneal: { sweeps: 40, reads: 2 } })
    assert.equal(r.statusCode, 201, r.body)
    const v = r.json()
    assert.equal(v.info.model, 'ising')
    assert.equal(v.info.sampler.sweeps, 40)
    assert.equal(v.info.sampler.reads, 2)
    assert.equal(v.info.nodes, 4 + 6 + 3 * 2)
    assert.deepEqual(v.info.ranges.coupling, { min: -1, max: 1, levels: 0 })
    const relax = await inject('POST', `/devices/${v.id}/relax`, { inputs: [[0.5, -0.5, 1, 0]] })
    assert.equal(relax.statusCode, 200, relax.body)
    assert.ok(relax.json().phases[0].slice(4).every((s: number) => s === 1 || s === -1))
    assert.deepEqual(relax.json().steps, [80])
    const bad = await inject('POST', '/devices', { kind: 'sim-ising', builder: 'layered:2,4,1', io: { inputs: 2, outputs: 1 }, sim: { noise: { sigma: 0.1 } } })
    assert.equal(bad.statusCode, 400)
  })

  it('writes and reads back S on an OIM device', async () => {
    const dev = (await inject('POST', '/devices', { kind: 'sim-oim', builder: 'all-to-all:4', io: { inputs: 1, outputs: 1 }, sim: { bias: { min: -1, max: 1, levels: 0 } } })).json()
    const put = await inject('PUT', `/devices/${dev.id}/params`, { weights: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], h: [0, 0.1, 0.2, 0.3], s: [0, 2, -0.5, 0.25] })
    assert.equal(put.statusCode, 200, put.body)
    assert.deepEqual(put.json().s, [0, 1, -0.5, 0.25])
    assert.deepEqual((await inject('GET', `/devices/${dev.id}/params`)).json().s, [0, 1, -0.5, 0.25])
    const bad = await inject('PUT', `/devices/${dev.id}/params`, { weights: [0, 0, 0, 0, 0, 0], s: [1] })
    assert.equal(bad.statusCode, 400)
    assert.equal(bad.json().code, 'EQP_ERR_BAD_INPUT')
  })

  it('trains an Iris run on a sim-oim device, ending with a trained OIM network', async () => {
    const dev = (await inject('POST', '/devices', { kind: 'sim-oim', builder: 'all-to-all:12:std=0.5', task: 'iris', seed: 0 })).json()
    const r = await inject('POST', '/runs', { device: dev.id, task: 'iris', seed: 0, epochs: 30, batchSize: 16, estimator: 'symmetric', beta: 1, optimiser: { kind: 'adam' }, lr: 0.02 })
    assert.equal(r.statusCode, 202, r.body)
    await d.services.runs.idle(r.json().id)
    const v = (await inject('GET', `/runs/${r.json().id}`)).json()
    assert.equal(v.state, 'done', JSON.stringify(v.error ?? null))
    assert.equal(v.result.network.model, 'oim')
    assert.ok(v.result.network.shil.some((s: number) => s !== 0), 'S was trained')
    const snap = await inject('GET', `/runs/${r.json().id}/snapshot`)
    assert.equal(snap.statusCode, 200, snap.body)
    assert.ok(v.result.final.accuracy >= 0.6, `test accuracy ${v.result.final.accuracy} (chance 0.33)`)
  })

  it('takes inputValues on value-model devices, keeps it through a run, and refuses it on sim-xy naming the field', async () => {
    const dev = await inject('POST', '/devices', { kind: 'sim-oim', builder: 'layered:4,6,3', task: 'iris', seed: 0, inputValues: 'unit' })
    assert.equal(dev.statusCode, 201, dev.body)
    assert.equal(dev.json().description.inputValues, 'unit')
    const r = await inject('POST', '/runs', { device: dev.json().id, task: 'iris', seed: 0, epochs: 1, batchSize: 16, optimiser: { kind: 'adam' }, lr: 0.02 })
    assert.equal(r.statusCode, 202, r.body)
    await d.services.runs.idle(r.json().id)
    const v = (await inject('GET', `/runs/${r.json().id}`)).json()
    assert.equal(v.state, 'done', JSON.stringify(v.error ?? null))
    assert.equal(v.result.network.inputValues, 'unit')
    const xy = await inject('POST', '/devices', { kind: 'sim-xy', builder: 'layered:4,6,3', task: 'iris', inputValues: 'unit' })
    assert.equal(xy.statusCode, 400)
    assert.equal(xy.json().code, 'EQP_ERR_BAD_INPUT')
    assert.match(xy.body, /inputValues/)
    const typo = await inject('POST', '/devices', { kind: 'sim-oim', builder: 'layered:4,6,3', task: 'iris', inputValues: 'positive' })
    assert.equal(typo.statusCode, 400)
    assert.match(typo.body, /inputValues/)
  })
})
