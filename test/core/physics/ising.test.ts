import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SimIsingSubstrate } from '../../../drivers/sim/ising.ts'
import type { Network } from '../../../src/core/network/network.ts'
import { compileIsing, isingCost, isingEnergy, isingEnergyGrad, isingNudgeFields, isingPredict, type IsingNet } from '../../../src/core/physics/ising.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import { forwardSchedule, isingFields, metropolisSweeps, reverseSchedule } from '../../../src/core/solvers/anneal.ts'
import { enginePhysics } from '../../../src/engine/physics.ts'

// 1 input (node 0), 3 hidden (1-3), 2 outputs (4, 5), layered plus one output-output coupling: 5 spins, 32 states
const EDGES: [number, number][] = [[0, 1], [0, 2], [0, 3], [1, 4], [1, 5], [2, 4], [2, 5], [3, 4], [3, 5], [4, 5]]
function tiny(seed: number): Network {
  const rng = new Rng(seed)
  return {
    model: 'ising', nodes: 6, edges: EDGES, weights: EDGES.map(() => rng.uniform(-1, 1)), inputs: [0], outputs: [4, 5],
    bias: { h: Array.from({ length: 6 }, (_, i) => (i === 0 ? 0 : rng.uniform(-0.5, 0.5))), psi: new Array<number>(6).fill(0) },
  }
}
const X = 0.7, Y = [1, -1]

/** Every spin state of the free nodes with the input at X, as [count, n] rows. */
function allStates(net: IsingNet): Float64Array[] {
  const free = net.free, out: Float64Array[] = []
  for (let mask = 0; mask < 1 << free.length; mask++) {
    const s = new Float64Array(net.n)
    for (const i of net.inputs) s[i] = X
    free.forEach((i, q) => { s[i] = (mask >> q) & 1 ? 1 : -1 })
    out.push(s)
  }
  return out
}

/** Boltzmann expectation of f at temperature T under E + beta C (exact enumeration). */
function expect(network: Network, T: number, beta: number, f: (s: Float64Array, net: IsingNet) => number): number {
  const net = compileIsing(network)
  let Z = 0, acc = 0
  for (const s of allStates(net)) {
    const p = Math.exp(-(isingEnergy(net, s, 0) + beta * isingCost(net, s, 0, Y, 0)) / T)
    Z += p; acc += p * f(s, net)
  }
  return acc / Z
}

describe('Ising physics', () => {
  it('dE/dJ and dE/dh from the engine table equal finite differences of E (sign convention)', () => {
    const network = tiny(1), ph = enginePhysics(network), net = compileIsing(network)
    const { m, n } = ph
    const eps = 1e-6
    for (const s of allStates(net).filter((_, k) => k % 7 === 0)) {
      const g = new Float64Array(m + 2 * n)
      ph.accumulate(s, 1, 1, true, g, null)
      for (let k = 0; k < m; k++) {
        const a = structuredClone(network), b = structuredClone(network)
        a.weights[k] += eps; b.weights[k] -= eps
        const fd = (isingEnergy(compileIsing(a), s, 0) - isingEnergy(compileIsing(b), s, 0)) / (2 * eps)
        assert.ok(Math.abs(fd - g[k]) < 1e-8, `edge ${k}: fd ${fd} vs ${g[k]}`)
      }
      for (let i = 0; i < n; i++) {
        const a = structuredClone(network), b = structuredClone(network)
        a.bias!.h[i] += eps; b.bias!.h[i] -= eps
        const fd = (isingEnergy(compileIsing(a), s, 0) - isingEnergy(compileIsing(b), s, 0)) / (2 * eps)
        assert.ok(Math.abs(fd - g[m + i]) < 1e-8, `h ${i}: fd ${fd} vs ${g[m + i]}`)
      }
    }
  })

  it('flipping spin i changes E by 2 s_i F_i with F the local field (= -dE/ds), as the sampler assumes', () => {
    const network = tiny(2), net = compileIsing(network)
    const field = new Float64Array(net.n), grad = new Float64Array(net.n)
    for (const s of allStates(net).filter((_, k) => k % 5 === 0)) {
      isingFields(net, s, null, field)
      isingEnergyGrad(net, s, 0, grad)
      for (const i of net.free) {
        assert.ok(Math.abs(field[i] + grad[i]) < 1e-12)
        const t = s.slice(); t[i] = -t[i]
        assert.ok(Math.abs(isingEnergy(net, t, 0) - isingEnergy(net, s, 0) - 2 * s[i] * field[i]) < 1e-12)
      }
    }
  })

  it('the nudge fields h_o += beta y_o equal beta C up to a constant on every spin state (replicas included)', () => {
    const network: Network = { ...tiny(3), nodes: 7, edges: [...EDGES, [1, 6]], weights: [...tiny(3).weights, 0.3], replicas: [[6], []], bias: { h: new Array<number>(7).fill(0.1), psi: new Array<number>(7).fill(0) } }
    const net = compileIsing(network), beta = 1.7, f = new Float64Array(net.n)
    isingNudgeFields(net, Y, 0, beta, f)
    assert.deepEqual([...f], [0, 0, 0, 0, beta, -beta, beta])
    const gaps = allStates(net).map((s) => beta * isingCost(net, s, 0, Y, 0) + net.free.reduce((a, i) => a + f[i] * s[i], 0))
    for (const g of gaps) assert.ok(Math.abs(g - gaps[0]) < 1e-12)
  })

  it('reads out the output group with the largest mean spin', () => {
    const network: Network = { model: 'ising', nodes: 7, edges: [[0, 1]], weights: [1], inputs: [0], outputs: [1, 2], replicas: [[3, 4], [5, 6]] }
    const net = compileIsing(network), sc = new Float64Array(2)
    // group 0: (+1, -1, -1) mean -1/3; group 1: (-1, +1, +1) mean +1/3
    assert.equal(isingPredict(net, Float64Array.of(0, 1, -1, -1, -1, 1, 1), 0, sc), 1)
    assert.equal(isingPredict(net, Float64Array.of(0, 1, -1, 1, -1, -1, 1), 0, sc), 0)
  })

  it('builds forward and reverse schedules with the documented sweep counts', () => {
    const f = forwardSchedule('geometric', 0.1, 10, 5)
    assert.ok(Math.abs(f[0] - 0.1) < 1e-12 && Math.abs(f[4] - 10) < 1e-12 && Math.abs(f[2] - 1) < 1e-12)
    const r = reverseSchedule(f, 0.5, 3)
    // back from the cold end to index 2, hold 3, forward again: 2 (5 - 1 - 2) + 3 sweeps
    assert.deepEqual([...r].map((v) => +v.toFixed(9)), [f[3], f[2], f[2], f[2], f[2], f[3], f[4]].map((v) => +v.toFixed(9)))
  })

  it('samples the Boltzmann distribution at a constant temperature (exact enumeration, total variation < 0.02)', () => {
    // a single chain, one state recorded per sweep after burn-in
    const network = tiny(4), net = compileIsing(network), T = 1.5
    const states = allStates(net)
    const p = states.map((s) => Math.exp(-isingEnergy(net, s, 0) / T))
    const Z = p.reduce((a, b) => a + b, 0)
    const count = new Float64Array(states.length)
    const x = states[0].slice(), field = new Float64Array(net.n), betas = new Float64Array(1).fill(1 / T), rng = new Rng(7)
    isingFields(net, x, null, field)
    const N = 200_000
    metropolisSweeps(net, x, field, betas, 0, 1, rng)
    for (let t = 0; t < N; t++) {
      metropolisSweeps(net, x, field, betas, 0, 1, rng)
      let mask = 0
      net.free.forEach((i, q) => { if (x[i] > 0) mask |= 1 << q })
      count[mask]++
    }
    let tv = 0
    for (let k = 0; k < states.length; k++) tv += 0.5 * Math.abs(count[k] / N - p[k] / Z)
    assert.ok(tv < 0.02, `total variation ${tv}`)
  })

  it('the expected symmetric EqProp estimate at fixed temperature approaches d<C>/dtheta (exact enumeration, O(beta^2))', () => {
    const network = tiny(5), T = 1, ph = enginePhysics(network)
    const { m, n } = ph, P = m + 2 * n
    const loss = (nw: Network) => expect(nw, T, 0, (s, net) => isingCost(net, s, 0, Y, 0))
    const eps = 1e-5
    const grad = network.weights.map((_, k) => {
      const a = structuredClone(network), b = structuredClone(network)
      a.weights[k] += eps; b.weights[k] -= eps
      return (loss(a) - loss(b)) / (2 * eps)
    })
    const errAt = (beta: number) => {
      let err = 0
      for (let k = 0; k < m; k++) {
        const obs = (s: Float64Array) => { const g = new Float64Array(P); ph.accumulate(s, 1, 1, true, g, null); return g[k] }
        const est = (expect(network, T, beta, obs) - expect(network, T, -beta, obs)) / (2 * beta)
        err = Math.max(err, Math.abs(est - grad[k]))
      }
      return err
    }
    const e1 = errAt(0.2), e2 = errAt(0.02)
    assert.ok(e2 < 1e-3, `error at beta 0.02: ${e2}`)
    assert.ok(e2 < e1 / 50, `not O(beta^2): ${e1} -> ${e2}`)
  })

  it('the sampler\'s EqProp estimate (free sample, reverse-annealed +-beta continuations at T = 1) matches d<C>/dJ', async () => {
    const network = tiny(5), T = 1, beta = 0.2, ph = enginePhysics(network)
    const { m, n } = ph
    const loss = (nw: Network) => expect(nw, T, 0, (s, net) => isingCost(net, s, 0, Y, 0))
    const eps = 1e-5
    const grad = network.weights.map((_, k) => {
      const a = structuredClone(network), b = structuredClone(network)
      a.weights[k] += eps; b.weights[k] -= eps
      return (loss(a) - loss(b)) / (2 * eps)
    })
    // a constant schedule makes every phase a Metropolis chain at T; 30 sweeps mix this 5-spin system
    const sub = new SimIsingSubstrate(network, { betaHot: 1 / T, betaCold: 1 / T, sweeps: 30, reversePoint: 0, maxBatch: 8000, seed: 5 })
    const B = 8000, reps = 5, g = new Float64Array(m + 2 * n)
    const inputs = new Float64Array(B).fill(X), targets = new Float64Array(2 * B)
    for (let b = 0; b < B; b++) { targets[2 * b] = Y[0]; targets[2 * b + 1] = Y[1] }
    for (let r = 0; r < reps; r++) {
      const free = await sub.relax({ batch: B, inputs, phase: 'free', start: { kind: 'random', seed: r * B } })
      for (const sgn of [1, -1]) {
        const nu = await sub.relax({ batch: B, inputs, phase: 'nudged', nudge: { kind: 'cost', cost: 'log-cos', beta: sgn * beta, targets }, start: { kind: 'given', states: free.states } })
        ph.accumulate(nu.states, B, sgn / (2 * beta) / (B * reps), true, g, null)
      }
    }
    let num = 0, den = 0
    for (let k = 0; k < m; k++) { num += (g[k] - grad[k]) ** 2; den += grad[k] ** 2 }
    // sampling noise: std about sqrt(2 / 40000) / 0.4 = 0.018 per coupling; the gradient's norm is about 1.2 (measured relative error 0.05)
    assert.ok(Math.sqrt(num / den) < 0.15, `relative error ${Math.sqrt(num / den)} (|grad| ${Math.sqrt(den)})`)
  })
})
