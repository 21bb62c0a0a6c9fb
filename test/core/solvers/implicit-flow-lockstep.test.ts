import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SimXySubstrate } from '../../../drivers/sim/xy.ts'
import type { Network } from '../../../src/core/network/network.ts'
import { compileXy, type XyNet } from '../../../src/core/physics/xy.ts'
import { XySystem } from '../../../src/core/physics/xy-system.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import { BandLockstep } from '../../../src/core/solvers/band-lockstep-wasm.ts'
import { ImplicitFlowBatch } from '../../../src/core/solvers/implicit-flow-lockstep.ts'
import { BandMatrix, createRelaxWorkspace, DEFAULT_SOLVE, relaxImplicitFlow, type SolveStats } from '../../../src/core/solvers/index.ts'
import { buildNetwork, parseBuilderString } from '../../../src/core/topology/index.ts'

const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)
const sameBits = (a: Float64Array, b: Float64Array) => bits(a).equals(bits(b))

/** A random symmetric band matrix; diagonally dominant (positive definite) unless `indefinite`. */
function randomBand(n: number, b: number, rng: Rng, indefinite: boolean): BandMatrix {
  const H = new BandMatrix(n, b)
  for (let i = 0; i < n; i++) {
    for (let j = Math.max(0, i - b); j < i; j++) H.add(i, j, rng.uniform(-1, 1))
    H.add(i, i, indefinite && i === n - 3 ? -0.5 : 2 * b + rng.uniform(0, 1))
  }
  return H
}

type Nudge = { kind: 'free' } | { kind: 'cost'; beta: number } | { kind: 'torque'; size: number }

/** B systems over one net with the nudge, each set up as SimXySubstrate sets up its sample b. */
function systems(net: XyNet, B: number, nudge: Nudge, starts: Float64Array[], rng: Rng): XySystem[] {
  const nOut = net.outputs.length
  const tau = Float64Array.from({ length: B * nOut }, () => rng.uniform(-1.5, 1.5))
  const ext = new Float64Array(B * net.n)
  if (nudge.kind === 'torque') for (let q = 0; q < B; q++) for (const o of net.outputs) ext[q * net.n + o] = rng.uniform(-nudge.size, nudge.size)
  return starts.map((x, q) => {
    const s = new XySystem(net)
    if (nudge.kind === 'cost') { s.beta = nudge.beta; s.tau = tau; s.tauOff = q * nOut }
    if (nudge.kind === 'torque') { s.ext = ext; s.extOff = q * net.n; s.markSlipReference(x) }
    return s
  })
}

/** Relaxes B random starts in one batch and one by one; asserts the same bits, force evaluations and outcomes. */
function compareBatch(desc: Network, B: number, nudge: Nudge, seed: number): SolveStats[] {
  const net = compileXy(desc)
  const rng = new Rng(seed)
  const starts = Array.from({ length: B }, () => {
    const x = Float64Array.from({ length: net.n }, () => rng.uniform(-Math.PI, Math.PI))
    for (const i of net.inputs) x[i] = rng.uniform(-1.5, 1.5)
    return x
  })
  const sysA = systems(net, B, nudge, starts, new Rng(seed + 1)), sysB = systems(net, B, nudge, starts, new Rng(seed + 1))
  const o = DEFAULT_SOLVE
  const ws = createRelaxWorkspace(net.n, sysA[0].bandwidth)
  const alone = starts.map((x0, q) => { const x = x0.slice(); return { x, st: relaxImplicitFlow(sysA[q], x, o, ws) } })
  const batch = ImplicitFlowBatch.create(net.n, sysB[0].bandwidth)
  assert.ok(batch, 'WebAssembly SIMD is available under Node')
  const xs = starts.map((x) => x.slice()), stats: SolveStats[] = []
  batch.relax(sysB, xs, o, stats)
  for (let q = 0; q < B; q++) {
    const a = alone[q].st, b = stats[q]
    assert.ok(sameBits(alone[q].x, xs[q]), `sample ${q}: states differ`)
    assert.deepEqual([b.settled, b.forceEvals, b.steps, b.residual], [a.settled, a.forceEvals, a.steps, a.residual], `sample ${q}`)
    // the batch may make one more Hessian per step it rejects (see FlowRun), never fewer than alone
    assert.ok(b.hessianEvals >= a.hessianEvals, `sample ${q}: ${b.hessianEvals} < ${a.hessianEvals} Hessians`)
    assert.equal(sysB[q].escapeInForce, true, 'escapeInForce restored')
  }
  return stats
}

describe('BandLockstep (wasm band Cholesky over pairs of systems)', () => {
  it('factors and solves each slot to the bits of BandMatrix, keeps unmarked slots\' factors, flags indefinite ones', () => {
    const n = 25, b = 5, S = 5, rng = new Rng(3)
    const band = BandLockstep.create(n, b, S)
    assert.ok(band)
    const mats = Array.from({ length: S }, (_, s) => randomBand(n, b, rng, s === 2))
    const rhs = Array.from({ length: S }, () => Float64Array.from({ length: n }, () => rng.uniform(-1, 1)))
    const shift = 0.37
    const ref = mats.map((H, s) => {
      const F = new BandMatrix(n, b)
      F.a.set(H.a)
      for (let i = 0; i < n; i++) F.a[i * F.w + b] += shift
      const ok = F.cholesky()
      return { ok, z: ok ? F.solveInPlace(rhs[s].slice()) : null }
    })
    assert.deepEqual(ref.map((r) => r.ok), [true, true, false, true, true], 'slot 2 is indefinite')
    for (let s = 0; s < S; s++) band.setMatrix(s, mats[s].a, shift)
    band.factor()
    for (let s = 0; s < S; s++) assert.equal(band.ok(s), ref[s].ok, `slot ${s}`)
    for (const s of [0, 1, 3, 4]) band.setRhs(s, rhs[s], 0)
    band.solve()
    for (const s of [0, 1, 3, 4]) {
      const z = new Float64Array(n)
      band.getRhs(s, z, 0)
      assert.ok(sameBits(z, ref[s].z!), `slot ${s}`)
    }
    // refactor slot 1 only (its lane partner 0 is not marked): slot 0 keeps its factor
    band.setMatrix(1, mats[4].a, shift)
    band.factor()
    band.setRhs(0, rhs[0], 0)
    band.setRhs(1, rhs[4], 0)
    band.solve()
    const z0 = new Float64Array(n), z1 = new Float64Array(n)
    band.getRhs(0, z0, 0)
    band.getRhs(1, z1, 0)
    assert.ok(sameBits(z0, ref[0].z!), 'slot 0 unchanged by its partner\'s factor')
    assert.ok(sameBits(z1, ref[4].z!), 'slot 1 has matrix 4\'s factor')
  })
})

describe('ImplicitFlowBatch (implicit flow over a batch in lockstep)', () => {
  const lattice5 = buildNetwork(parseBuilderString('lattice:5x5:in=1,1;1,3:out=3,2'), { inputs: 2, outputs: 1 }, 0)
  const lattice6 = buildNetwork({ kind: 'lattice', rows: 6, cols: 6, weightStd: 1, bias: 'random' }, { inputs: 2, outputs: 2 }, 1)

  it('free phase, 20 starts on the 5x5 lattice: the same bits as one by one', () => {
    const st = compareBatch(lattice5, 20, { kind: 'free' }, 11)
    assert.ok(st.every((s) => s.settled))
  })

  it('cost nudge, 7 starts (an unpaired lane) on a 6x6 lattice with bias: the same bits', () => {
    compareBatch(lattice6, 7, { kind: 'cost', beta: 0.5 }, 12)
  })

  it('frozen torques large enough to slip some outputs: the same bits, slips and all', () => {
    const st = compareBatch(lattice5, 20, { kind: 'torque', size: 3 }, 13)
    const slipped = st.filter((s) => !s.settled).length
    assert.ok(slipped > 0 && slipped < 20, `${slipped} of 20 slipped`)
  })
})

describe('SimXySubstrate with implicit flow: lockstep batch = per-sample loop', () => {
  it('free and frozen-nudge relaxations of a batch of 20 end in the same bits', async () => {
    const net = buildNetwork(parseBuilderString('lattice:5x5:in=1,1;1,3:out=3,2'), { inputs: 2, outputs: 1 }, 0)
    const a = new SimXySubstrate(net), b = new SimXySubstrate(net, { batching: 'per-sample' })
    const B = 20, rng = new Rng(5)
    const inputs = Float64Array.from({ length: 2 * B }, () => rng.uniform(-1.5, 1.5))
    const fa = await a.relax({ batch: B, inputs, phase: 'free', start: { kind: 'random', seed: 9 } })
    const fb = await b.relax({ batch: B, inputs, phase: 'free', start: { kind: 'random', seed: 9 } })
    assert.ok(sameBits(fa.states, fb.states) && sameBits(fa.energy, fb.energy) && sameBits(fa.steps, fb.steps))
    assert.deepEqual(fa.settled, fb.settled)
    const force = new Float64Array(B * 25)
    for (let q = 0; q < B; q++) force[q * 25 + net.outputs[0]] = rng.uniform(-2, 2)
    const nudge = { kind: 'force' as const, force }
    const na = await a.relax({ batch: B, inputs, phase: 'nudged', nudge, start: { kind: 'given', states: fa.states } })
    const nb = await b.relax({ batch: B, inputs, phase: 'nudged', nudge, start: { kind: 'given', states: fb.states } })
    assert.ok(sameBits(na.states, nb.states) && sameBits(na.steps, nb.steps))
    assert.deepEqual(na.settled, nb.settled)
    assert.equal(a.forceEvals, b.forceEvals)
    await a.close()
    await b.close()
  })
})
