// Resistor-network physics (a deep resistive network, after Scellier's DRN): node voltages, edge
// conductances g >= 0, bias currents b, a small leak to ground, and ideal diodes that clamp hidden
// nodes to V >= 0 (excitatory, even hidden index) or V <= 0 (inhibitory, odd). Inputs are voltage
// sources x; an input edge with signed weight w connects through |w| to the source +x (w > 0) or to
// its inverted copy -x (w < 0): the "inputs duplicated as +-x" trick with one parameter per edge.
// Energy (co-content) E = 1/2 sum_e |g_e| (V_i - V_j)^2 + 1/2 leak sum V^2 - sum b V, with an input
// end reading sgn(w) x. Relaxation is exact coordinate descent (nodal analysis), not an ODE.
//
// Amplifiers (Network.gain; all 1 by default, which reproduces the gain-free arithmetic bit for bit):
// the input stage drives the sources at G x; between free depth d and d + 1 (depth = graph distance
// from the inputs) every node i of depth d drives its downstream edges through a bidirectional
// amplifier, forward voltage gain A (a VCVS: the next layer sees A V_i) and backward current gain
// 1/A (node i sinks I/A, where I is the current the amplifier's output port delivers).
// Derivation of the energy. Kirchhoff at a downstream node j: sum g (V_j - A V_i) + ... = 0; at the
// upstream node i: sum g (A V_i - V_j) / A + ... = 0, i.e. sum g (V_i - V_j / A) + ... = 0. The
// plain co-content cannot give both: d/dV_i of 1/2 g (A V_i - V_j)^2 is A times the current, not
// 1/A times it. Weight each depth's terms by a scale s_d instead,
//   E = sum_e s_down(e) 1/2 |g_e| (c_e,i V_i - c_e,j V_j)^2 + sum_free s_i (1/2 leak V_i^2 - b_i V_i),
// with end factors c = A at the upstream end, 1 downstream (c = G on an input end). Then
// dE/dV_j = s_j * KCL residual_j, and dE/dV_i = s_down A (A V_i - V_j) = s_i (V_i - V_j / A) exactly
// when s_i = A^2 s_down: s_d = prod_{k >= d} A_k^2, normalised to s = 1 at the outputs so the MSE
// nudge (a conductance beta to a source at y) enters as beta C and the engine's estimator is unchanged.
// So dE/dV_i = s_i (Kirchhoff residual) with s_i > 0: the minimum (diodes as bounds, KKT) is the
// circuit's operating point, the nodal update V_i = (sum g r V_j + b + ...)/(sum g + leak + ...), with
// r = c_j / c_i (A from upstream, 1/A from downstream), is the exact coordinate minimiser of E, and
// EqProp's dE/dtheta observables are s_down * (the physical ones): 1/2 s sgn(w) dV^2, -s V. In the
// variables U = V / prod(gains so far) it is a plain resistor network with targets y / prod A: the
// amplifiers let outputs reach +-1 while each passive layer attenuates.
import { nodeDepths, type Network } from '../network/network.ts'
import { compileTopology } from '../network/compile.ts'
import type { Rng } from '../rng/rng.ts'

export interface ResNet {
  readonly n: number
  readonly m: number
  readonly ei: Uint32Array
  readonly ej: Uint32Array
  /** conductances (S, normalised): >= 0 between nodes, signed on input edges (sign picks +x or -x) */
  readonly w: Float64Array
  /** bias currents b_i (A, normalised) */
  readonly b: Float64Array
  readonly inputs: Uint32Array
  readonly outputs: Uint32Array
  readonly clamped: Uint8Array
  /** diode: +1 clamps V >= 0, -1 clamps V <= 0, 0 none (outputs) */
  readonly diode: Int8Array
  /** leak conductance of every free node to ground (keeps the problem strictly convex) */
  readonly leak: number
  /** CSR adjacency: for node i, entries adjStart[i] .. adjStart[i+1] of (adjNode, adjEdge) */
  readonly adjStart: Uint32Array
  readonly adjNode: Uint32Array
  readonly adjEdge: Uint32Array
  /** per edge, the gain factor at its ei / ej end: A at an amplifier's upstream end, G at an input end, else 1 */
  readonly ci: Float64Array
  readonly cj: Float64Array
  /** per edge, the energy scale of its term (s of its downstream node; 1 with no amplifiers) */
  readonly es: Float64Array
  /** per node, the energy scale s_i (prod of A^2 between node i and the outputs; 1 on inputs) */
  readonly ns: Float64Array
  /** per adjacency entry of node i: the factor r = c_other / c_self on the neighbour's voltage in i's nodal equation */
  readonly adjScale: Float64Array
}

/** Compiles a network (bias.h as bias currents (A), weights as conductances (S), gain as amplifiers) into typed arrays. */
export function compileResistor(net: Network, leak = 0.01): ResNet {
  const n = net.nodes, m = net.edges.length
  const { ei, ej, clamped } = compileTopology(net)
  const isOut = new Uint8Array(n)
  for (const o of net.outputs) isOut[o] = 1
  const diode = new Int8Array(n)
  let hidden = 0
  for (let i = 0; i < n; i++) if (!clamped[i] && !isOut[i]) diode[i] = hidden++ % 2 === 0 ? 1 : -1
  const deg = new Uint32Array(n + 1)
  for (let k = 0; k < m; k++) { deg[ei[k] + 1]++; deg[ej[k] + 1]++ }
  for (let i = 0; i < n; i++) deg[i + 1] += deg[i]
  const adjNode = new Uint32Array(2 * m), adjEdge = new Uint32Array(2 * m), fill = deg.slice(0, n)
  for (let k = 0; k < m; k++) {
    adjNode[fill[ei[k]]] = ej[k]; adjEdge[fill[ei[k]]++] = k
    adjNode[fill[ej[k]]] = ei[k]; adjEdge[fill[ej[k]]++] = k
  }
  const b = new Float64Array(n)
  if (net.bias) b.set(net.bias.h)
  const { ci, cj, es, ns } = compileGains(net, clamped)
  const adjScale = new Float64Array(2 * m)
  for (let i = 0; i < n; i++) {
    for (let p = deg[i]; p < deg[i + 1]; p++) {
      const k = adjEdge[p]
      adjScale[p] = ei[k] === i ? cj[k] / ci[k] : ci[k] / cj[k]
    }
  }
  return {
    n, m, ei, ej, w: Float64Array.from(net.weights), b, inputs: Uint32Array.from(net.inputs), outputs: Uint32Array.from(net.outputs),
    clamped, diode, leak, adjStart: deg, adjNode, adjEdge, ci, cj, es, ns, adjScale,
  }
}

/**
 * End factors and energy scales of Network.gain (see the header): depth d = distance from the
 * inputs, the amplifier A_d = gain.layers[d - 1] between depths d and d + 1, s_d = prod_{k >= d} A_k^2
 * relative to the outputs' depth. No layer gains: every s = 1 and only input ends carry G.
 */
function compileGains(net: Network, clamped: Uint8Array): { ci: Float64Array; cj: Float64Array; es: Float64Array; ns: Float64Array } {
  const n = net.nodes, m = net.edges.length
  const G = net.gain?.input ?? 1, A = net.gain?.layers ?? []
  const ci = new Float64Array(m).fill(1), cj = new Float64Array(m).fill(1), es = new Float64Array(m).fill(1), ns = new Float64Array(n).fill(1)
  let depth: Int32Array | null = null
  if (A.length > 0) {
    depth = nodeDepths(n, net.edges, net.inputs)
    // t_d: scale relative to depth 1; the outputs' t then normalises (the schema checks they agree)
    const t = [1, 1]
    for (let d = 1; d <= A.length; d++) t.push(t[d] / (A[d - 1] * A[d - 1]))
    const tOut = t[depth[net.outputs[0]]]
    for (let i = 0; i < n; i++) {
      if (clamped[i]) continue
      if (depth[i] < 1 || depth[i] >= t.length) throw new RangeError(`gain.layers: node ${i} has depth ${depth[i]}, outside the ${A.length} amplifier boundaries`)
      ns[i] = t[depth[i]] / tOut
    }
  }
  for (let k = 0; k < m; k++) {
    const [i, j] = net.edges[k]
    if (clamped[i] || clamped[j]) {
      // input ends read G sgn(w) x; the free end is downstream (scale s of the free node)
      if (clamped[i]) ci[k] = G
      if (clamped[j]) cj[k] = G
      es[k] = clamped[i] && clamped[j] ? 1 : ns[clamped[i] ? j : i]
    } else if (depth && depth[i] !== depth[j]) {
      // the shallower end drives the deeper one through its amplifier
      if (depth[i] < depth[j]) { ci[k] = A[depth[i] - 1]; es[k] = ns[j] } else { cj[k] = A[depth[j] - 1]; es[k] = ns[i] }
    } else es[k] = ns[i]
  }
  return { ci, cj, es, ns }
}

/** The voltage (V) edge k sees at `node`'s end: gain factor c times V, or c sgn(w) x on an input. */
function endVoltage(net: ResNet, v: Float64Array, off: number, node: number, k: number, c: number): number {
  const x = v[off + node]
  return c * (net.clamped[node] && net.w[k] < 0 ? -x : x)
}

/** Internal energy E (co-content minus bias work, scaled by s per depth; W, normalised) of the sample at `off`. */
export function resistorEnergy(net: ResNet, v: Float64Array, off: number): number {
  const { n, m, ei, ej, w, b, clamped, leak, ci, cj, es, ns } = net
  let e = 0
  for (let k = 0; k < m; k++) {
    const d = endVoltage(net, v, off, ei[k], k, ci[k]) - endVoltage(net, v, off, ej[k], k, cj[k])
    e += es[k] * 0.5 * Math.abs(w[k]) * d * d
  }
  for (let i = 0; i < n; i++) if (!clamped[i]) e += ns[i] * (0.5 * leak * v[off + i] * v[off + i] - b[i] * v[off + i])
  return e
}

/** dE/dV on free nodes (zero on inputs) into out[0..n): s_i times node i's Kirchhoff residual (A). */
export function resistorEnergyGrad(net: ResNet, v: Float64Array, off: number, out: Float64Array): Float64Array {
  const { n, m, ei, ej, w, b, clamped, leak, ci, cj, es, ns } = net
  for (let i = 0; i < n; i++) out[i] = clamped[i] ? 0 : ns[i] * (leak * v[off + i] - b[i])
  for (let k = 0; k < m; k++) {
    const i = ei[k], j = ej[k]
    const c = es[k] * Math.abs(w[k]) * (endVoltage(net, v, off, i, k, ci[k]) - endVoltage(net, v, off, j, k, cj[k]))
    if (!clamped[i]) out[i] += ci[k] * c
    if (!clamped[j]) out[j] -= cj[k] * c
  }
  return out
}

/** Cost C = 1/2 sum_out (V_o - y_o)^2. */
export function resistorCost(net: ResNet, v: Float64Array, off: number, y: ArrayLike<number>, yOff: number): number {
  let c = 0
  for (let k = 0; k < net.outputs.length; k++) { const d = v[off + net.outputs[k]] - y[yOff + k]; c += 0.5 * d * d }
  return c
}

/**
 * dE/dw_e into out[0..m): s 1/2 sgn(w) dV^2, dV the edge's drop (V) with input ends at G sgn(w) x and
 * an amplifier's upstream end at A V (the sign is that of w > 0 at w = 0; s = 1 with no amplifiers).
 */
export function resistorEdgeObservable(net: ResNet, v: Float64Array, off: number, out: Float64Array): Float64Array {
  const { m, ei, ej, w, ci, cj, es } = net
  for (let k = 0; k < m; k++) {
    const d = endVoltage(net, v, off, ei[k], k, ci[k]) - endVoltage(net, v, off, ej[k], k, cj[k])
    out[k] = es[k] * (w[k] < 0 ? -0.5 : 0.5) * d * d
  }
  return out
}

/**
 * g[k] += c * resistorEdgeObservable(k) for every edge of the sample at `off`, in one pass with no
 * scratch: the same expressions in the same order, so the same bits as the two-pass form.
 */
export function resistorAccumulateEdges(net: ResNet, v: Float64Array, off: number, c: number, g: Float64Array): void {
  const { m, ei, ej, w, ci, cj, es, clamped } = net
  for (let k = 0; k < m; k++) {
    const i = ei[k], j = ej[k], wk = w[k]
    let a = v[off + i], b = v[off + j]
    // an input end reads sgn(w) x (endVoltage); negation is exact
    if (wk < 0) { if (clamped[i]) a = -a; if (clamped[j]) b = -b }
    const d = ci[k] * a - cj[k] * b
    g[k] += c * (es[k] * (wk < 0 ? -0.5 : 0.5) * d * d)
  }
}

/** dE/db_i = -s_i V_i (V) on free nodes (zero on inputs) into out. */
export function resistorBiasObservable(net: ResNet, v: Float64Array, off: number, out: Float64Array): void {
  for (let i = 0; i < net.n; i++) out[i] = net.clamped[i] ? 0 : -net.ns[i] * v[off + i]
}

/** Readout: argmax V_out, or V > 0 for one output. */
export function resistorPredict(net: ResNet, v: Float64Array, off: number): number {
  const o = net.outputs
  if (o.length === 1) return v[off + o[0]] > 0 ? 1 : 0
  let best = 0
  for (let k = 1; k < o.length; k++) if (v[off + o[k]] > v[off + o[best]]) best = k
  return best
}

/** What one relaxation did. */
export interface ResistorRelaxStats { settled: boolean; sweeps: number; maxChange: number }

/**
 * Relaxes v[0..n) in place by exact coordinate descent: each free node goes to the minimiser of the
 * total energy with its neighbours fixed, V_i = clip((sum g r V + b + beta y + f)/(sum g + leak + beta)),
 * clipped by its diode (r = A from an amplifier upstream, 1/A downstream, G from an input); sweeps in
 * node order until no node moves by more than tol (V). The nudge is beta/2 (V_o - y_o)^2 (a
 * conductance beta (S) to a source y) and/or a constant current ext[extOff + i] (A).
 */
export function relaxResistor(net: ResNet, v: Float64Array, beta: number, y: ArrayLike<number> | null, yOff: number,
  ext: ArrayLike<number> | null, extOff: number, tol: number, maxSweeps: number, outIdx: Int32Array): ResistorRelaxStats {
  const { n, w, b, clamped, diode, leak, adjStart, adjNode, adjEdge, adjScale } = net
  let maxChange = Infinity, s = 0
  for (; s < maxSweeps && maxChange > tol; s++) {
    maxChange = 0
    for (let i = 0; i < n; i++) {
      if (clamped[i]) continue
      let num = b[i], den = leak
      for (let p = adjStart[i]; p < adjStart[i + 1]; p++) {
        const j = adjNode[p], k = adjEdge[p], g = Math.abs(w[k])
        // r * V_j is exact (r * V_j = V_j) when r = 1, so no gains = the old sums bit for bit
        num += g * (adjScale[p] * (clamped[j] && w[k] < 0 ? -v[j] : v[j]))
        den += g
      }
      const ko = outIdx[i]
      if (ko >= 0 && beta !== 0 && y) { num += beta * y[yOff + ko]; den += beta }
      if (ext) num += ext[extOff + i]
      let nv = num / den
      if (diode[i] > 0 && nv < 0) nv = 0
      else if (diode[i] < 0 && nv > 0) nv = 0
      const d = Math.abs(nv - v[i])
      if (d > maxChange) maxChange = d
      v[i] = nv
    }
  }
  return { settled: maxChange <= tol, sweeps: s, maxChange }
}

/** outIdx[i] = k when node i is output k, else -1 (for relaxResistor). */
export function outputIndex(net: ResNet): Int32Array {
  const a = new Int32Array(net.n).fill(-1)
  net.outputs.forEach((o, k) => { a[o] = k })
  return a
}

/**
 * Input voltage sources folded out of the coordinate-descent sweeps. Inputs never move, so each free
 * node's current from its input edges (sum g sgn(w) x) is constant during a relaxation, and so is
 * every node's total conductance. A layered 784-100-10 net has 78,400 of its 79,400 couplings on
 * inputs; the sweeps then visit only the free-free adjacency (the other 1,000).
 */
export interface ResistorFold {
  /** CSR over free neighbours only: for free node i, entries freeStart[i] .. freeStart[i+1] of (freeNode, freeEdge) */
  readonly freeStart: Uint32Array
  readonly freeNode: Uint32Array
  readonly freeEdge: Uint32Array
  /** the amplifier factor r = c_other / c_self of each free adjacency entry (1 with no gains) */
  readonly freeScale: Float64Array
  /** edges between two free nodes, and between two inputs (a constant energy) */
  readonly ffEdge: Uint32Array
  readonly ccEdge: Uint32Array
  /** per node, this sample: b_i + input currents (A, normalised; sources at G x) */
  readonly num0: Float64Array
  /** per node: leak + every edge's |g| (S, normalised) */
  readonly den: Float64Array
  /** per node, this sample: input conductance sum_in |g| and input current sum_in |g| sgn(w) x */
  readonly gIn: Float64Array
  readonly iIn: Float64Array
  /** this sample's constant energy: 1/2 sum over input edges s |g| (G x)^2 plus the input-input edges */
  c0: number
}

/** The free-free adjacency of a compiled resistor network, with per-node fold scratch. */
export function compileResistorFold(net: ResNet): ResistorFold {
  const { n, m, ei, ej, clamped, adjStart, adjNode, adjEdge, adjScale } = net
  const freeStart = new Uint32Array(n + 1)
  for (let i = 0; i < n; i++) {
    let c = 0
    if (!clamped[i]) for (let p = adjStart[i]; p < adjStart[i + 1]; p++) if (!clamped[adjNode[p]]) c++
    freeStart[i + 1] = freeStart[i] + c
  }
  const freeNode = new Uint32Array(freeStart[n]), freeEdge = new Uint32Array(freeStart[n]), freeScale = new Float64Array(freeStart[n])
  for (let i = 0, q = 0; i < n; i++) {
    if (clamped[i]) continue
    // adjacency order kept, so the sweep adds free neighbours in the order relaxResistor does
    for (let p = adjStart[i]; p < adjStart[i + 1]; p++) if (!clamped[adjNode[p]]) { freeNode[q] = adjNode[p]; freeScale[q] = adjScale[p]; freeEdge[q++] = adjEdge[p] }
  }
  const ff: number[] = [], cc: number[] = []
  for (let k = 0; k < m; k++) {
    if (!clamped[ei[k]] && !clamped[ej[k]]) ff.push(k)
    else if (clamped[ei[k]] && clamped[ej[k]]) cc.push(k)
  }
  const a = () => new Float64Array(n)
  return { freeStart, freeNode, freeEdge, freeScale, ffEdge: Uint32Array.from(ff), ccEdge: Uint32Array.from(cc), num0: a(), den: a(), gIn: a(), iIn: a(), c0: 0 }
}

/** Fills the fold's per-node sums for the sample whose input voltages (V) sit in v (clamped entries). */
export function foldResistorInputs(net: ResNet, fold: ResistorFold, v: Float64Array): void {
  const { n, m, ei, ej, w, b, clamped, leak, ci, cj, ns } = net
  const { num0, den, gIn, iIn, ccEdge } = fold
  for (let i = 0; i < n; i++) {
    num0[i] = clamped[i] ? 0 : b[i]; den[i] = clamped[i] ? 0 : leak
    gIn[i] = 0; iIn[i] = 0
  }
  let c0 = 0
  // edge order streams w, ei, ej; each node's CSR adjacency is in edge order too, so every per-node
  // sum adds the same terms in the same order as relaxResistor's sweep (exact when inputs come first).
  // |w| * (sgn(w) x) is exactly w * x (negation is exact), which spares a branch on random signs.
  // The source reads r x with r = G / 1 (the input gain; r x = x exactly when G = 1), and node i's
  // share of the constant energy carries its scale s_i.
  for (let k = 0; k < m; k++) {
    const i = ei[k], j = ej[k], wk = w[k], g = Math.abs(wk), Ci = clamped[i], Cj = clamped[j]
    if (!Ci) {
      den[i] += g
      if (Cj) { const x = (cj[k] / ci[k]) * v[j], gu = wk * x; num0[i] += gu; iIn[i] += gu; gIn[i] += g; c0 += ns[i] * (g * x * x) }
    }
    if (!Cj) {
      den[j] += g
      if (Ci) { const x = (ci[k] / cj[k]) * v[i], gu = wk * x; num0[j] += gu; iIn[j] += gu; gIn[j] += g; c0 += ns[j] * (g * x * x) }
    }
  }
  for (let t = 0; t < ccEdge.length; t++) {
    const k = ccEdge[t], d = endVoltage(net, v, 0, ei[k], k, ci[k]) - endVoltage(net, v, 0, ej[k], k, cj[k])
    c0 += net.es[k] * (Math.abs(w[k]) * d * d)
  }
  fold.c0 = 0.5 * c0
}

/**
 * resistorEnergy of v (J, normalised) from the fold of the same sample: input edges enter as
 * s (1/2 G_in V^2 - I_in V) + const, so only free-free edges are visited. Equal to resistorEnergy up
 * to rounding (the expansion of (V - x)^2 reorders the sums).
 */
export function resistorEnergyFolded(net: ResNet, fold: ResistorFold, v: Float64Array): number {
  const { n, ei, ej, w, b, clamped, leak, ci, cj, es, ns } = net
  const { ffEdge, gIn, iIn } = fold
  let e = fold.c0
  for (let t = 0; t < ffEdge.length; t++) {
    const k = ffEdge[t], d = ci[k] * v[ei[k]] - cj[k] * v[ej[k]]
    e += es[k] * 0.5 * Math.abs(w[k]) * d * d
  }
  for (let i = 0; i < n; i++) {
    if (clamped[i]) continue
    const x = v[i]
    e += ns[i] * ((0.5 * (gIn[i] + leak) * x - iIn[i] - b[i]) * x)
  }
  return e
}

/**
 * relaxResistor with the inputs folded (call foldResistorInputs on v first): the same coordinate
 * descent and update order, each sweep visiting only free neighbours. Same arguments and result, to
 * the last bits of summation order.
 */
export function relaxResistorFolded(net: ResNet, fold: ResistorFold, v: Float64Array, beta: number, y: ArrayLike<number> | null, yOff: number,
  ext: ArrayLike<number> | null, extOff: number, tol: number, maxSweeps: number, outIdx: Int32Array): ResistorRelaxStats {
  const { n, w, clamped, diode } = net
  const { freeStart, freeNode, freeEdge, freeScale, num0, den: den0 } = fold
  let maxChange = Infinity, s = 0
  for (; s < maxSweeps && maxChange > tol; s++) {
    maxChange = 0
    for (let i = 0; i < n; i++) {
      if (clamped[i]) continue
      let num = num0[i], den = den0[i]
      for (let p = freeStart[i]; p < freeStart[i + 1]; p++) num += Math.abs(w[freeEdge[p]]) * (freeScale[p] * v[freeNode[p]])
      const ko = outIdx[i]
      if (ko >= 0 && beta !== 0 && y) { num += beta * y[yOff + ko]; den += beta }
      if (ext) num += ext[extOff + i]
      let nv = num / den
      if (diode[i] > 0 && nv < 0) nv = 0
      else if (diode[i] < 0 && nv > 0) nv = 0
      const d = Math.abs(nv - v[i])
      if (d > maxChange) maxChange = d
      v[i] = nv
    }
  }
  return { settled: maxChange <= tol, sweeps: s, maxChange }
}

/** Thermal noise on the free node voltages: white noise of sigma (V per sqrt(time unit)), steps of dt, `sweeps` of them. */
export interface ResistorNoiseOptions { sigma: number; dt: number; sweeps: number }

/** Per-node scratch of resistorLangevin (length n each), allocated once per simulator. */
export interface ResistorNoiseWork { den: Float64Array; decay: Float64Array; amp: Float64Array }

export const createResistorNoiseWork = (n: number): ResistorNoiseWork => ({ den: new Float64Array(n), decay: new Float64Array(n), amp: new Float64Array(n) })

/**
 * Langevin dynamics dV_i = -(1/s_i) dE/dV_i dt + sigma dW_i on the free nodes (unit node capacitance;
 * (1/s_i) dE/dV_i = den_i (V_i - V*_i) is node i's Kirchhoff residual, A), started from v (normally the
 * equilibrium) and run for o.sweeps steps of o.dt. Each step is a sweep in node order that moves every
 * free node by the exact solution of its own Ornstein-Uhlenbeck equation over dt with the neighbours
 * held (V* + (V - V*) e^{-den dt} + sigma sqrt((1 - e^{-2 den dt}) / (2 den)) N(0, 1)), then projects it
 * onto its diode. Why not Euler-Maruyama: explicit Euler diverges once den dt > 2, and den (the sum of
 * a node's conductances) grows with the fan-in and with training; this splitting is stable for any dt,
 * converges to the SDE as dt -> 0, and without layer gains (every s = 1) leaves the Boltzmann law
 * exp(-2E / sigma^2) exactly invariant at any dt (each node's update keeps its conditional law
 * N(V*, sigma^2 / (2 den))), diodes aside. Same nudge and fold arguments as relaxResistor(Folded);
 * noise comes from rng, one draw per free node and sweep in node order.
 */
export function resistorLangevin(net: ResNet, fold: ResistorFold | null, v: Float64Array, beta: number, y: ArrayLike<number> | null, yOff: number,
  ext: ArrayLike<number> | null, extOff: number, o: ResistorNoiseOptions, rng: Rng, outIdx: Int32Array, work: ResistorNoiseWork): void {
  const { n, w, b, clamped, diode, leak, adjStart, adjNode, adjEdge, adjScale } = net
  const { den, decay, amp } = work
  // the conductances are fixed during one relaxation, so each node's rate and noise amplitude are too
  for (let i = 0; i < n; i++) {
    if (clamped[i]) continue
    let d = leak
    if (fold) d = fold.den[i]
    else for (let p = adjStart[i]; p < adjStart[i + 1]; p++) d += Math.abs(w[adjEdge[p]])
    if (outIdx[i] >= 0 && beta !== 0 && y) d += beta
    den[i] = d
    decay[i] = Math.exp(-d * o.dt)
    amp[i] = o.sigma * Math.sqrt(-Math.expm1(-2 * d * o.dt) / (2 * d))
  }
  for (let s = 0; s < o.sweeps; s++) {
    for (let i = 0; i < n; i++) {
      if (clamped[i]) continue
      let num: number
      if (fold) {
        num = fold.num0[i]
        for (let p = fold.freeStart[i]; p < fold.freeStart[i + 1]; p++) num += Math.abs(w[fold.freeEdge[p]]) * (fold.freeScale[p] * v[fold.freeNode[p]])
      } else {
        num = b[i]
        for (let p = adjStart[i]; p < adjStart[i + 1]; p++) {
          const j = adjNode[p], k = adjEdge[p]
          num += Math.abs(w[k]) * (adjScale[p] * (clamped[j] && w[k] < 0 ? -v[j] : v[j]))
        }
      }
      const ko = outIdx[i]
      if (ko >= 0 && beta !== 0 && y) num += beta * y[yOff + ko]
      if (ext) num += ext[extOff + i]
      const eq = num / den[i]
      let nv = eq + (v[i] - eq) * decay[i] + amp[i] * rng.normal()
      if (diode[i] > 0 && nv < 0) nv = 0
      else if (diode[i] < 0 && nv > 0) nv = 0
      v[i] = nv
    }
  }
}
