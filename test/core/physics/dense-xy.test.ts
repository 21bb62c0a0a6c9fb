// Dense XY kernels: the batched matrix-product force and the folded free-node system must give the
// typed-array physics exactly (Float64) or to float32 rounding (TensorFlow.js backends).
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { DENSE_AUTO_MIN_EDGES, SimXySubstrate } from '../../../drivers/sim/xy.ts'
import { denseMatMul, initDenseBackend, kernelInfo } from '../../../drivers/sim/tf-backend.ts'
import { DenseXyForce, DenseXyPlan, findDenseBlocks, typedMatMul, type DenseMatMul } from '../../../src/core/physics/dense-xy.ts'
import { DenseXySystem } from '../../../src/core/physics/dense-xy-system.ts'
import { compileXy, xyEnergy, type XyNet } from '../../../src/core/physics/xy.ts'
import { XySystem } from '../../../src/core/physics/xy-system.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import { BandMatrix } from '../../../src/core/solvers/band.ts'
import { EnvelopeMatrix } from '../../../src/core/solvers/envelope.ts'
import { buildNetwork } from '../../../src/core/topology/index.ts'
import { substrateContract } from '../../contracts/substrate.contract.ts'

const layeredNet = (sizes: number[], seed: number, bias: 'random' | 'zero' = 'random') =>
  buildNetwork({ kind: 'layered', sizes, weightStd: 0.6, bias }, { inputs: sizes[0], outputs: sizes[sizes.length - 1] }, seed)

const SHAPES = [[3, 5, 2], [8, 16, 4], [7, 12, 9, 3], [16, 32, 4]]

function randomPhases(n: number, N: number, seed: number): Float64Array {
  const rng = new Rng(seed)
  return Float64Array.from({ length: N * n }, () => rng.uniform(-Math.PI, Math.PI))
}

/** Reference: XySystem.force per sample (free phase), into out[N, n]. */
function referenceForce(net: XyNet, phi: Float64Array, N: number): Float64Array {
  const sys = new XySystem(net)
  const out = new Float64Array(N * net.n), f = new Float64Array(net.n)
  for (let r = 0; r < N; r++) { sys.force(phi.slice(r * net.n, (r + 1) * net.n), f); out.set(f, r * net.n) }
  return out
}

function maxRelErr(a: Float64Array, b: Float64Array): number {
  let scale = 0, d = 0
  for (let k = 0; k < a.length; k++) { scale = Math.max(scale, Math.abs(b[k])); d = Math.max(d, Math.abs(a[k] - b[k])) }
  return d / Math.max(scale, 1)
}

describe('dense XY kernels', () => {
  let tfmm: DenseMatMul
  before(async () => {
    const info = await initDenseBackend('auto')
    assert.ok(['node', 'wasm', 'cpu', 'typed-array'].includes(info.dense), `backend ${info.dense}`)
    tfmm = denseMatMul()
  })

  it('finds the layer blocks of a layered edge list, and none in a lattice', () => {
    const net = compileXy(layeredNet([7, 12, 9, 3], 1))
    assert.deepEqual(findDenseBlocks(net).map((b) => [b.aOff, b.a, b.bOff, b.b, b.edgeOff]), [[0, 7, 7, 12, 0], [7, 12, 19, 9, 84], [19, 9, 28, 3, 192]])
    const lat = compileXy(buildNetwork({ kind: 'lattice', rows: 4, cols: 4 }, { inputs: 2, outputs: 2 }, 1))
    assert.deepEqual(findDenseBlocks(lat, 4), [])
    // a shuffled edge list has no row-major runs: nothing is assumed from the builder
    const shuffled = layeredNet([4, 6, 2], 2)
    const order = shuffled.edges.map((_, k) => k).reverse()
    const rev = compileXy({ ...shuffled, edges: order.map((k) => shuffled.edges[k]), weights: order.map((k) => shuffled.weights[k]) })
    assert.deepEqual(findDenseBlocks(rev, 4), [])
  })

  for (const sizes of SHAPES) {
    it(`batched force equals the typed-array force on ${sizes.join('-')} (batch 5, bias, clamped inputs)`, () => {
      const net = compileXy(layeredNet(sizes, sizes.length * 7 + sizes[1]))
      const N = 5, phi = randomPhases(net.n, N, 3)
      const ref = referenceForce(net, phi, N)
      const out = new Float64Array(N * net.n)
      const typed = new DenseXyForce(net, typedMatMul)
      typed.force(phi, N, out)
      assert.ok(maxRelErr(out, ref) < 1e-12, `typed ${maxRelErr(out, ref)}`)
      const tf = new DenseXyForce(net, tfmm)
      try {
        tf.force(phi, N, out)
        assert.ok(maxRelErr(out, ref) < 1e-5, `${tfmm.name} ${maxRelErr(out, ref)}`)
      } finally { tf.dispose() }
    })
  }

  it('the folded free-node system has the force, energy and Hessian of the full system', () => {
    for (const sizes of [[8, 16, 4], [7, 12, 9, 3]]) {
      const full = compileXy(layeredNet(sizes, 11))
      const plan = DenseXyPlan.build(full, 2)!
      assert.ok(plan)
      const N = 3, phi = randomPhases(full.n, N, 5)
      const inputs = new Float64Array(N * full.inputs.length)
      for (let r = 0; r < N; r++) full.inputs.forEach((i, c) => { inputs[r * full.inputs.length + c] = phi[r * full.n + i] })
      plan.fold(inputs, N, typedMatMul)
      const ref = new XySystem(full), sys = new DenseXySystem(plan)
      assert.equal(sys.stiffness(), ref.stiffness())
      const f = new Float64Array(full.n), fc = new Float64Array(plan.compact.n), xc = new Float64Array(plan.compact.n)
      for (let r = 0; r < N; r++) {
        const x = phi.slice(r * full.n, (r + 1) * full.n)
        plan.setSample(r)
        plan.gather(x, 0, xc)
        const mRef = ref.force(x, f), m = sys.force(xc, fc)
        assert.ok(Math.abs(m - mRef) < 1e-12)
        plan.free.forEach((i, t) => assert.ok(Math.abs(fc[t] - f[i]) < 1e-12))
        // energies agree up to the constant of clamped-clamped couplings and clamped bias
        const x2 = x.slice(); plan.free.forEach((i) => { x2[i] += 0.3 })
        const xc2 = new Float64Array(plan.compact.n); plan.gather(x2, 0, xc2)
        const dRef = ref.energy(x2) - ref.energy(x), d = sys.energy(xc2) - sys.energy(xc)
        assert.ok(Math.abs(d - dRef) < 1e-10, `${d} vs ${dRef}`)
        const H = new BandMatrix(full.n, full.n - 1), Hc = new BandMatrix(plan.compact.n, sys.bandwidth)
        ref.hessian(x, H); sys.hessian(xc, Hc)
        plan.free.forEach((i, s) => plan.free.forEach((j, t) => assert.ok(Math.abs(Hc.get(s, t) - H.get(i, j)) < 1e-12)))
      }
    }
  })

  it('a repeated fold of the same batch reuses its fields, and new inputs or couplings refold', () => {
    const full = compileXy(layeredNet([8, 16, 4], 3))
    const plan = DenseXyPlan.build(full, 2)!
    const N = 3, inputs = randomPhases(8, N, 9)
    const fields = (): number[] => { const o: number[] = []; for (let r = 0; r < N; r++) { plan.setSample(r); o.push(...plan.compact.hx, ...plan.compact.hy) } return o }
    const fresh = (): number[] => {
      const p2 = DenseXyPlan.build(full, 2)!
      p2.fold(inputs, N, typedMatMul)
      const o: number[] = []; for (let r = 0; r < N; r++) { p2.setSample(r); o.push(...p2.compact.hx, ...p2.compact.hy) } return o
    }
    plan.fold(inputs, N, typedMatMul)
    const first = fields()
    plan.fold(inputs.slice(), N, typedMatMul)
    assert.deepEqual(fields(), first)
    inputs[5] += 0.5
    plan.fold(inputs, N, typedMatMul)
    assert.notDeepEqual(fields(), first)
    assert.deepEqual(fields(), fresh())
    for (let k = 0; k < full.m; k++) full.w[k] *= 1.5
    plan.refresh()
    plan.fold(inputs, N, typedMatMul)
    assert.deepEqual(fields(), fresh())
  })

  it('folds inputs with the TensorFlow.js product to float32 rounding', () => {
    const full = compileXy(layeredNet([16, 32, 4], 4))
    const plan = DenseXyPlan.build(full, 2)!
    const N = 4, inputs = randomPhases(16, N, 8)
    plan.fold(inputs, N, typedMatMul)
    const a = plan.compact.hx.slice(), fieldsT: number[] = []
    for (let r = 0; r < N; r++) { plan.setSample(r); fieldsT.push(...plan.compact.hx, ...plan.compact.hy) }
    plan.fold(inputs, N, tfmm)
    const fieldsF: number[] = []
    for (let r = 0; r < N; r++) { plan.setSample(r); fieldsF.push(...plan.compact.hx, ...plan.compact.hy) }
    assert.ok(maxRelErr(Float64Array.from(fieldsF), Float64Array.from(fieldsT)) < 1e-5)
    assert.ok(a.length === plan.compact.n)
    plan.dispose()
  })

  it('a 16-32-4 network relaxes to the same equilibria with the dense kernel as with the per-edge loops', async () => {
    const net = layeredNet([16, 32, 4], 21)
    const inputs = randomPhases(16, 3, 13).map((v) => v / 2)
    for (const solver of ['flow-newton', 'rk45', 'fire', 'eliminate'] as const) {
      const typed = new SimXySubstrate(net, { kernel: 'typed', solver })
      const dense = new SimXySubstrate(net, { kernel: 'dense', solver })
      assert.deepEqual(typed.kernelInUse(), { kernel: 'typed' })
      assert.equal(dense.kernelInUse().kernel, 'dense')
      const req = { batch: 3, inputs, phase: 'free' as const, start: { kind: 'random' as const, seed: 4 } }
      const a = await typed.relax(req), b = await dense.relax(req)
      assert.deepEqual([...b.settled], [1, 1, 1])
      assert.deepEqual([...a.settled], [1, 1, 1])
      for (let k = 0; k < a.states.length; k++) assert.ok(Math.abs(Math.sin((a.states[k] - b.states[k]) / 2)) < 1e-5, `${solver} node ${k}`)
      // the dense path reports the energy of its folded (compact) system; with a float32 TensorFlow.js
      // fold its fields, like its equilibria, carry float32 rounding (~1e-8 relative)
      const eTol = dense.kernelInUse().matmul === 'typed-array' ? 1e-9 : 1e-7
      for (let s = 0; s < 3; s++) assert.ok(Math.abs(a.energy[s] - b.energy[s]) < eTol * Math.max(1, Math.abs(a.energy[s])), `${solver} energy ${a.energy[s]} ${b.energy[s]}`)
      // and the nudged phase from there, with cost targets
      const nreq = { batch: 3, inputs, phase: 'nudged' as const, nudge: { kind: 'cost' as const, cost: 'log-cos' as const, beta: 0.5, targets: new Float64Array(12).fill(0.4) }, start: { kind: 'previous' as const } }
      const an = await typed.relax(nreq), bn = await dense.relax(nreq)
      for (let k = 0; k < an.states.length; k++) assert.ok(Math.abs(Math.sin((an.states[k] - bn.states[k]) / 2)) < 1e-5, `${solver} nudged node ${k}`)
      await typed.close(); await dense.close()
    }
  })

  it('envelope Cholesky solves like the band Cholesky (arrow and banded SPD matrices)', () => {
    const rng = new Rng(17)
    for (const kind of ['arrow', 'band'] as const) {
      const n = 30, b = kind === 'arrow' ? n - 1 : 4
      const A = new BandMatrix(n, b), E = new EnvelopeMatrix(n, b)
      for (let i = 0; i < n; i++) for (let j = Math.max(0, i - b); j < i; j++) {
        // arrow: only the last 3 rows couple to earlier nodes
        if (kind === 'arrow' && i < n - 3) continue
        const v = rng.uniform(-1, 1); A.add(i, j, v); E.add(i, j, v)
      }
      for (let i = 0; i < n; i++) { A.add(i, i, 2 * n); E.add(i, i, 2 * n) }
      assert.ok(A.cholesky() && E.cholesky())
      const r = Float64Array.from({ length: n }, () => rng.normal())
      const x1 = A.solveInPlace(r.slice()), x2 = E.solveInPlace(r.slice())
      for (let i = 0; i < n; i++) assert.ok(Math.abs(x1[i] - x2[i]) < 1e-12)
    }
  })

  it("'auto' picks the dense path only from DENSE_AUTO_MIN_EDGES couplings in one block", () => {
    const small = new SimXySubstrate(layeredNet([16, 32, 4], 1))
    assert.equal(small.kernelInUse().kernel, 'typed')
    const big = new SimXySubstrate(layeredNet([64, DENSE_AUTO_MIN_EDGES / 64, 4], 1))
    assert.equal(big.kernelInUse().kernel, 'dense')
    const lattice = new SimXySubstrate(buildNetwork({ kind: 'lattice', rows: 4, cols: 4 }, { inputs: 2, outputs: 2 }, 1), { kernel: 'dense' })
    assert.equal(lattice.kernelInUse().kernel, 'typed') // no dense block at all
  })

  it('leaks no tensors across relaxations and parameter updates', async () => {
    const tf = await import('@tensorflow/tfjs-core')
    const net = layeredNet([64, 64, 4], 3)
    const sub = new SimXySubstrate(net, { kernel: 'dense', solver: 'fire', maxEvals: 200 })
    const inputs = randomPhases(64, 2, 1)
    const req = { batch: 2, inputs, phase: 'free' as const, start: { kind: 'random' as const, seed: 1 } }
    await sub.relax(req)
    const t0 = tf.memory().numTensors
    for (let r = 0; r < 5; r++) {
      await sub.relax(req)
      await sub.updateParams({ weights: new Float64Array(net.edges.length).fill(1e-3) })
    }
    assert.equal(tf.memory().numTensors, t0)
    const force = new DenseXyForce(compileXy(net), tfmm)
    const phi = randomPhases(net.nodes, 3, 2), out = new Float64Array(phi.length)
    force.force(phi, 3, out)
    const t1 = tf.memory().numTensors
    for (let r = 0; r < 5; r++) force.force(phi, 3, out)
    assert.equal(tf.memory().numTensors, t1)
    force.dispose()
    await sub.close()
    assert.equal(tf.memory().numTensors, t0 - (tfmm.name === 'typed-array' ? 0 : 1)) // the substrate's fold weights went with close()
    void xyEnergy
  })

  it('backend selection: tfjs-node is missing here, auto falls back; none gives typed arrays', async () => {
    const auto = await initDenseBackend('auto')
    assert.ok(['node', 'wasm', 'cpu'].includes(auto.dense), `auto chose ${auto.dense}`)
    if (auto.dense !== 'node') assert.match(auto.fallback ?? '', /^node: /)
    const none = await initDenseBackend('none')
    assert.deepEqual(none, { dense: 'typed-array' })
    assert.equal(denseMatMul().name, 'typed-array')
    assert.throws(() => initDenseBackend('gpu'), /EQP_TF_BACKEND/)
    const wasm = await initDenseBackend('wasm')
    assert.equal(wasm.dense, 'wasm')
    assert.equal(typeof wasm.simd, 'boolean')
    assert.deepEqual(kernelInfo(), wasm)
  })
})

substrateContract('simulated XY layered 6-10-3, dense kernel', async () => new SimXySubstrate(layeredNet([6, 10, 3], 2), { kernel: 'dense' }))
