// The executable Substrate contract: every driver (simulators now, remote boards later) runs it.
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { SubstrateInfo, type Substrate } from '../../drivers/substrate.ts'
import { EqpError } from '../../src/errors.ts'

/** What a driver's number formats allow: boards read states back in steps of stateLsb, and carry parameters as f32. */
export interface ContractFeatures {
  /** node states come back rounded to this step (rad) */
  stateLsb?: number
  /** parameters travel as f32 */
  f32Params?: boolean
  /** what cost-nudge targets are: phases (XY, default), values compared with cos(phi) (OIM), node values
   *  (resistor voltages), or +-1 spins (Ising annealer: the test asks each output to flip) */
  targets?: 'phases' | 'cos' | 'values' | 'spins'
  /** couplings between unclamped nodes are conductances: the board clips them at 0 */
  conductances?: boolean
}

/** Runs the shared Substrate tests against the driver `open` makes. */
export function substrateContract(name: string, open: () => Promise<Substrate>, features: ContractFeatures = {}) {
  const stateTol = (features.stateLsb ?? 0) / 2
  const paramTol = (v: number) => (features.f32Params ? Math.abs(v) * 2 ** -23 : 0)
  describe(`Substrate contract: ${name}`, () => {
    let sub: Substrate
    beforeEach(async () => { sub = await open() })
    afterEach(async () => { await sub.close().catch(() => {}) })

    const inputsFor = (batch: number) => Float64Array.from({ length: batch * sub.info.clampable.length }, (_, k) => ((k % 3) - 1) * 0.9)

    it('announces info that parses with the SubstrateInfo schema', () => {
      SubstrateInfo.parse(sub.info)
      assert.ok(sub.info.uid.length > 0)
      for (const [i, j] of sub.info.edges) assert.ok(i < sub.info.nodes && j < sub.info.nodes)
    })

    it('returns parameters as applied by setParams, and getParams reads them back', async () => {
      const m = sub.info.edges.length
      const want = Float64Array.from({ length: m }, (_, k) => Math.sin(k + 1) * 0.5)
      const applied = await sub.setParams({ weights: want })
      assert.equal(applied.weights.length, m)
      const back = await sub.getParams()
      assert.deepEqual([...back.weights], [...applied.weights])
      const r = sub.info.ranges.coupling
      for (let k = 0; k < m; k++) {
        assert.ok(applied.weights[k] >= r.min && applied.weights[k] <= r.max)
        const [i, j] = sub.info.edges[k]
        const expect = features.conductances && !sub.info.clampable.includes(i) && !sub.info.clampable.includes(j) ? Math.max(0, want[k]) : want[k]
        if (r.levels < 2) assert.ok(Math.abs(applied.weights[k] - expect) <= paramTol(expect), `weight ${k}: ${applied.weights[k]} != ${expect}`)
      }
    })

    it('adds deltas with updateParams and returns the full parameter set', async () => {
      const m = sub.info.edges.length
      const base = await sub.setParams({ weights: new Float64Array(m).fill(0.1) })
      const after = await sub.updateParams({ weights: new Float64Array(m).fill(0.05) })
      for (let k = 0; k < m; k++) assert.ok(Math.abs(after.weights[k] - (base.weights[k] + 0.05)) <= stepOf(sub) / 2 + 1e-12 + 2 * paramTol(0.2))
    })

    it('relaxes a batch with clamped inputs, reporting states, energies and settledness', async () => {
      const B = Math.min(3, sub.info.maxBatch), n = sub.info.nodes
      const inputs = inputsFor(B)
      const r = await sub.relax({ batch: B, inputs, phase: 'free', start: { kind: 'random', seed: 1 } })
      assert.equal(r.states.length, B * n)
      assert.equal(r.energy.length, B)
      assert.equal(r.settled.length, B)
      for (let b = 0; b < B; b++) {
        sub.info.clampable.forEach((node, k) => assert.ok(Math.abs(r.states[b * n + node] - inputs[b * sub.info.clampable.length + k]) <= stateTol, `clamped node ${node} moved`))
        assert.ok(Number.isFinite(r.energy[b]))
      }
    })

    it('gives the same equilibria for the same random seed, and continues from the previous ones', async () => {
      const B = Math.min(2, sub.info.maxBatch)
      const inputs = inputsFor(B)
      const a = await sub.relax({ batch: B, inputs, phase: 'free', start: { kind: 'random', seed: 42 } })
      const b = await sub.relax({ batch: B, inputs, phase: 'free', start: { kind: 'random', seed: 42 } })
      assert.deepEqual([...a.states], [...b.states])
      const c = await sub.relax({ batch: B, inputs, phase: 'free', start: { kind: 'previous' } })
      for (let i = 0; i < a.states.length; i++) assert.ok(Math.abs(c.states[i] - a.states[i]) < 1e-4)
    })

    it('moves outputs toward the target in the nudged phase', async () => {
      const inputs = inputsFor(1), n = sub.info.nodes
      const free = await sub.relax({ batch: 1, inputs, phase: 'free', start: { kind: 'random', seed: 3 } })
      // cos targets: the opposite sign of the free readout cos(phi), so every output has to move
      const kind = features.targets ?? 'phases'
      const targets = Float64Array.from(sub.info.nudgeable, (o) => (kind === 'cos' ? (Math.cos(free.states[o]) > 0 ? -1 : 1) : kind === 'spins' ? -Math.sign(free.states[o]) : free.states[o] + 1))
      // a binary spin moves only when the nudge field beats its local field (Laydevant et al. use beta 5)
      const beta = kind === 'spins' ? 5 : 0.5
      const nudged = await sub.relax({ batch: 1, inputs, phase: 'nudged', nudge: { kind: 'cost', cost: 'log-cos', beta, targets }, start: { kind: 'given', states: free.states } })
      const near = (s: number, k: number) => (kind === 'cos' ? -Math.abs(Math.cos(s) - targets[k]) : kind === 'values' || kind === 'spins' ? -Math.abs(s - targets[k]) : Math.cos(s - targets[k]))
      sub.info.nudgeable.forEach((o, k) => {
        const before = near(free.states[o], k), after = near(nudged.states[o], k)
        assert.ok(after > before, `output ${o} moved away from its target`)
      })
      assert.equal(nudged.states.length, n)
    })

    it('refuses a batch larger than maxBatch and malformed inputs with coded errors', async () => {
      const big = sub.info.maxBatch + 1
      await assert.rejects(sub.relax({ batch: big, inputs: inputsFor(big), phase: 'free', start: { kind: 'random', seed: 1 } }), (e: unknown) => e instanceof EqpError && e.code === 'EQP_ERR_DEVICE_BATCH')
      await assert.rejects(sub.relax({ batch: 1, inputs: new Float64Array(0), phase: 'free', start: { kind: 'random', seed: 1 } }), (e: unknown) => e instanceof EqpError && e.code === 'EQP_ERR_BAD_INPUT')
    })

    it('rejects every call after close() with EQP_ERR_DEVICE_CLOSED', async () => {
      await sub.close()
      const closed = (e: unknown) => e instanceof EqpError && e.code === 'EQP_ERR_DEVICE_CLOSED'
      await assert.rejects(sub.relax({ batch: 1, inputs: inputsFor(1), phase: 'free', start: { kind: 'random', seed: 1 } }), closed)
      await assert.rejects(sub.setParams({ weights: new Float64Array(sub.info.edges.length) }), closed)
      await assert.rejects(sub.getParams(), closed)
    })
  })
}

function stepOf(sub: Substrate): number {
  const r = sub.info.ranges.coupling
  return r.levels >= 2 ? (r.max - r.min) / (r.levels - 1) : 0
}
