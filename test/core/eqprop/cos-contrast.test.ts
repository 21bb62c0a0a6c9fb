// The batched coupling contrast: loops and float32 matrix products give the same gradient (to
// float32 rounding), and the loops give the per-sample sum to the bit.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { initDenseBackend, denseMatMul } from '../../../drivers/sim/tf-backend.ts'
import { accumulateContrast, createContrastScratch } from '../../../src/core/eqprop/contrast.ts'
import { CONTRAST_MATMUL_MIN_EDGES } from '../../../src/core/eqprop/cos-contrast.ts'
import { compileXy, xyEdgeObservable } from '../../../src/core/physics/xy.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import { buildNetwork, parseBuilderString } from '../../../src/core/topology/index.ts'
import { asModel } from '../../../src/services/substrates.ts'
import { enginePhysics } from '../../../src/engine/physics.ts'

const spec = 'layered:64,80,5'
const network = buildNetwork(parseBuilderString(spec), { inputs: 64, outputs: 5 }, 3)
const B = 9
const rng = new Rng(5)
const states = Float64Array.from({ length: B * network.nodes }, () => rng.uniform(-Math.PI, Math.PI))
const keep = Uint8Array.from({ length: B }, (_, b) => (b === 4 ? 0 : 1))

describe('batched coupling contrast', () => {
  it('loops equal the per-sample observable sum to the bit (kept samples only)', () => {
    const net = compileXy(network)
    assert.ok(64 * 80 >= CONTRAST_MATMUL_MIN_EDGES) // the block qualifies for products
    const g = new Float64Array(net.m), ref = new Float64Array(net.m), obs = new Float64Array(net.m)
    accumulateContrast(net, states, B, -0.3, false, g, createContrastScratch(net), keep)
    for (let b = 0; b < B; b++) {
      if (!keep[b]) continue
      xyEdgeObservable(net, states, b * net.n, obs)
      for (let k = 0; k < net.m; k++) ref[k] += -0.3 * obs[k]
    }
    assert.deepEqual([...g], [...ref])
  })

  it('float32 products agree with the loops to float32 rounding, on XY and on the OIM', async () => {
    const info = await initDenseBackend('wasm')
    const mm = denseMatMul()
    assert.equal(mm.name, info.dense)
    for (const net of [network, asModel(network, 'oim')]) {
      const P = net.edges.length + 2 * net.nodes
      const loops = new Float64Array(P), prods = new Float64Array(P)
      enginePhysics(net).accumulate(states, B, 0.7, true, loops, keep)
      enginePhysics(net, { matmul: mm }).accumulate(states, B, 0.7, true, prods, keep)
      let err = 0, scale = 0
      for (let k = 0; k < P; k++) { err = Math.max(err, Math.abs(loops[k] - prods[k])); scale = Math.max(scale, Math.abs(loops[k])) }
      assert.ok(scale > 1, `${net.model}: a gradient to compare`)
      // a float32 backend rounds; the typed-array fallback (no WASM here) must match exactly
      assert.ok(mm.float32 ? err < 1e-5 * scale && err > 0 : err === 0, `${net.model} ${mm.name}: ${err}`)
    }
  })

  it('several phases at once: the loops give the bits of one call per phase; a shared input side takes one float32 product, closer to the Float64 contrast', async () => {
    await initDenseBackend('wasm')
    const mm = denseMatMul()
    for (const net of [network, asModel(network, 'oim')]) {
      const n = net.nodes, P = net.edges.length + 2 * n
      // a nudged phase: the same samples, every free node moved a little, the clamped inputs as they were
      const nudged = states.slice()
      const clamped = new Set(net.inputs)
      for (let b = 0; b < B; b++) for (let i = 0; i < n; i++) if (!clamped.has(i)) nudged[b * n + i] += 0.01 * Math.sin(3 * i + b)
      const terms = [{ states, c: -2 }, { states: nudged, c: 2 }]
      const phys = enginePhysics(net), fast = enginePhysics(net, { matmul: mm })
      const sep = new Float64Array(P), one = new Float64Array(P)
      for (const t of terms) phys.accumulate(t.states, B, t.c, true, sep, keep)
      phys.accumulatePhases!(terms, B, true, one, keep)
      assert.deepEqual([...one], [...sep], `${net.model}: loops`)
      const sepF = new Float64Array(P), oneF = new Float64Array(P)
      for (const t of terms) fast.accumulate(t.states, B, t.c, true, sepF, keep)
      fast.accumulatePhases!(terms, B, true, oneF, keep)
      let errSep = 0, errOne = 0, scale = 0
      for (let k = 0; k < P; k++) { errSep = Math.max(errSep, Math.abs(sepF[k] - sep[k])); errOne = Math.max(errOne, Math.abs(oneF[k] - sep[k])); scale = Math.max(scale, Math.abs(sep[k])) }
      assert.ok(scale > 0.01, `${net.model}: a contrast to compare`)
      if (mm.float32) {
        // the separate products round each phase's O(B) terms; the shared one rounds their O(B * 0.01) difference
        assert.ok(errOne < 1e-5 * scale, `${net.model}: shared product error ${errOne} (scale ${scale})`)
        assert.ok(errOne < errSep, `${net.model}: shared ${errOne} vs separate ${errSep}`)
      } else assert.equal(errOne, 0)
    }
  })
})
