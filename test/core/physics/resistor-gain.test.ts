// Resistor networks with an input gain G and bidirectional amplifiers (voltage gain A forward,
// current gain 1/A back) between layers: the energy's stationary point is the circuit's operating
// point, EqProp stays an exact gradient estimator, gain 1 is the old arithmetic bit for bit, and the
// gains are validated where they enter (schema, builder helper, CLI).
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { SimResistorSubstrate } from '../../../drivers/sim/resistor.ts'
import { gainBoundaries, Network } from '../../../src/core/network/network.ts'
import { compileResistor, compileResistorFold, foldResistorInputs, outputIndex, relaxResistor, relaxResistorFolded, resistorBiasObservable, resistorCost, resistorEdgeObservable, resistorEnergy, resistorEnergyFolded, resistorEnergyGrad, type ResNet } from '../../../src/core/physics/resistor.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import { buildNetwork } from '../../../src/core/topology/index.ts'
import { EqpError } from '../../../src/errors.ts'
import { asModel, withResistorGain } from '../../../src/services/substrates.ts'
import { inProcessDaemon, tempDir } from '../../support/daemon.ts'

const SIZES = [2, 3, 3, 2]
/** node ids of each layer of the 2-3-3-2 net: inputs 0-1, hidden 2-4 (depth 1), 5-7 (depth 2), outputs 8-9 (depth 3) */
const LAYER = [[0, 1], [2, 3, 4], [5, 6, 7], [8, 9]]
const G = 2.5, A = [3, 0.6]

/** A 2-3-3-2 layered resistor net, signed input edges, conductances >= 0 between nodes, bias currents; with gains. */
function twoHidden(seed: number, gain?: Network['gain']): Network {
  const rng = new Rng(seed)
  const edges: [number, number][] = [], weights: number[] = []
  for (let l = 0; l < 3; l++) for (const i of LAYER[l]) for (const j of LAYER[l + 1]) { edges.push([i, j]); weights.push(l === 0 ? rng.uniform(-1, 1) : rng.uniform(0.1, 1)) }
  const h = Array.from({ length: 10 }, (_, i) => (i < 2 ? 0 : rng.uniform(-0.3, 0.3)))
  return Network.parse({ model: 'resistor', nodes: 10, edges, weights, inputs: [0, 1], outputs: [8, 9], bias: { h, psi: new Array<number>(10).fill(0) }, ...(gain ? { gain } : {}) })
}

const depthOf = (i: number) => LAYER.findIndex((l) => l.includes(i))

/**
 * Node i's Kirchhoff residual (A), written from the circuit rather than the energy: the current
 * leaving i through every branch, with sources at G sgn(w) x, an upstream node seen through its
 * amplifier as A V_p, and a downstream branch drawing I / A from i (the amplifier's backward current).
 */
function kcl(desc: Network, v: Float64Array, i: number, beta: number, y: Float64Array): number {
  const gain = desc.gain ?? {}, Gi = gain.input ?? 1, Al = gain.layers ?? []
  let r = 0.01 * v[i] - desc.bias!.h[i]
  desc.edges.forEach(([p, q], k) => {
    if (p !== i && q !== i) return
    const j = p === i ? q : p, w = desc.weights[k], g = Math.abs(w), dj = depthOf(j), di = depthOf(i)
    if (dj === 0) r += g * (v[i] - Gi * Math.sign(w) * v[j])
    else if (dj < di) r += g * (v[i] - Al[dj - 1] * v[j])
    else r += (g * (Al[di - 1] * v[i] - v[j])) / Al[di - 1]
  })
  const o = desc.outputs.indexOf(i)
  if (o >= 0) r += beta * (v[i] - y[o])
  return r
}

/** The relaxation of the gain-free code before amplifiers existed (copied verbatim), the bit-identity reference. */
function oldRelax(net: ResNet, v: Float64Array, tol: number, maxSweeps: number): number {
  const { n, w, b, clamped, diode, leak, adjStart, adjNode, adjEdge } = net
  let maxChange = Infinity, s = 0
  for (; s < maxSweeps && maxChange > tol; s++) {
    maxChange = 0
    for (let i = 0; i < n; i++) {
      if (clamped[i]) continue
      let num = b[i], den = leak
      for (let p = adjStart[i]; p < adjStart[i + 1]; p++) {
        const j = adjNode[p], k = adjEdge[p], g = Math.abs(w[k])
        num += g * (clamped[j] && w[k] < 0 ? -v[j] : v[j])
        den += g
      }
      let nv = num / den
      if (diode[i] > 0 && nv < 0) nv = 0
      else if (diode[i] < 0 && nv > 0) nv = 0
      const d = Math.abs(nv - v[i])
      if (d > maxChange) maxChange = d
      v[i] = nv
    }
  }
  return s
}

/** The old energy and edge observable (verbatim formulas): 1/2 |w| d^2 + leak and bias terms; 1/2 sgn(w) d^2. */
function oldEnergyAndObs(net: ResNet, v: Float64Array): { e: number; obs: number[] } {
  const end = (node: number, k: number) => (net.clamped[node] && net.w[k] < 0 ? -v[node] : v[node])
  let e = 0
  const obs: number[] = []
  for (let k = 0; k < net.m; k++) {
    const d = end(net.ei[k], k) - end(net.ej[k], k)
    e += 0.5 * Math.abs(net.w[k]) * d * d
    obs.push((net.w[k] < 0 ? -0.5 : 0.5) * d * d)
  }
  for (let i = 0; i < net.n; i++) if (!net.clamped[i]) e += 0.5 * net.leak * v[i] * v[i] - net.b[i] * v[i]
  return { e, obs }
}

describe('resistor amplifiers: physics', () => {
  const desc = twoHidden(19, { input: G, layers: A })
  const net = compileResistor(desc), out = outputIndex(net)
  const y = Float64Array.of(0.7, -0.4)
  const relaxed = (beta: number, nn: ResNet = net) => {
    const x = Float64Array.of(0.8, -0.5, 0, 0, 0, 0, 0, 0, 0, 0)
    assert.ok(relaxResistor(nn, x, beta, y, 0, null, 0, 1e-14, 200_000, out).settled)
    return x
  }

  it('compiles the scales s_d = prod_{k >= d} A_k^2 (1 at the outputs) and the end factors', () => {
    // depth 1: (3 * 0.6)^2, depth 2: 0.6^2, outputs 1
    for (const i of LAYER[1]) assert.ok(Math.abs(net.ns[i] - (3 * 0.6) ** 2) < 1e-12)
    for (const i of LAYER[2]) assert.ok(Math.abs(net.ns[i] - 0.36) < 1e-12)
    for (const i of LAYER[3]) assert.equal(net.ns[i], 1)
    // an input edge carries G at its input end, a 1 -> 2 edge A_1 at its upstream end
    assert.equal(net.ci[0], G)
    const k12 = desc.edges.findIndex(([p, q]) => p === 2 && q === 5)
    assert.equal(net.ci[k12], 3)
    assert.equal(net.cj[k12], 1)
  })

  it('relaxes to a state where every conducting node satisfies Kirchhoff with the amplifier currents (free and nudged)', () => {
    for (const beta of [0, 0.8]) {
      const v = relaxed(beta)
      let conducting = 0
      for (let i = 2; i < 10; i++) {
        const r = kcl(desc, v, i, beta, y), d = net.diode[i]
        if (d !== 0 && v[i] === 0) assert.ok(d * r >= -1e-10, `beta ${beta} node ${i}: the diode would have to source ${r} A`)
        else { conducting++; assert.ok(Math.abs(r) < 1e-10, `beta ${beta} node ${i}: residual ${r} A`) }
      }
      // the check means something only if some hidden nodes conduct through both amplifiers
      assert.ok(LAYER[1].some((i) => v[i] !== 0) && LAYER[2].some((i) => v[i] !== 0), 'a hidden layer is fully cut off')
      assert.ok(conducting >= 6, `only ${conducting} nodes conduct`)
    }
  })

  it('has dE/dV = 0 on conducting nodes at the relaxed state and dE/dV = s_i * KCL residual anywhere (finite differences)', () => {
    const h = 1e-6
    const fdAt = (v: Float64Array, i: number) => {
      const p = v.slice(), q = v.slice()
      p[i] += h; q[i] -= h
      return (resistorEnergy(net, p, 0) - resistorEnergy(net, q, 0)) / (2 * h)
    }
    const v = relaxed(0)
    for (let i = 2; i < 10; i++) if (net.diode[i] === 0 || v[i] !== 0) assert.ok(Math.abs(fdAt(v, i)) < 1e-8, `node ${i}: dE/dV ${fdAt(v, i)}`)
    const rng = new Rng(2)
    const u = Float64Array.from({ length: 10 }, () => rng.uniform(-1, 1))
    const g = resistorEnergyGrad(net, u, 0, new Float64Array(10))
    for (let i = 2; i < 10; i++) {
      const fd = fdAt(u, i)
      assert.ok(Math.abs(fd - g[i]) < 1e-7, `node ${i}: fd ${fd} vs ${g[i]}`)
      // the energy's gradient is the circuit's residual times the node's scale: same stationary points
      assert.ok(Math.abs(g[i] - net.ns[i] * kcl(desc, u, i, 0, y)) < 1e-12, `node ${i}: not s * residual`)
    }
  })

  it('gives symmetric EqProp estimates equal to the re-relaxed numerical gradient of the loss (gains != 1)', () => {
    const nn = compileResistor(desc)
    const loss = () => resistorCost(nn, relaxed(0, nn), 0, y, 0)
    const d = 1e-6
    const params: [string, Float64Array, number][] = []
    for (let k = 0; k < nn.m; k++) params.push(['w', nn.w, k])
    for (let i = 2; i < 10; i++) params.push(['b', nn.b, i])
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
    const beta = 0.001
    const op = obs(relaxed(beta, nn)), om = obs(relaxed(-beta, nn))
    const est = params.map((_, p) => (op[p] - om[p]) / (2 * beta))
    const scale = Math.max(...numeric.map(Math.abs))
    // gradients reach every layer (the test would pass vacuously on a cut-off net)
    const inLayer = (l: number) => params.map((p, q) => [p, q] as const).filter(([[name, , k]]) => name === 'w' && depthOf(desc.edges[k][0]) === l).map(([, q]) => Math.abs(numeric[q]))
    for (const l of [0, 1, 2]) assert.ok(Math.max(...inLayer(l)) > 1e-3 * scale, `no gradient into layer ${l}`)
    const err = Math.max(...est.map((e, p) => Math.abs(e - numeric[p])))
    // the nudge is a conductance, so V(beta) is rational in beta and the symmetric error is O(beta^2):
    // measured 5e-5 at beta 0.01, 5e-7 at beta 0.001 (scale 0.54)
    assert.ok(err < 1e-5 * scale, `EqProp off by ${err} (scale ${scale})`)
    // the amplifier scaling is needed: the physical drops without s (observable / s) give another answer
    const unscaled = params.map(([name, , k], p) => (name === 'w' ? est[p] / nn.es[k] : est[p] / nn.ns[k]))
    assert.ok(Math.max(...unscaled.map((e, p) => Math.abs(e - numeric[p]))) > 100 * err, 'the scale s made no difference')
  })

  it('folded sweeps give the unfolded voltages, sweep counts and energies with gains', () => {
    const fold = compileResistorFold(net)
    const rng = new Rng(5)
    const start = Float64Array.from({ length: 10 }, () => rng.uniform(-1, 1))
    start[0] = 0.8; start[1] = -0.5
    const ext = Float64Array.from({ length: 10 }, () => rng.uniform(-0.1, 0.1))
    for (const [beta, ee] of [[0, null], [0.6, null], [0, ext]] as const) {
      const a = start.slice(), b = start.slice()
      const sa = relaxResistor(net, a, beta, y, 0, ee, 0, 1e-12, 100_000, out)
      foldResistorInputs(net, fold, b)
      const sb = relaxResistorFolded(net, fold, b, beta, y, 0, ee, 0, 1e-12, 100_000, out)
      assert.equal(sb.sweeps, sa.sweeps)
      for (let i = 0; i < 10; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-12, `node ${i}: ${a[i]} vs ${b[i]}`)
      const ea = resistorEnergy(net, a, 0), eb = resistorEnergyFolded(net, fold, b)
      assert.ok(Math.abs(ea - eb) < 1e-12 * Math.max(1, Math.abs(ea)), `energy ${ea} vs ${eb}`)
    }
  })

  it('is the old arithmetic bit for bit with no gains or gains of 1 (relax, folded relax, energy, observables)', () => {
    const plain = compileResistor(twoHidden(19)), ones = compileResistor(twoHidden(19, { input: 1, layers: [1, 1] }))
    const rng = new Rng(7)
    const start = Float64Array.from({ length: 10 }, () => rng.uniform(-1, 1))
    const ref = start.slice(), refSweeps = oldRelax(plain, ref, 1e-12, 100_000)
    const ref0 = oldEnergyAndObs(plain, ref)
    for (const nn of [plain, ones]) {
      const a = start.slice(), b = start.slice(), fold = compileResistorFold(nn)
      assert.equal(relaxResistor(nn, a, 0, null, 0, null, 0, 1e-12, 100_000, outputIndex(nn)).sweeps, refSweeps)
      foldResistorInputs(nn, fold, b)
      relaxResistorFolded(nn, fold, b, 0, null, 0, null, 0, 1e-12, 100_000, outputIndex(nn))
      assert.deepEqual([...a], [...ref])
      assert.deepEqual([...b], [...ref])
      assert.equal(resistorEnergy(nn, a, 0), ref0.e)
      assert.deepEqual([...resistorEdgeObservable(nn, a, 0, new Float64Array(nn.m))], ref0.obs)
    }
    // and the gains do change the result (the comparison above is not of two identical code paths only)
    const g = compileResistor(desc), c = start.slice()
    relaxResistor(g, c, 0, null, 0, null, 0, 1e-12, 100_000, outputIndex(g))
    assert.ok(c.some((x, i) => Math.abs(x - ref[i]) > 1e-3))
  })
})

describe('resistor amplifiers: against attenuation', () => {
  it('inter-layer gain restores the output swing a deep passive network loses (layered 8-16-16-16-4)', async () => {
    const base = asModel(buildNetwork({ kind: 'layered', sizes: [8, 16, 16, 16, 4], weightStd: 0.5, bias: 'zero' }, { inputs: 8, outputs: 4 }, 1), 'resistor')
    const rng = new Rng(4)
    const B = 8, inputs = Float64Array.from({ length: B * 8 }, () => rng.uniform(-1, 1))
    const swing = async (net: Network) => {
      const r = await new SimResistorSubstrate(net).relax({ batch: B, inputs, phase: 'free', start: { kind: 'random', seed: 1 } })
      let s = 0
      for (let b = 0; b < B; b++) for (const o of net.outputs) s += Math.abs(r.states[b * net.nodes + o])
      return s / (B * net.outputs.length)
    }
    const passive = await swing(base), amplified = await swing(withResistorGain(base, { layers: [3] }))
    // measured: about 0.012 V passive, several times more with A = 3 at each of the 3 boundaries
    assert.ok(passive < 0.1, `passive swing ${passive} V`)
    assert.ok(amplified > 4 * passive, `amplified swing ${amplified} V vs passive ${passive} V`)
  })
})

describe('resistor amplifiers: validation', () => {
  const layered = asModel(buildNetwork({ kind: 'layered', sizes: [3, 4, 4, 2], weightStd: 0.5, bias: 'zero' }, { inputs: 3, outputs: 2 }, 2), 'resistor')
  const badInput = (f: () => unknown, field: string) => assert.throws(f, (e: unknown) => e instanceof EqpError && e.code === 'EQP_ERR_BAD_INPUT' && e.message.startsWith(field), `expected EQP_ERR_BAD_INPUT naming ${field}`)

  it('counts one boundary between each pair of consecutive free depths', () => {
    assert.equal(gainBoundaries(layered), 2)
    assert.equal(gainBoundaries(asModel(buildNetwork({ kind: 'layered', sizes: [3, 4, 2], weightStd: 0.5, bias: 'zero' }, { inputs: 3, outputs: 2 }, 2), 'resistor')), 1)
  })

  it('refuses gains on another model, gains <= 0 or NaN, a wrong count, and outputs behind different gains (schema)', () => {
    const issue = (net: unknown) => { const r = Network.safeParse(net); return r.success ? '' : r.error.issues.map((i) => i.path.join('.')).join(',') }
    assert.equal(issue({ ...layered, gain: { input: 2, layers: [2, 3] } }), '')
    assert.equal(issue({ ...layered, model: 'xy', gain: { input: 2 } }), 'gain')
    assert.equal(issue({ ...layered, gain: { input: 0 } }), 'gain.input')
    assert.equal(issue({ ...layered, gain: { input: Number.NaN } }), 'gain.input')
    assert.equal(issue({ ...layered, gain: { layers: [2, -1] } }), 'gain.layers.1')
    assert.equal(issue({ ...layered, gain: { layers: [2] } }), 'gain.layers')
    // output 0 at depth 1, output 1 at depth 2: one amplifier between them
    const skew = { model: 'resistor', nodes: 4, edges: [[0, 1], [1, 2], [1, 3]], weights: [1, 1, 1], inputs: [0], outputs: [1, 2] }
    assert.equal(issue({ ...skew, edges: [[0, 1], [1, 2]], weights: [1, 1], nodes: 3, gain: { layers: [2] } }), 'gain.layers')
    assert.equal(issue({ ...skew, edges: [[0, 1], [1, 2]], weights: [1, 1], nodes: 3, gain: { layers: [1] } }), '')
  })

  it('withResistorGain expands one layer gain to every boundary and names the field on bad values', () => {
    assert.deepEqual(withResistorGain(layered, { layers: [4] }).gain, { layers: [4, 4] })
    assert.deepEqual(withResistorGain(layered, { input: 8, layers: [2, 3] }).gain, { input: 8, layers: [2, 3] })
    assert.equal(withResistorGain(layered, {}), layered)
    badInput(() => withResistorGain(layered, { layers: [2, 3, 4] }), 'gain.layers')
    badInput(() => withResistorGain(layered, { input: -1 }), 'gain.input')
    badInput(() => withResistorGain({ ...layered, model: 'xy' }, { input: 2 }), 'gain.input')
    badInput(() => withResistorGain(layered, { layers: [Number.NaN] }, { input: '--input-gain', layers: '--layer-gain' }), '--layer-gain')
  })

  it('train --input-gain / --layer-gain: bad values exit with code 2 and EQP_ERR_BAD_INPUT naming the flag', async () => {
    const BIN = fileURLToPath(new URL('../../../bin/eqprop-hil.js', import.meta.url))
    const run = (args: string[]) => new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [BIN, 'train', '--task', 'xor', '--network', 'layered:2,4,4,1', '--epochs', '1', '--out', '/dev/null', ...args], { timeout: 60_000 }, (err, _o, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr })
      })
    })
    const cases: [string[], string][] = [
      [['--substrate', 'resistor', '--input-gain', '0'], '--input-gain'],
      [['--substrate', 'resistor', '--input-gain', 'NaN'], '--input-gain'],
      [['--substrate', 'resistor', '--layer-gain', '2,2,2'], '--layer-gain'],
      [['--substrate', 'resistor', '--layer-gain', '2,-1'], '--layer-gain'],
      [['--input-gain', '2'], '--input-gain'],
    ]
    for (const [args, flag] of cases) {
      const r = await run(args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, new RegExp(`EQP_ERR_BAD_INPUT: ${flag}`), args.join(' '))
    }
    const ok = await run(['--substrate', 'resistor', '--input-gain', '4', '--layer-gain', '2,3', '--json'])
    assert.equal(ok.code, 0, ok.stderr)
  })

  it('the daemon takes gain on a sim-resistor device: expands one layer gain, keeps it in the description, 400 on a wrong count', async () => {
    const d = await inProcessDaemon({ dataDir: tempDir('resistor-gain') })
    try {
      const post = (payload: object) => d.app.inject({ method: 'POST', url: '/devices', payload })
      const r = await post({ kind: 'sim-resistor', builder: 'layered:2,4,4,1', io: { inputs: 2, outputs: 1 }, gain: { input: 4, layers: [2] } })
      assert.equal(r.statusCode, 201, r.body)
      assert.deepEqual(r.json().description.gain, { input: 4, layers: [2, 2] })
      const relax = await d.app.inject({ method: 'POST', url: `/devices/${r.json().id}/relax`, payload: { inputs: [[1, -1]] } })
      assert.equal(relax.statusCode, 200, relax.body)
      const bad = await post({ kind: 'sim-resistor', builder: 'layered:2,4,4,1', io: { inputs: 2, outputs: 1 }, gain: { layers: [2, 2, 2] } })
      assert.equal(bad.statusCode, 400)
      assert.match(bad.body, /EQP_ERR_BAD_INPUT/)
      assert.match(bad.body, /gain\.layers/)
      assert.equal((await post({ kind: 'sim-resistor', builder: 'layered:2,4,1', io: { inputs: 2, outputs: 1 }, gain: { input: 0 } })).statusCode, 400)
    } finally {
      await d.close()
    }
  })
})
