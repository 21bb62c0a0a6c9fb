// Ising-annealer physics (after Laydevant, Markovic & Grollier, Nature Comms 15:3671, 2024): binary
// spins s_i in {-1, +1} on the free nodes, couplings J per edge (the network weights) and fields h per
// node (bias.h). Inputs are not spins: a clamped node holds a value x in [-1, 1] and acts as a field
// J x on the spins it couples to (the paper's "inputs as hidden-layer biases"). Outputs may be
// duplicated (network.replicas): class k is read out as the mean spin of its group.
//   E(s) = - sum_e J_e s_i s_j - sum_free h_i s_i           (an input end of an edge reads x)
// Textbook sign (ferromagnetic J > 0 lowers E); D-Wave minimises +sum J s s + sum h s, so a board
// driver negates J and h on the wire. dE/dJ_e = -s_i s_j, dE/dh_i = -s_i.
// Cost C = 1/2 sum_k sum_{r in group k} (s_r - y_k)^2 = const - sum y_k s_r (s^2 = y^2 = 1 for
// targets y = +-1): beta*C is exactly the field h_r += beta y_k on every spin of group k.
import type { Network } from '../network/network.ts'
import { compileTopology } from '../network/compile.ts'

/** An Ising network compiled to typed arrays, with CSR adjacency split into free and input neighbours. */
export interface IsingNet {
  readonly n: number
  readonly m: number
  readonly ei: Uint32Array
  readonly ej: Uint32Array
  /** couplings J_e (energy units) */
  readonly w: Float64Array
  /** fields h_i (energy units) */
  readonly h: Float64Array
  readonly inputs: Uint32Array
  readonly outputs: Uint32Array
  readonly clamped: Uint8Array
  /** the free nodes (spins), in sweep order */
  readonly free: Uint32Array
  /** group[i] = k when node i is output k or one of its replicas, else -1 */
  readonly group: Int32Array
  /** spins per output group (1 + replicas) */
  readonly groupSize: Uint32Array
  /** CSR of free neighbours: for node i, entries adjStart[i] .. adjStart[i+1] of (adjNode, adjEdge) */
  readonly adjStart: Uint32Array
  readonly adjNode: Uint32Array
  readonly adjEdge: Uint32Array
  /** CSR of clamped (input) neighbours of each free node, same layout */
  readonly inStart: Uint32Array
  readonly inNode: Uint32Array
  readonly inEdge: Uint32Array
}

/** Compiles a validated network (bias.h as h, replicas as output groups) into typed arrays. */
export function compileIsing(net: Network): IsingNet {
  const n = net.nodes, m = net.edges.length
  const { ei, ej, clamped } = compileTopology(net)
  const group = new Int32Array(n).fill(-1), groupSize = new Uint32Array(net.outputs.length)
  net.outputs.forEach((o, k) => {
    group[o] = k
    groupSize[k] = 1
    for (const r of net.replicas?.[k] ?? []) { group[r] = k; groupSize[k]++ }
  })
  const free = Uint32Array.from({ length: n }, (_, i) => i).filter((i) => !clamped[i])
  // split each free node's neighbours: free ones change during a sweep, clamped ones give a constant field
  const degF = new Uint32Array(n + 1), degI = new Uint32Array(n + 1)
  const countEnd = (a: number, b: number) => { if (!clamped[a]) (clamped[b] ? degI : degF)[a + 1]++ }
  for (let k = 0; k < m; k++) { countEnd(ei[k], ej[k]); countEnd(ej[k], ei[k]) }
  for (let i = 0; i < n; i++) { degF[i + 1] += degF[i]; degI[i + 1] += degI[i] }
  const adjNode = new Uint32Array(degF[n]), adjEdge = new Uint32Array(degF[n]), inNode = new Uint32Array(degI[n]), inEdge = new Uint32Array(degI[n])
  const fillF = degF.slice(0, n), fillI = degI.slice(0, n)
  const put = (a: number, b: number, k: number) => {
    if (clamped[a]) return
    if (clamped[b]) { inNode[fillI[a]] = b; inEdge[fillI[a]++] = k } else { adjNode[fillF[a]] = b; adjEdge[fillF[a]++] = k }
  }
  for (let k = 0; k < m; k++) { put(ei[k], ej[k], k); put(ej[k], ei[k], k) }
  const h = new Float64Array(n)
  if (net.bias) h.set(net.bias.h)
  return {
    n, m, ei, ej, w: Float64Array.from(net.weights), h, inputs: Uint32Array.from(net.inputs), outputs: Uint32Array.from(net.outputs),
    clamped, free, group, groupSize, adjStart: degF, adjNode, adjEdge, inStart: degI, inNode, inEdge,
  }
}

/** Internal energy E = -sum_e J_e s_i s_j - sum_free h_i s_i of the state at `off` (inputs read as values x). */
export function isingEnergy(net: IsingNet, s: ArrayLike<number>, off: number): number {
  const { n, m, ei, ej, w, h, clamped } = net
  let e = 0
  for (let k = 0; k < m; k++) e -= w[k] * s[off + ei[k]] * s[off + ej[k]]
  for (let i = 0; i < n; i++) if (!clamped[i]) e -= h[i] * s[off + i]
  return e
}

/** dE/ds_i on free nodes (zero on inputs) into out: -(h_i + sum_j J_ij s_j); the field is its negative. */
export function isingEnergyGrad(net: IsingNet, s: ArrayLike<number>, off: number, out: Float64Array): Float64Array {
  const { n, m, ei, ej, w, h, clamped } = net
  for (let i = 0; i < n; i++) out[i] = clamped[i] ? 0 : -h[i]
  for (let k = 0; k < m; k++) {
    const i = ei[k], j = ej[k]
    if (!clamped[i]) out[i] -= w[k] * s[off + j]
    if (!clamped[j]) out[j] -= w[k] * s[off + i]
  }
  return out
}

/** Cost C = 1/2 sum_k sum_{r in group k} (s_r - y_k)^2 against targets y[yOff + k] (one per output group). */
export function isingCost(net: IsingNet, s: ArrayLike<number>, off: number, y: ArrayLike<number>, yOff: number): number {
  const { n, group } = net
  let c = 0
  for (let i = 0; i < n; i++) { const k = group[i]; if (k >= 0) { const d = s[off + i] - y[yOff + k]; c += 0.5 * d * d } }
  return c
}

/** Mean spin of each output group into out[0 .. outputs.length). */
export function isingGroupMeans(net: IsingNet, s: ArrayLike<number>, off: number, out: Float64Array): Float64Array {
  const { n, group, groupSize } = net
  out.fill(0, 0, groupSize.length)
  for (let i = 0; i < n; i++) { const k = group[i]; if (k >= 0) out[k] += s[off + i] }
  for (let k = 0; k < groupSize.length; k++) out[k] /= groupSize[k]
  return out
}

/** Readout distance 1/2 sum_k (mean spin of group k - y_k)^2; equals the cost without replicas. */
export function isingDistance(net: IsingNet, s: ArrayLike<number>, off: number, y: ArrayLike<number>, yOff: number, scratch: Float64Array): number {
  isingGroupMeans(net, s, off, scratch)
  let d = 0
  for (let k = 0; k < net.outputs.length; k++) { const v = scratch[k] - y[yOff + k]; d += 0.5 * v * v }
  return d
}

/** The nudge beta*C as fields (energy units): out[r] = beta y_k on every spin r of group k, 0 elsewhere (length n). */
export function isingNudgeFields(net: IsingNet, y: ArrayLike<number>, yOff: number, beta: number, out: Float64Array): Float64Array {
  const { n, group } = net
  for (let i = 0; i < n; i++) { const k = group[i]; out[i] = k >= 0 ? beta * y[yOff + k] : 0 }
  return out
}

/** dE/dJ_e = -s_i s_j per edge into out[0..m) (an input end contributes its value x). */
export function isingEdgeObservable(net: IsingNet, s: ArrayLike<number>, off: number, out: Float64Array): Float64Array {
  const { m, ei, ej } = net
  for (let k = 0; k < m; k++) out[k] = -s[off + ei[k]] * s[off + ej[k]]
  return out
}

/** dE/dh_i = -s_i on free nodes, 0 on inputs, into out[0..n). */
export function isingNodeObservable(net: IsingNet, s: ArrayLike<number>, off: number, out: Float64Array): Float64Array {
  const { n, clamped } = net
  for (let i = 0; i < n; i++) out[i] = clamped[i] ? 0 : -s[off + i]
  return out
}

/** Readout: the group with the largest mean spin (first on ties), or mean > 0 for one output group. */
export function isingPredict(net: IsingNet, s: ArrayLike<number>, off: number, scratch: Float64Array): number {
  isingGroupMeans(net, s, off, scratch)
  const K = net.outputs.length
  if (K === 1) return scratch[0] > 0 ? 1 : 0
  let best = 0
  for (let k = 1; k < K; k++) if (scratch[k] > scratch[best]) best = k
  return best
}
