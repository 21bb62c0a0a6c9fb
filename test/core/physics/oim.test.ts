import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Network } from '../../../src/core/network/network.ts'
import { compileOim, oimCost, oimEdgeObservable, oimEnergy, oimHessian, oimNodeObservable, oimNudgeFields, oimPredict, type OimNet } from '../../../src/core/physics/oim.ts'
import { OimSystem } from '../../../src/core/physics/oim-system.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import { BandMatrix } from '../../../src/core/solvers/band.ts'
import { createRelaxWorkspace, DEFAULT_SOLVE, relaxWith } from '../../../src/core/solvers/index.ts'
import { smallNetworks } from '../../support/networks.ts'

const H = 1e-6

/** A small network of every topology as an OIM, with random h and S. */
function oimNetworks(seed: number): { name: string; net: Network }[] {
  const rng = new Rng(seed)
  return smallNetworks(seed).map(({ name, net }) => ({
    name,
    net: { ...net, model: 'oim', bias: { h: Array.from({ length: net.nodes }, () => rng.uniform(-0.5, 0.5)), psi: new Array<number>(net.nodes).fill(0) }, shil: Array.from({ length: net.nodes }, () => rng.uniform(-0.4, 0.4)) },
  }))
}

/** A state: random phases on free nodes, values in [-1, 1] on clamped ones. */
function randomState(net: OimNet, rng: Rng): Float64Array {
  return Float64Array.from({ length: net.n }, (_, i) => (net.clamped[i] ? rng.uniform(-1, 1) : rng.uniform(-Math.PI, Math.PI)))
}

describe('OIM physics', () => {
  for (const { name, net: desc } of oimNetworks(3)) {
    describe(name, () => {
      const net = compileOim(desc)
      const rng = new Rng(7)
      const st = randomState(net, rng)
      const y = Float64Array.from(net.outputs, () => rng.uniform(-1, 1))

      it('has a force equal to minus central finite differences of E + beta C to 1e-7, zero on clamped nodes', () => {
        const sys = new OimSystem(net)
        sys.beta = 0.4; sys.y = y
        const f = new Float64Array(net.n)
        sys.force(st, f)
        for (let i = 0; i < net.n; i++) {
          if (net.clamped[i]) { assert.equal(f[i], 0); continue }
          const p = st.slice(), q = st.slice()
          p[i] += H; q[i] -= H
          const fd = -(sys.energy(p) - sys.energy(q)) / (2 * H)
          assert.ok(Math.abs(fd - f[i]) < 1e-7, `node ${i}: fd ${fd} vs ${f[i]}`)
        }
      })

      it('has a Hessian equal to finite differences of the force to 1e-6', () => {
        const sys = new OimSystem(net)
        sys.beta = 0.4; sys.y = y
        const Hm = new BandMatrix(net.n, sys.bandwidth)
        oimHessian(net, st, 0, 0.4, y, 0, Hm)
        const fp = new Float64Array(net.n), fm = new Float64Array(net.n)
        for (let j = 0; j < net.n; j++) {
          if (net.clamped[j]) continue
          const p = st.slice(), q = st.slice()
          p[j] += H; q[j] -= H
          sys.force(p, fp); sys.force(q, fm)
          for (let i = 0; i < net.n; i++) {
            if (net.clamped[i]) continue
            const fd = -(fp[i] - fm[i]) / (2 * H)
            assert.ok(Math.abs(fd - Hm.get(i, j)) < 1e-6, `H[${i},${j}]: fd ${fd} vs ${Hm.get(i, j)}`)
          }
        }
      })

      it('has parameter observables equal to finite differences of E in J, h and S', () => {
        const ow = oimEdgeObservable(net, st, 0, new Float64Array(net.m)).slice()
        const oh = new Float64Array(net.n), os = new Float64Array(net.n)
        oimNodeObservable(net, st, 0, oh, os)
        const check = (arr: Float64Array, k: number, want: number, what: string) => {
          const v = arr[k]
          arr[k] = v + H; const ep = oimEnergy(net, st, 0)
          arr[k] = v - H; const em = oimEnergy(net, st, 0)
          arr[k] = v
          assert.ok(Math.abs((ep - em) / (2 * H) - want) < 1e-7, `${what}[${k}]: fd ${(ep - em) / (2 * H)} vs ${want}`)
        }
        for (let k = 0; k < net.m; k++) check(net.w, k, ow[k], 'J')
        for (let i = 0; i < net.n; i++) { check(net.h, i, oh[i], 'h'); check(net.s, i, os[i], 'S') }
      })

      it('makes the MSE nudge equal to rewriting h_out += beta y and S_out -= beta/2 (up to a constant)', () => {
        const beta = 0.3
        const dh = new Float64Array(net.n), ds = new Float64Array(net.n)
        oimNudgeFields(net, y, 0, beta, dh, ds)
        const shifted = compileOim(desc)
        for (let i = 0; i < net.n; i++) { shifted.h[i] += dh[i]; shifted.s[i] += ds[i] }
        const r2 = new Rng(11)
        let c0 = NaN
        for (let t = 0; t < 5; t++) {
          const x = randomState(net, r2)
          const diff = oimEnergy(shifted, x, 0) - (oimEnergy(net, x, 0) + beta * oimCost(net, x, 0, y, 0))
          if (t === 0) c0 = diff
          else assert.ok(Math.abs(diff - c0) < 1e-12, `not a constant offset: ${diff} vs ${c0}`)
        }
        let want = 0
        for (const v of y) want -= beta * (0.25 + 0.5 * v * v)
        assert.ok(Math.abs(c0 - want) < 1e-12)
      })
    })
  }

  it('reads the class as argmax cos(phi_out), and cos > 0 for one output', () => {
    const net = compileOim({ model: 'oim', nodes: 4, edges: [[0, 1], [0, 2], [0, 3]], weights: [1, 1, 1], inputs: [0], outputs: [1, 2, 3] })
    assert.equal(oimPredict(net, Float64Array.of(0.5, 2, 0.3, -0.1), 0), 2)
    const one = compileOim({ model: 'oim', nodes: 2, edges: [[0, 1]], weights: [1], inputs: [0], outputs: [1] })
    assert.equal(oimPredict(one, Float64Array.of(0, 3), 0), 0)
    assert.equal(oimPredict(one, Float64Array.of(0, 0.2), 0), 1)
  })

  it('gives EqProp estimates that converge to the gradient of the loss (re-relaxation) as beta -> 0', () => {
    // a tiny 2-3-2 layered OIM: L(theta) = C(s*(theta)) at the free equilibrium from a fixed start
    const rng = new Rng(21)
    const edges: [number, number][] = []
    for (const i of [0, 1]) for (const j of [2, 3, 4]) edges.push([i, j])
    for (const i of [2, 3, 4]) for (const j of [5, 6]) edges.push([i, j])
    const desc: Network = {
      model: 'oim', nodes: 7, edges, weights: edges.map(() => rng.uniform(-1, 1)), inputs: [0, 1], outputs: [5, 6],
      bias: { h: Array.from({ length: 7 }, () => rng.uniform(-0.3, 0.3)), psi: new Array<number>(7).fill(0) },
      // S < 0 keeps the equilibrium off the binary points 0, pi, where every force and every loss gradient vanishes
      shil: Array.from({ length: 7 }, () => rng.uniform(-0.3, 0)),
    }
    const net = compileOim(desc)
    const sys = new OimSystem(net)
    const ws = createRelaxWorkspace(net.n, sys.bandwidth)
    const o = { ...DEFAULT_SOLVE, tol: 1e-12, maxEvals: 200_000 }
    const y = Float64Array.of(1, -1)
    const start = Float64Array.of(0.6, -0.4, 0.3, 1.2, -0.7, 0.9, 2.0)
    const relax = (from: Float64Array, beta: number) => {
      const x = from.slice()
      sys.setFree(); if (beta !== 0) { sys.beta = beta; sys.y = y }
      const r = relaxWith('flow-newton', sys, x, o, ws)
      assert.ok(r.settled, `relaxation at beta ${beta} did not settle (residual ${r.residual})`)
      sys.setFree()
      return x
    }
    const s0 = relax(start, 0)
    const loss = () => oimCost(net, relax(s0, 0), 0, y, 0)
    // numerical dL/dtheta by re-relaxing from s0 with the parameter moved
    const params: [string, Float64Array, number][] = [['J', net.w, 0], ['J', net.w, 4], ['J', net.w, 8], ['h', net.h, 3], ['h', net.h, 6], ['S', net.s, 2], ['S', net.s, 5]]
    const d = 1e-5
    const numeric = params.map(([, arr, k]) => {
      const v = arr[k]
      arr[k] = v + d; const lp = loss()
      arr[k] = v - d; const lm = loss()
      arr[k] = v
      return (lp - lm) / (2 * d)
    })
    const obs = (s: Float64Array) => {
      const w = oimEdgeObservable(net, s, 0, new Float64Array(net.m)).slice(), h = new Float64Array(net.n), S = new Float64Array(net.n)
      oimNodeObservable(net, s, 0, h, S)
      return params.map(([name, , k]) => (name === 'J' ? w[k] : name === 'h' ? h[k] : S[k]))
    }
    const errAt = (beta: number) => {
      const op = obs(relax(s0, beta)), om = obs(relax(s0, -beta))
      let e = 0
      for (let p = 0; p < params.length; p++) e = Math.max(e, Math.abs((op[p] - om[p]) / (2 * beta) - numeric[p]))
      return e
    }
    const scale = Math.max(...numeric.map(Math.abs))
    assert.ok(scale > 1e-3, `gradients too small to test (${scale})`)
    const e1 = errAt(0.1), e2 = errAt(0.01)
    // the symmetric estimate's bias is O(beta^2): ten times smaller beta, about a hundred times smaller error
    assert.ok(e2 < e1 / 20, `error did not shrink like beta^2: ${e1} -> ${e2}`)
    assert.ok(e2 < 1e-3 * Math.max(1, scale), `symmetric estimate at beta 0.01 off by ${e2} (gradient scale ${scale})`)
  })
})
