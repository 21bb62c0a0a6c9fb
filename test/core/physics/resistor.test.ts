import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Network } from '../../../src/core/network/network.ts'
import { compileResistor, outputIndex, relaxResistor, resistorBiasObservable, resistorCost, resistorEdgeObservable, resistorEnergy, resistorEnergyGrad, resistorPredict } from '../../../src/core/physics/resistor.ts'
import { Rng } from '../../../src/core/rng/rng.ts'

const H = 1e-6

/** A 2-4-2 layered resistor network: signed input edges, conductances >= 0 elsewhere, bias currents. */
function tiny(seed: number): Network {
  const rng = new Rng(seed)
  const edges: [number, number][] = [], weights: number[] = []
  for (const i of [0, 1]) for (const j of [2, 3, 4, 5]) { edges.push([i, j]); weights.push(rng.uniform(-1, 1)) }
  for (const i of [2, 3, 4, 5]) for (const j of [6, 7]) { edges.push([i, j]); weights.push(rng.uniform(0.1, 1)) }
  return { model: 'resistor', nodes: 8, edges, weights, inputs: [0, 1], outputs: [6, 7], bias: { h: Array.from({ length: 8 }, (_, i) => (i < 2 ? 0 : rng.uniform(-0.2, 0.2))), psi: new Array<number>(8).fill(0) } }
}

describe('resistor physics', () => {
  const net = compileResistor(tiny(4))
  const rng = new Rng(9)
  const v = Float64Array.from({ length: 8 }, () => rng.uniform(-1, 1))
  const out = outputIndex(net)

  it('puts diodes on hidden nodes only, alternating V >= 0 and V <= 0', () => {
    assert.deepEqual([...net.diode], [0, 0, 1, -1, 1, -1, 0, 0])
  })

  it('has dE/dV equal to central finite differences of the energy on free nodes, zero on inputs', () => {
    const g = resistorEnergyGrad(net, v, 0, new Float64Array(8)).slice()
    for (let i = 0; i < 8; i++) {
      if (net.clamped[i]) { assert.equal(g[i], 0); continue }
      const p = v.slice(), q = v.slice()
      p[i] += H; q[i] -= H
      const fd = (resistorEnergy(net, p, 0) - resistorEnergy(net, q, 0)) / (2 * H)
      assert.ok(Math.abs(fd - g[i]) < 1e-7, `node ${i}: fd ${fd} vs ${g[i]}`)
    }
  })

  it('has observables equal to finite differences of E in the conductances (signed input edges too) and bias currents', () => {
    const ow = resistorEdgeObservable(net, v, 0, new Float64Array(net.m)).slice(), ob = new Float64Array(8)
    resistorBiasObservable(net, v, 0, ob)
    const fd = (arr: Float64Array, k: number) => {
      const x = arr[k]
      arr[k] = x + H; const ep = resistorEnergy(net, v, 0)
      arr[k] = x - H; const em = resistorEnergy(net, v, 0)
      arr[k] = x
      return (ep - em) / (2 * H)
    }
    for (let k = 0; k < net.m; k++) assert.ok(Math.abs(fd(net.w, k) - ow[k]) < 1e-7, `edge ${k}`)
    for (let i = 2; i < 8; i++) assert.ok(Math.abs(fd(net.b, i) - ob[i]) < 1e-7, `bias ${i}`)
  })

  it('relaxes by coordinate descent to the diode-constrained minimum (KKT conditions hold)', () => {
    const x = Float64Array.of(0.8, -0.6, 0.3, 0.3, -0.3, -0.3, 0, 0)
    const st = relaxResistor(net, x, 0, null, 0, null, 0, 1e-13, 100_000, out)
    assert.ok(st.settled)
    const g = resistorEnergyGrad(net, x, 0, new Float64Array(8))
    let atBound = 0
    for (let i = 2; i < 8; i++) {
      const d = net.diode[i]
      if (d !== 0 && x[i] === 0) {
        atBound++
        // the unconstrained minimiser lies beyond the diode: the gradient pushes into the bound
        assert.ok(d * g[i] >= -1e-9, `node ${i} at its bound with gradient ${g[i]}`)
      } else {
        assert.ok(Math.abs(g[i]) < 1e-9, `free node ${i}: gradient ${g[i]}`)
        assert.ok(d === 0 || d * x[i] > 0, `node ${i} violates its diode: ${x[i]}`)
      }
    }
    assert.ok(atBound < 4, 'some hidden nodes must be conducting for the test to mean anything')
  })

  it('reads the class as argmax V_out, and V > 0 for one output', () => {
    assert.equal(resistorPredict(net, Float64Array.of(0, 0, 0, 0, 0, 0, -0.2, 0.1), 0), 1)
    const one = compileResistor({ model: 'resistor', nodes: 2, edges: [[0, 1]], weights: [1], inputs: [0], outputs: [1] })
    assert.equal(resistorPredict(one, Float64Array.of(0, -0.1), 0), 0)
  })

  it('gives EqProp estimates that converge to the gradient of the loss (re-relaxation) as beta -> 0', () => {
    const nn = compileResistor(tiny(4))
    const y = Float64Array.of(0.5, -0.5)
    const x0 = Float64Array.of(0.8, -0.6, 0, 0, 0, 0, 0, 0)
    const relax = (beta: number) => {
      const x = x0.slice()
      assert.ok(relaxResistor(nn, x, beta, y, 0, null, 0, 1e-14, 200_000, out).settled)
      return x
    }
    const loss = () => resistorCost(nn, relax(0), 0, y, 0)
    const params: [string, Float64Array, number][] = [['w', nn.w, 0], ['w', nn.w, 3], ['w', nn.w, 5], ['w', nn.w, 9], ['w', nn.w, 14], ['b', nn.b, 6], ['b', nn.b, 2]]
    const d = 1e-6
    const numeric = params.map(([, arr, k]) => {
      const x = arr[k]
      arr[k] = x + d; const lp = loss()
      arr[k] = x - d; const lm = loss()
      arr[k] = x
      return (lp - lm) / (2 * d)
    })
    const obs = (s: Float64Array) => {
      const w = resistorEdgeObservable(nn, s, 0, new Float64Array(nn.m)).slice(), b = new Float64Array(nn.n)
      resistorBiasObservable(nn, s, 0, b)
      return params.map(([name, , k]) => (name === 'w' ? w[k] : b[k]))
    }
    const errAt = (beta: number) => {
      const op = obs(relax(beta)), om = obs(relax(-beta))
      return Math.max(...params.map((_, p) => Math.abs((op[p] - om[p]) / (2 * beta) - numeric[p])))
    }
    const scale = Math.max(...numeric.map(Math.abs))
    assert.ok(scale > 1e-3, `gradients too small to test (${scale})`)
    const e1 = errAt(0.1), e2 = errAt(0.01)
    assert.ok(e2 < e1 / 20 || e2 < 1e-7, `error did not shrink like beta^2: ${e1} -> ${e2}`)
    assert.ok(e2 < 1e-3 * scale, `estimate at beta 0.01 off by ${e2} (scale ${scale})`)
  })
})
