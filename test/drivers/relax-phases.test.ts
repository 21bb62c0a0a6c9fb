// Substrate.relaxPhases: a step's free phase and nudged phases in one call. Over the remote driver
// (SPEC 6.5 start = readout) its results are those of relax() phase by phase with the free states
// written back as a given start, for two nudges in a row too (a nudged RELAX does not replace the
// readout), and it sends no SET_START. On a substrate without it, relaxPhases() is those calls.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openRemoteSubstrate } from '../../drivers/remote/index.ts'
import { QuantisedXySubstrate } from '../../drivers/sim/quantised-xy.ts'
import { relaxPhases, type Nudge, type PhaseStepRequest, type RelaxResult, type Substrate } from '../../drivers/substrate.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { BoardOnCable } from '../support/board-link.ts'

const net = buildNetwork({ kind: 'lattice', rows: 4, cols: 4, weightStd: 0.8, bias: 'random' }, { inputs: 2, outputs: 2 }, 5)
const params = () => ({ weights: Float64Array.from(net.weights), h: Float64Array.from(net.bias!.h), psi: Float64Array.from(net.bias!.psi) })
const B = 3
const inputs = Float64Array.of(0.3, -1.2, 2.9, 0.1, -3.1, 1.5)
const targets = Float64Array.of(1, -1, 0.5, 2, -2.5, 0)
const nudges: Nudge[] = [0.5, -0.5].map((beta) => ({ kind: 'cost', cost: 'log-cos', beta, targets }))
const req: PhaseStepRequest = { batch: B, inputs, start: { kind: 'random', seed: 77 }, nudges }

/** The phases one relax() at a time, each nudged phase from the free states (the Trainer's old path). */
async function oneByOne(sub: Substrate) {
  const free = await sub.relax({ batch: B, inputs, phase: 'free', start: req.start })
  const nudged: RelaxResult[] = []
  for (const nudge of nudges) nudged.push(await sub.relax({ batch: B, inputs, phase: 'nudged', nudge, start: { kind: 'given', states: free.states } }))
  return { free, nudged }
}
const plain = (r: { free: RelaxResult; nudged: RelaxResult[] }) =>
  [r.free, ...r.nudged].map((x) => ({ states: [...x.states], energy: [...x.energy], settled: [...x.settled], steps: [...x.steps] }))

describe('relaxPhases', () => {
  it('over the remote driver: the results of relax() phase by phase, bit for bit, with no SET_START sent', async () => {
    const got: ReturnType<typeof plain>[] = [], commands: number[] = []
    for (const together of [true, false]) {
      const cable = new BoardOnCable(net, { maxBatch: B })
      const sub = await openRemoteSubstrate(cable.connect, 'mem', { window: 8 })
      try {
        await sub.setParams(params())
        const c0 = sub.status().counters.commands
        got.push(plain(together ? await sub.relaxPhases(req) : await oneByOne(sub)))
        commands.push(sub.status().counters.commands - c0)
      } finally { await sub.close(); cable.close() }
    }
    assert.deepEqual(got[0], got[1])
    assert.ok(got[0][1].states.some((v, i) => v !== got[0][2].states[i]), 'the two nudges end apart')
    // one SET_START per sample and nudged phase (16 nodes fit one chunk) is all that differs
    assert.equal(commands[1] - commands[0], nudges.length * B)
  })

  it('equals the simulator at board resolution', async () => {
    const cable = new BoardOnCable(net, { maxBatch: B })
    const sub = await openRemoteSubstrate(cable.connect, 'mem', { window: 8 })
    const ref = new QuantisedXySubstrate(net, { maxBatch: B })
    try {
      await sub.setParams(params())
      await ref.setParams(params())
      assert.deepEqual(plain(await sub.relaxPhases(req)).map((x) => x.states), plain(await oneByOne(ref)).map((x) => x.states))
    } finally { await sub.close(); cable.close() }
  })

  it('on a substrate without it, is relax() phase by phase', async () => {
    const a = new QuantisedXySubstrate(net, { maxBatch: B }), b = new QuantisedXySubstrate(net, { maxBatch: B })
    await a.setParams(params())
    await b.setParams(params())
    assert.equal((a as Substrate).relaxPhases, undefined)
    assert.deepEqual(plain(await relaxPhases(a, req)), plain(await oneByOne(b)))
  })
})
