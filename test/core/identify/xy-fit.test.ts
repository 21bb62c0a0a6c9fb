import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { biasOf, couplingsAt, fitXyEquilibria, gainsOf, setpointsFor, type FitTopology, type ProbeSet } from '../../../src/core/identify/xy-fit.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import { networkFromArg } from '../../../src/services/networks.ts'
import { SimXySubstrate } from '../../../drivers/sim/xy.ts'
import { CouplingPath } from '../../../drivers/sim/imperfections.ts'
import type { Network } from '../../../src/core/network/network.ts'

// 6 all-to-all oscillators, 2 clamped inputs, 1 nudgeable output, random bias fields
const net: Network = networkFromArg('all-to-all:6:std=0.7:bias=random', { inputs: 2, outputs: 1 }, 0)
const topo: FitTopology = { n: 6, edges: net.edges, clamped: Uint8Array.from([1, 1, 0, 0, 0, 0]), bias: true }

/** Free and force-nudged equilibria of a simulated board at the given setpoints (settled samples only). */
async function probe(sim: SimXySubstrate, setpoints: Float64Array, B: number, seed: number): Promise<ProbeSet[]> {
  const rng = new Rng(seed), n = 6
  await sim.setParams({ weights: setpoints, h: Float64Array.from(net.bias!.h), psi: Float64Array.from(net.bias!.psi) })
  const inputs = Float64Array.from({ length: 2 * B }, () => rng.uniform(-Math.PI, Math.PI))
  const free = await sim.relax({ batch: B, inputs, phase: 'free', start: { kind: 'random', seed } })
  const force = new Float64Array(B * n)
  for (let b = 0; b < B; b++) force[b * n + 5] = 0.3 * rng.normal()
  const nudged = await sim.relax({ batch: B, inputs, phase: 'nudged', nudge: { kind: 'force', force }, start: { kind: 'given', states: free.states } })
  const pick = (s: Float64Array, ok: Uint8Array) => Float64Array.from(Array.from({ length: B }, (_, b) => b).filter((b) => ok[b]).flatMap((b) => Array.from(s.subarray(b * n, b * n + n))))
  const ok = Uint8Array.from(free.settled, (v, b) => v & nudged.settled[b])
  return [{ setpoints, states: pick(free.states, ok), force: null }, { setpoints, states: pick(nudged.states, ok), force: pick(force, ok) }]
}

describe('fitXyEquilibria', () => {
  it('recovers the couplings and bias fields of a noiseless board to 1e-6', async () => {
    const sim = new SimXySubstrate(net, { solver: 'fire-newton', tol: 1e-10 })
    const w0 = Float64Array.from(net.weights)
    const fit = fitXyEquilibria(topo, await probe(sim, w0, 48, 1))
    const { w } = couplingsAt(fit, w0)
    assert.deepEqual(fit.unobservedEdges, [0])   // edge [0,1] joins the two clamped inputs
    for (let k = 1; k < w.length; k++) assert.ok(Math.abs(w[k] - net.weights[k]) < 1e-6, `edge ${k}: ${w[k]} vs ${net.weights[k]}`)
    const b = biasOf(fit, new Float64Array(6), new Float64Array(6))
    for (let i = 2; i < 6; i++) {
      const hx = net.bias!.h[i] * Math.cos(net.bias!.psi[i]), hy = net.bias!.h[i] * Math.sin(net.bias!.psi[i])
      assert.ok(Math.hypot(b.h[i] * Math.cos(b.psi[i]) - hx, b.h[i] * Math.sin(b.psi[i]) - hy) < 1e-6, `bias of node ${i}`)
    }
    assert.ok(fit.residualRms < 1e-8)
  })

  it('recovers each coupling\'s gain and offset (affine) from three setpoint vectors under device variation', async () => {
    const sim = new SimXySubstrate(net, { solver: 'fire-newton', tol: 1e-10, variation: 0.2, deviceSeed: 3 })
    const truth = new CouplingPath(15, { variation: 0.2, deviceSeed: 3, drift: 0 })
    const rng = new Rng(9), sets: ProbeSet[] = []
    for (let p = 0; p < 3; p++) sets.push(...await probe(sim, Float64Array.from(net.weights, (v) => p === 0 ? v : v + 0.3 * rng.normal()), 48, 10 + p))
    const fit = fitXyEquilibria(topo, sets, 'affine')
    const g = gainsOf(fit, Float64Array.from(net.weights))
    for (let k = 1; k < 15; k++) {
      assert.ok(Math.abs(g.gain[k] - truth.gain[k]) < 1e-5, `gain ${k}: ${g.gain[k]} vs ${truth.gain[k]}`)
      assert.ok(Math.abs(g.offset[k]) < 1e-5, `offset ${k}: ${g.offset[k]}`)
    }
    // the setpoints that give wanted physical couplings invert the path
    const want = Float64Array.from({ length: 15 }, (_, k) => 0.1 * k - 0.5)
    const s = setpointsFor(want, g.gain, g.offset)
    for (let k = 1; k < 15; k++) assert.ok(Math.abs(s[k] * truth.gain[k] - want[k]) < 1e-5)
  })

  it('stays within its reported uncertainty when the read states carry Gaussian noise of known std', async () => {
    const sim = new SimXySubstrate(net, { solver: 'fire-newton', tol: 1e-10 })
    const w0 = Float64Array.from(net.weights)
    const sets = await probe(sim, w0, 200, 4)
    const sd = 3e-3, rng = new Rng(5)
    for (const s of sets) for (let t = 0; t < s.states.length; t++) if (t % 6 >= 2) s.states[t] += sd * rng.normal()
    const fit = fitXyEquilibria(topo, sets, 'direct', { readoutSigma: sd })
    const { w, sigma } = couplingsAt(fit, w0)
    let in2 = 0, biggest = 0
    for (let k = 1; k < 15; k++) {
      const z = Math.abs(w[k] - net.weights[k]) / sigma[k]
      biggest = Math.max(biggest, Math.abs(w[k] - net.weights[k]))
      assert.ok(z < 4, `edge ${k}: error ${z.toFixed(2)} sigma`)
      if (z < 2) in2++
    }
    assert.ok(in2 >= 11, `${in2} of 14 couplings within 2 sigma`)
    // the textbook standard error is of the same size here (the robust one also covers correlated equations)
    for (let k = 1; k < 15; k++) {
      const c = fit.edgeColumn[k], r = fit.sigmaClassic[c] / fit.sigma[c]
      assert.ok(r > 0.33 && r < 3, `edge ${k}: classic / robust sigma ${r}`)
    }
    assert.ok(biggest > 1e-5, 'the noise should be visible in the fit')
  })

  it('refuses equilibria without any known force: they fix the parameters only up to scale', async () => {
    const sim = new SimXySubstrate(net, { solver: 'fire-newton', tol: 1e-10 })
    const sets = await probe(sim, Float64Array.from(net.weights), 16, 1)
    assert.throws(() => fitXyEquilibria(topo, [sets[0]]), /common scale/)
  })

  it('refuses the affine model with one setpoint vector, and fewer equations than unknowns', async () => {
    const sim = new SimXySubstrate(net, { solver: 'fire-newton', tol: 1e-10 })
    const sets = await probe(sim, Float64Array.from(net.weights), 16, 1)
    assert.throws(() => fitXyEquilibria(topo, sets, 'affine'), /edge 1 \[0,2\]: its setpoint has one value/)
    assert.throws(() => fitXyEquilibria(topo, [{ ...sets[1], states: sets[1].states.subarray(0, 12), force: sets[1].force!.subarray(0, 12) }]), /8 equations for 22 unknowns/)
  })
})
