import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SimXySubstrate } from '../../../drivers/sim/xy.ts'
import { CouplingPath } from '../../../drivers/sim/imperfections.ts'
import { networkFromArg } from '../../../src/services/networks.ts'
import { compareWithTruth, identifyBoard } from '../../../src/services/twin/identify.ts'
import { EqpError } from '../../../src/errors.ts'
import { asModel } from '../../../src/services/substrates.ts'

const net = networkFromArg('all-to-all:6:std=0.7:bias=random', { inputs: 2, outputs: 1 }, 0)
const board = (extra: object = {}) => new SimXySubstrate(net, { solver: 'fire-newton', tol: 1e-10, variation: 0.2, deviceSeed: 3, ...extra })

describe('identifyBoard', () => {
  it('recovers the physical couplings and gains of a noiseless board with 20% device variation', async () => {
    const sim = board()
    const r = await identifyBoard(sim, net, { samples: 48 })
    const truth = await sim.getParams()
    const gain = new CouplingPath(15, { variation: 0.2, deviceSeed: 3, drift: 0 }).gain
    assert.deepEqual(r.report.unobservedEdges, [0])
    for (let k = 1; k < 15; k++) {
      assert.ok(Math.abs(r.twin.weights[k] - truth.weights[k]) < 1e-6, `edge ${k}: ${r.twin.weights[k]} vs ${truth.weights[k]}`)
      assert.ok(Math.abs(r.gain[k] - gain[k]) < 1e-5, `gain ${k}`)
    }
    const c = compareWithTruth(r.report, truth)
    assert.ok(c.rmsDeviation > 0.05, 'the variation moves the couplings off their setpoints')
    assert.ok(c.biasRmsError! < 1e-6)
    assert.equal(r.report.relaxations, 3 * 2 * 48)
  })

  it('with a 10-bit readout, puts the true couplings within its reported uncertainty and 10x closer than the setpoints', async () => {
    const sim = board({ readoutBits: 10 })
    const r = await identifyBoard(sim, net, { samples: 128, readoutBits: 10 })
    const c = compareWithTruth(r.report, await sim.getParams())
    assert.ok(c.rmsError > 1e-5, 'the readout error shows in the fit')
    assert.ok(c.rmsError < c.rmsDeviation / 10, `rms error ${c.rmsError} vs setpoint deviation ${c.rmsDeviation}`)
    assert.ok(c.within3 >= 0.9, `${c.within3} within 3 sigma`)
    assert.ok(c.within2 >= 0.75, `${c.within2} within 2 sigma`)
  })

  it('leaves the board at the network\'s setpoints', async () => {
    const sim = board()
    await identifyBoard(sim, net, { samples: 16 })
    const after = await sim.getParams(), fresh = await board().getParams()
    assert.deepEqual(Array.from(after.weights), Array.from(fresh.weights))
  })

  it('refuses options that cannot identify, and a board that does not match the network', async () => {
    await assert.rejects(identifyBoard(board(), net, { model: 'affine', setpointSets: 1 }), (e: unknown) => e instanceof EqpError && e.code === 'EQP_ERR_BAD_INPUT' && /setpointSets/.test(e.message))
    await assert.rejects(identifyBoard(board(), net, { samples: 0 }), (e: unknown) => e instanceof EqpError && /samples/.test(e.message))
    const other = networkFromArg('all-to-all:7', { inputs: 2, outputs: 1 }, 0)
    await assert.rejects(identifyBoard(board(), other), (e: unknown) => e instanceof EqpError && e.code === 'EQP_ERR_TASK_MISMATCH')
    await assert.rejects(identifyBoard(board(), asModel(net, 'oim')), (e: unknown) => e instanceof EqpError && /fits XY boards/.test(e.message))
    // 1 sample per setpoint vector: 3 x 2 x 4 = 24 equations for 36 unknowns
    await assert.rejects(identifyBoard(board(), net, { samples: 1 }), (e: unknown) => e instanceof EqpError && /24 equations for 36 unknowns/.test(e.message))
  })
})
