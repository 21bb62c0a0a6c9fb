// What the engine needs to know about a substrate model, one entry per model in MODEL_NAMES: how
// dataset values become device inputs and targets, the dE/dtheta observables of each trainable family
// ([couplings (m) | h (n) | second family (n)]: psi for XY, S for OIM), the nudge the device is asked
// for, and the readout. Every entry computes on states a device returned, with the same src/core
// physics module its simulator relaxes with.
import type { Nudge, Params } from '../../drivers/substrate.ts'
import { predictClass, targetClass } from '../core/data/readout.ts'
import { accumulateRows, accumulateRowsPhases, createContrastScratch, frozenNudgeForce, xyRowObservables, type ContrastScratch, type ContrastTerm, type RowObservables } from '../core/eqprop/contrast.ts'
import { contrastBlocks } from '../core/eqprop/cos-contrast.ts'
import type { DenseMatMul } from '../core/physics/dense-xy.ts'
import type { ModelName, Network } from '../core/network/network.ts'
import { compileOim, oimAddCostGrad, oimCost, oimNodeObservable, oimPredict, oimVectorsInto, type OimNet } from '../core/physics/oim.ts'
import { compileIsing, isingCost, isingGroupMeans, isingDistance, isingEdgeObservable, isingNodeObservable, isingNudgeFields, isingPredict, type IsingNet } from '../core/physics/ising.ts'
import { compileResistor, resistorCost, resistorPredict, type ResNet } from '../core/physics/resistor.ts'
import { createResistorContrast } from '../core/eqprop/resistor-contrast.ts'
import { compileXy, refreshBias, xyCost, xyDistance, type XyNet } from '../core/physics/xy.ts'

export interface EnginePhysics {
  readonly model: ModelName
  readonly n: number
  readonly m: number
  readonly nOut: number
  /** live parameter arrays the gradients refer to: couplings, h, and the second per-node family */
  readonly w: Float64Array
  readonly h: Float64Array
  readonly second: Float64Array
  /** whether the second family is clipped to the device's bias range (S is, psi is an angle) */
  readonly secondClipped: boolean
  /** dataset rows (phase encoded) as device inputs / targets; XY passes them through unchanged */
  encodeInputs(x: Float64Array): Float64Array
  encodeTargets(y: Float64Array): Float64Array
  /** g += c * sum_b dE/dtheta(states_b) over samples with keep[b] (all when null) */
  accumulate(states: Float64Array, B: number, c: number, withBias: boolean, g: Float64Array, keep: Uint8Array | null): void
  /** optional: accumulate() of several phases of one batch in one pass (shared matrix products) */
  accumulatePhases?(terms: readonly ContrastTerm[], B: number, withBias: boolean, g: Float64Array, keep: Uint8Array | null): void
  /** the cost nudge at strength beta toward encoded targets */
  costNudge(beta: number, targets: Float64Array): Nudge
  /** -beta dC/dphi at the free states, held fixed: [B, n] */
  frozenForce(free: Float64Array, targets: Float64Array, B: number, beta: number): Float64Array
  distance(states: Float64Array, off: number, targets: Float64Array, tOff: number): number
  cost(states: Float64Array, off: number, targets: Float64Array, tOff: number): number
  predict(states: Float64Array, off: number): number
  targetClass(targets: Float64Array, off: number): number
  /** the outputs as values in [-1, 1] (XY sin phi, OIM cos phi, resistor V, Ising spin means) into out[0..nOut): regression and pattern metrics */
  outputValues(states: Float64Array, off: number, out: Float64Array): Float64Array
  /** encoded targets as the same values (XY sin tau; value models' targets already are) into out[0..nOut) */
  targetValues(targets: Float64Array, off: number, out: Float64Array): Float64Array
  /** a Params for [w | h | second] values */
  toParams(w: Float64Array, h?: Float64Array, second?: Float64Array): Params
  /** copies parameters as applied by the device into the live arrays */
  adopt(p: Params): void
  /** the network description with the live parameters */
  network(base: Network): Network
}

/** How the engine computes: a float32 matrix-product backend for the dense blocks of the contrast, or none. */
export interface EngineCompute { matmul?: DenseMatMul | null }

function xyPhysics(network: Network, compute: EngineCompute): EnginePhysics & { readonly net: XyNet } {
  const net = compileXy(network)
  const scratch: ContrastScratch = createContrastScratch(net)
  const rows = xyRowObservables(net)
  const nOut = net.outputs.length
  return {
    model: 'xy', net, n: net.n, m: net.m, nOut, w: net.w, h: net.h, second: net.psi, secondClipped: false,
    encodeInputs: (x) => x,
    encodeTargets: (y) => y,
    accumulate: (states, B, c, withBias, g, keep) => accumulateRows(rows, states, B, c, withBias, g, scratch, keep, compute.matmul ?? null),
    accumulatePhases: (terms, B, withBias, g, keep) => accumulateRowsPhases(rows, terms, B, withBias, g, scratch, keep, compute.matmul ?? null),
    costNudge: (beta, targets) => ({ kind: 'cost', cost: 'log-cos', beta, targets }),
    frozenForce: (free, targets, B, beta) => frozenNudgeForce(net, free, targets, B, beta),
    distance: (s, off, t, to) => xyDistance(net, s, off, t, to),
    cost: (s, off, t, to) => xyCost(net, s, off, t, to),
    predict: (s, off) => predictClass(s, off, net.outputs),
    targetClass: (t, off) => targetClass(t, off, nOut),
    outputValues: (s, off, out) => { for (let k = 0; k < nOut; k++) out[k] = Math.sin(s[off + net.outputs[k]]); return out },
    targetValues: (t, off, out) => { for (let k = 0; k < nOut; k++) out[k] = Math.sin(t[off + k]); return out },
    toParams: (w, h, second) => ({ weights: w, ...(h ? { h } : {}), ...(second ? { psi: second } : {}) }),
    adopt(p) {
      net.w.set(p.weights)
      if (p.h) net.h.set(p.h)
      if (p.psi) net.psi.set(p.psi)
      refreshBias(net)
    },
    network(base) {
      const hasBias = net.h.some((v) => v !== 0) || base.bias !== undefined
      return { ...base, weights: [...net.w], ...(hasBias ? { bias: { h: [...net.h], psi: [...net.psi] } } : {}) }
    },
  }
}

/** Inputs and targets as values for the value models (OIM, resistor, Ising): the datasets encode
 *  values as phases in [-pi/2, pi/2], and sin maps them onto [-1, 1] (+-pi/2 -> +-1). */
const sinOf = (a: Float64Array): Float64Array => {
  const out = new Float64Array(a.length)
  for (let i = 0; i < a.length; i++) out[i] = Math.sin(a[i])
  return out
}
/** (1 + sin v)/2 of each value, in a loop: Float64Array.from with a map function goes through an iterator. */
const unitOf = (a: Float64Array): Float64Array => {
  const out = new Float64Array(a.length)
  for (let i = 0; i < a.length; i++) out[i] = 0.5 + 0.5 * Math.sin(a[i])
  return out
}
/** Clamped inputs of a value model by Network.inputValues: sin v, or (1 + sin v)/2 in [0, 1] ('unit'). */
const inputsOf = (net: Network): ((a: Float64Array) => Float64Array) =>
  net.inputValues === 'unit' ? unitOf : sinOf

function oimPhysics(network: Network, compute: EngineCompute): EnginePhysics & { readonly net: OimNet } {
  const net = compileOim(network)
  const { n, m } = net
  const nOut = net.outputs.length
  const scratch = createContrastScratch({ n, m, ei: net.ei, ej: net.ej, blocks: contrastBlocks(net) })
  const rows: RowObservables = {
    vectors: (st, off, cs, sn) => oimVectorsInto(net, st, off, cs, sn),
    bias: (st, off, dh, dpsi) => oimNodeObservable(net, st, off, dh, dpsi),
  }
  return {
    model: 'oim', net, n, m, nOut, w: net.w, h: net.h, second: net.s, secondClipped: true,
    encodeInputs: inputsOf(network),
    encodeTargets: sinOf,
    accumulate: (states, B, c, withBias, g, keep) => accumulateRows(rows, states, B, c, withBias, g, scratch, keep, compute.matmul ?? null),
    accumulatePhases: (terms, B, withBias, g, keep) => accumulateRowsPhases(rows, terms, B, withBias, g, scratch, keep, compute.matmul ?? null),
    costNudge: (beta, targets) => ({ kind: 'cost', cost: 'log-cos', beta, targets }),
    frozenForce(free, targets, B, beta) {
      const f = new Float64Array(B * n), g = new Float64Array(n)
      for (let b = 0; b < B; b++) {
        g.fill(0)
        oimAddCostGrad(net, free, b * n, targets, b * nOut, -beta, g)
        for (const o of net.outputs) f[b * n + o] = g[o]
      }
      return f
    },
    distance: (s, off, t, to) => oimCost(net, s, off, t, to),
    cost: (s, off, t, to) => oimCost(net, s, off, t, to),
    predict: (s, off) => oimPredict(net, s, off),
    targetClass: (t, off) => valueClass(t, off, nOut),
    outputValues: (s, off, out) => { for (let k = 0; k < nOut; k++) out[k] = Math.cos(s[off + net.outputs[k]]); return out },
    targetValues: valuesOf(nOut),
    toParams: (w, h, second) => ({ weights: w, ...(h ? { h } : {}), ...(second ? { s: second } : {}) }),
    adopt(p) {
      net.w.set(p.weights)
      if (p.h) net.h.set(p.h)
      if (p.s) net.s.set(p.s)
    },
    network(base) {
      return { ...base, weights: [...net.w], bias: { h: [...net.h], psi: base.bias?.psi ?? new Array<number>(n).fill(0) }, shil: [...net.s] }
    },
  }
}

/**
 * The accumulate() of a model with one observable per edge and one or two per node: for every kept
 * sample, g[0..m) += c * edge observable, and with bias g[m..m+n) (and g[m+n..m+2n)) += c * node ones.
 */
function accumulator(n: number, m: number, edge: (states: Float64Array, off: number, out: Float64Array) => void,
  node: (states: Float64Array, off: number, out: Float64Array, second: Float64Array) => void, twoPerNode: boolean): EnginePhysics['accumulate'] {
  const sw = new Float64Array(m), sh = new Float64Array(n), ss = new Float64Array(n)
  return (states, B, c, withBias, g, keep) => {
    if (c === 0) return
    for (let b = 0; b < B; b++) {
      if (keep && !keep[b]) continue
      edge(states, b * n, sw)
      for (let k = 0; k < m; k++) g[k] += c * sw[k]
      if (withBias) {
        node(states, b * n, sh, ss)
        for (let i = 0; i < n; i++) g[m + i] += c * sh[i]
        if (twoPerNode) for (let i = 0; i < n; i++) g[m + n + i] += c * ss[i]
      }
    }
  }
}

function resistorPhysics(network: Network): EnginePhysics & { readonly net: ResNet } {
  // network.gain (input stage G, inter-layer amplifiers A) compiles here as in the simulator: the
  // observables scale each edge by its depth's energy scale s and read sources at G x; outputs have
  // s = 1, so the nudge, the frozen force and the cost below need no gain
  const net = compileResistor(network)
  const { n, m } = net
  const nOut = net.outputs.length
  const unused = new Float64Array(n)
  const contrast = createResistorContrast(net)
  return {
    model: 'resistor', net, n, m, nOut, w: net.w, h: net.b, second: unused, secondClipped: false,
    encodeInputs: inputsOf(network),
    encodeTargets: sinOf,
    // by dense block rows, all phases in one pass: the per-sample loop's sums to the last bit
    accumulate: contrast.accumulate,
    accumulatePhases: contrast.accumulatePhases,
    // the MSE on output voltages: a conductance beta from each output to a source at its target
    costNudge: (beta, targets) => ({ kind: 'cost', cost: 'log-cos', beta, targets }),
    frozenForce(free, targets, B, beta) {
      const f = new Float64Array(B * n)
      for (let b = 0; b < B; b++) for (let k = 0; k < nOut; k++) { const o = net.outputs[k]; f[b * n + o] = -beta * (free[b * n + o] - targets[b * nOut + k]) }
      return f
    },
    distance: (s, off, t, to) => resistorCost(net, s, off, t, to),
    cost: (s, off, t, to) => resistorCost(net, s, off, t, to),
    predict: (s, off) => resistorPredict(net, s, off),
    targetClass: (t, off) => valueClass(t, off, nOut),
    outputValues: (s, off, out) => { for (let k = 0; k < nOut; k++) out[k] = s[off + net.outputs[k]]; return out },
    targetValues: valuesOf(nOut),
    toParams: (w, h) => ({ weights: w, ...(h ? { h } : {}) }),
    adopt(p) {
      net.w.set(p.weights)
      if (p.h) net.b.set(p.h)
    },
    network(base) {
      return { ...base, weights: [...net.w], bias: { h: [...net.b], psi: base.bias?.psi ?? new Array<number>(n).fill(0) } }
    },
  }
}

function isingPhysics(network: Network): EnginePhysics & { readonly net: IsingNet } {
  const net = compileIsing(network)
  const { n, m } = net
  const nOut = net.outputs.length
  const unused = new Float64Array(n), means = new Float64Array(nOut), nf = new Float64Array(n)
  return {
    model: 'ising', net, n, m, nOut, w: net.w, h: net.h, second: unused, secondClipped: false,
    encodeInputs: inputsOf(network),
    encodeTargets: sinOf,
    // observables dE/dJ = -s_i s_j (an input end reads x) and dE/dh = -s_i, on the sampled spins
    accumulate: accumulator(n, m, (x, off, out) => isingEdgeObservable(net, x, off, out), (x, off, out) => isingNodeObservable(net, x, off, out), false),
    // beta C = beta/2 sum (s - y)^2, which the annealer applies as output fields h_o += beta y_o
    costNudge: (beta, targets) => ({ kind: 'cost', cost: 'log-cos', beta, targets }),
    // on spins C is linear (const - y s), so the frozen force equals the cost nudge's field
    frozenForce(_free, targets, B, beta) {
      const f = new Float64Array(B * n)
      for (let b = 0; b < B; b++) f.set(isingNudgeFields(net, targets, b * nOut, beta, nf), b * n)
      return f
    },
    distance: (s, off, t, to) => isingDistance(net, s, off, t, to, means),
    cost: (s, off, t, to) => isingCost(net, s, off, t, to),
    predict: (s, off) => isingPredict(net, s, off, means),
    targetClass: (t, off) => valueClass(t, off, nOut),
    outputValues: (s, off, out) => isingGroupMeans(net, s, off, out),
    targetValues: valuesOf(nOut),
    toParams: (w, h) => ({ weights: w, ...(h ? { h } : {}) }),
    adopt(p) {
      net.w.set(p.weights)
      if (p.h) net.h.set(p.h)
    },
    network(base) {
      return { ...base, weights: [...net.w], bias: { h: [...net.h], psi: base.bias?.psi ?? new Array<number>(n).fill(0) } }
    },
  }
}

/** The engine physics for a network's model. */
export function enginePhysics(network: Network, compute: EngineCompute = {}): EnginePhysics {
  switch (network.model) {
    case 'xy': return xyPhysics(network, compute)
    case 'oim': return oimPhysics(network, compute)
    case 'resistor': return resistorPhysics(network)
    case 'ising': return isingPhysics(network)
  }
}

/** Class of value-encoded targets (+-1): the largest value, or > 0 for a single output. */
function valueClass(t: Float64Array, off: number, nOut: number): number {
  if (nOut === 1) return t[off] > 0 ? 1 : 0
  let best = 0
  for (let k = 1; k < nOut; k++) if (t[off + k] > t[off + best]) best = k
  return best
}

/** targetValues of a value model: its encoded targets are the values already. */
const valuesOf = (nOut: number) => (t: Float64Array, off: number, out: Float64Array): Float64Array => {
  for (let k = 0; k < nOut; k++) out[k] = t[off + k]
  return out
}
