import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileXy, refreshBias, xyEdgeObservable, xyEnergy, xyEnergyGrad, type XyNet } from '../../../src/core/physics/xy.ts'
import { XySystem } from '../../../src/core/physics/xy-system.ts'
import { sleb, uleb } from '../../../src/core/wasm/emit.ts'
import { SinCosWasm } from '../../../src/core/physics/xy-wasm.ts'
import { sinCosInto } from '../../../src/core/physics/sincos.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import { buildNetwork, parseBuilderString } from '../../../src/core/topology/index.ts'

// The WebAssembly SIMD force kernel must give the JS loops' forces to the last bit (same constants, same
// operations in the same order), on every quadrant, past the cheap reduction's range, for odd node
// counts (the SIMD pass runs into padding) and after couplings and bias change in place.
const build = (spec: string, seed = 1) => buildNetwork(parseBuilderString(spec), { inputs: 2, outputs: 1 }, seed)

/** Phase vectors of B samples: mostly in (-pi, pi), some wound up, and the awkward values. */
function phases(n: number, B: number, seed: number): Float64Array {
  const rng = new Rng(seed)
  const phi = Float64Array.from({ length: B * n }, (_, i) => (i % 5 === 0 ? rng.uniform(-300, 300) : rng.uniform(-Math.PI, Math.PI)))
  const special = [0, -0, Math.PI / 4, -Math.PI / 4, 3 * Math.PI / 4 + 1e-15, Math.PI, -Math.PI / 2, 2.5e5, -3e7, 1e300, NaN, Infinity]
  special.forEach((v, k) => { phi[(7 * k) % phi.length] = v })
  return phi
}

const sameBits = (a: Float64Array, b: Float64Array, what: string) => {
  assert.equal(a.length, b.length)
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`)
}

function compareForces(wasm: XyNet, js: XyNet, phi: Float64Array, B: number): void {
  const n = js.n, fa = new Float64Array(n), fb = new Float64Array(n)
  for (let s = 0; s < B; s++) {
    xyEnergyGrad(wasm, phi, s * n, fa)
    xyEnergyGrad(js, phi, s * n, fb)
    sameBits(fa, fb, `force of sample ${s}`)
    // the trig cache is left behind for callers that read it (the dense system does)
    sameBits(wasm.cs, js.cs, 'cos cache')
    sameBits(wasm.sn, js.sn, 'sin cache')
    assert.ok(Object.is(xyEnergy(wasm, phi, s * n), xyEnergy(js, phi, s * n)), 'energy')
  }
}

describe('XY WebAssembly SIMD kernel', () => {
  it('is what compileXy builds on this engine (Node 20 has wasm SIMD)', () => {
    const net = compileXy(build('lattice:5x5'))
    assert.ok(net.kernel, 'no wasm kernel')
    assert.equal(compileXy(build('lattice:5x5'), 'js').kernel, undefined)
  })

  for (const spec of ['lattice:9x9:bias=random', 'lattice:5x5:in=1,1;1,3:out=3,2', 'all-to-all:7', 'layered:2,5,1']) {
    it(`gives the JS loops' forces bit for bit on ${spec}`, () => {
      const g = build(spec), wasm = compileXy(g), js = compileXy(g, 'js')
      assert.ok(wasm.kernel)
      compareForces(wasm, js, phases(js.n, 6, 2), 6)
    })
  }

  it('covers both bias modes and an edge list with no edges', () => {
    const g = build('lattice:4x5:bias=random'), wasm = compileXy(g), js = compileXy(g, 'js')
    assert.ok(js.hasBias)
    compareForces(wasm, js, phases(js.n, 2, 3), 2)
    for (const net of [wasm, js]) { net.h.fill(0); refreshBias(net) }
    assert.equal(js.hasBias, false)
    compareForces(wasm, js, phases(js.n, 2, 4), 2)
    const lone = { ...g, edges: [], weights: [] }
    compareForces(compileXy(lone), compileXy(lone, 'js'), phases(g.nodes, 2, 5), 2)
  })

  it('sees couplings and bias changed in place through the net arrays', () => {
    const g = build('lattice:6x6:bias=random'), wasm = compileXy(g), js = compileXy(g, 'js')
    const rng = new Rng(9)
    const w = Float64Array.from({ length: js.m }, () => rng.uniform(-2, 2))
    for (const net of [wasm, js]) {
      net.w.set(w)
      net.h[3] = 0.7; net.psi[3] = 1.1
      refreshBias(net)
    }
    compareForces(wasm, js, phases(js.n, 3, 6), 3)
    const oa = new Float64Array(js.m), ob = new Float64Array(js.m)
    const phi = phases(js.n, 1, 7)
    sameBits(xyEdgeObservable(wasm, phi, 0, oa), xyEdgeObservable(js, phi, 0, ob), 'edge observable')
  })

  it('writes into a longer output array and reads a phase vector at an offset', () => {
    const g = build('lattice:3x3:bias=random'), wasm = compileXy(g), js = compileXy(g, 'js')
    const phi = phases(js.n, 3, 8)
    const fa = new Float64Array(js.n + 4).fill(5), fb = new Float64Array(js.n + 4).fill(5)
    xyEnergyGrad(wasm, phi, js.n, fa)
    xyEnergyGrad(js, phi, js.n, fb)
    sameBits(fa, fb, 'force')
    assert.equal(fa[js.n], 5)
  })
})

describe('XySystem.force through the fused wasm call', () => {
  // free phase, frozen torque (ext at an offset), the cost nudge (JS path) and a slipping output
  const g = build('lattice:5x5:in=1,1;1,3:out=3,2:bias=random'), wasm = new XySystem(compileXy(g)), js = new XySystem(compileXy(g, 'js'))
  const n = g.nodes, rng = new Rng(11)
  const ext = Float64Array.from({ length: 3 * n }, () => rng.uniform(-0.5, 0.5))
  const tau = Float64Array.of(0.3)
  const cases: [string, (s: XySystem) => void][] = [
    ['free phase', (s) => s.setFree()],
    ['frozen torque at an offset', (s) => { s.setFree(); s.ext = ext; s.extOff = n }],
    ['cost nudge', (s) => { s.setFree(); s.beta = 0.5; s.tau = tau; s.tauOff = 0 }],
  ]
  for (const [name, setup] of cases) {
    it(`gives the JS forces and max |force| bit for bit: ${name}`, () => {
      setup(wasm); setup(js)
      const phi = phases(n, 4, 12)
      const x = new Float64Array(n), fa = new Float64Array(n), fb = new Float64Array(n)
      for (let s = 0; s < 4; s++) {
        x.set(phi.subarray(s * n, s * n + n))
        x[g.outputs[0]] = 0.1 * s // keep the output off the nudge's singularity
        wasm.markSlipReference(x); js.markSlipReference(x)
        const ra = wasm.force(x, fa), rb = js.force(x, fb)
        assert.ok(Object.is(ra, rb), `max |force| ${ra} vs ${rb}`)
        sameBits(fa, fb, 'force')
        for (const i of g.inputs) assert.equal(fa[i], 0, 'a clamped node feels no force')
      }
    })
  }

  it('reports a slipping output as Infinity, as the JS path does', () => {
    for (const s of [wasm, js]) { s.setFree(); s.ext = ext; s.extOff = 0 }
    const x = phases(n, 1, 13).map((v) => v % 1)
    wasm.markSlipReference(x); js.markSlipReference(x)
    x[g.outputs[0]] += 4
    assert.equal(wasm.force(x, new Float64Array(n)), Infinity)
    assert.equal(js.force(x, new Float64Array(n)), Infinity)
  })
})

describe('wasm emitter', () => {
  it('encodes LEB128 as the binary format defines it', () => {
    assert.deepEqual(uleb(0), [0])
    assert.deepEqual(uleb(624485), [0xe5, 0x8e, 0x26])
    assert.deepEqual(sleb(-1), [0x7f])
    assert.deepEqual(sleb(63), [0x3f])
    assert.deepEqual(sleb(64), [0xc0, 0x00])
    assert.deepEqual(sleb(-123456), [0xc0, 0xbb, 0x78])
  })
})

describe('XyWasmKernel trig cache', () => {
  it('reuses cos/sin only for the very phases they were computed from: a phase one ulp away, -0 for 0 or a NaN gets its own', () => {
    const wasm = compileXy(build('lattice:5x5'))
    const js = compileXy(build('lattice:5x5'), 'js')
    assert.ok(wasm.kernel, 'this engine has WebAssembly SIMD')
    const n = wasm.n, f = new Float64Array(n), hW = new Float64Array(wasm.m), hJ = new Float64Array(js.m)
    const rng = new Rng(9)
    const x = Float64Array.from({ length: n }, () => rng.uniform(-Math.PI, Math.PI))
    x[3] = 0
    const variants: [string, (v: Float64Array) => void][] = [
      ['the same phases', () => {}],
      ['one phase moved by one ulp', (v) => { v[7] = v[7] + Math.abs(v[7]) * Number.EPSILON }],
      ['0 turned into -0', (v) => { v[3] = -0 }],
      ['a NaN', (v) => { v[5] = NaN }],
    ]
    for (const [what, change] of variants) {
      const y = x.slice()
      change(y)
      // a force evaluation at x fills the cache; the observable at y must be y's, whatever the cache held
      xyEnergyGrad(wasm, x, 0, f)
      xyEdgeObservable(wasm, y, 0, hW)
      xyEdgeObservable(js, y, 0, hJ)
      sameBits(hW, hJ, `${what}: edge observable`)
      sameBits(wasm.cs, js.cs, `${what}: cos cache`)
      sameBits(wasm.sn, js.sn, `${what}: sin cache`)
    }
  })
})


describe('SinCosWasm (the trial phases of the OIM hidden-node Newton)', () => {
  it('gives sinCosInto\'s bits for counts that are not a multiple of the pad, special values included', () => {
    const trig = SinCosWasm.create(203)
    assert.ok(trig, 'WebAssembly SIMD is available in this Node')
    const phi = phases(203, 1, 9)
    for (const n of [1, 3, 4, 5, 202, 203]) {
      trig.phi.set(phi.subarray(0, n))
      trig.run(n)
      const cs = new Float64Array(n), sn = new Float64Array(n)
      sinCosInto(phi, 0, n, cs, sn)
      sameBits(trig.cs.slice(0, n), cs, `cos, n = ${n}`)
      sameBits(trig.sn.slice(0, n), sn, `sin, n = ${n}`)
    }
  })
})
