// System identification of an XY board from its equilibria. At an equilibrium every free node feels
// no net force: sum_j W_ij sin(phi_i - phi_j) + h_i sin(phi_i - psi_i) = f_i, with f_i the known
// external (nudge) force. With hx = h cos psi and hy = h sin psi the bias term is
// hx sin phi_i - hy cos phi_i, so each free node of each measured equilibrium is one equation that is
// LINEAR in (W, hx, hy): stacking many equilibria gives a linear least-squares problem. Without an
// external force the equations are homogeneous (every parameter scaled by c gives the same equilibria),
// so at least some equilibria must be nudged by a known force to fix the energy scale.
// The 'affine' model goes one step further: the physical coupling is W_k = g_k s_k + d_k for the
// setpoint s_k the host wrote, and equilibria measured at two or more setpoint vectors identify each
// coupling's gain g_k and offset d_k (device variation and drift), still linearly.
import { symmetricEigen } from '../linalg/symmetric-eigen.ts'

/** What is known of the board before the fit: its nodes, couplings, clamped nodes, whether it has bias fields. */
export interface FitTopology {
  n: number
  edges: readonly (readonly [number, number])[]
  /** 1 on nodes that are clamped in every probe (their force is absorbed by the clamp: no equation) */
  clamped: Uint8Array
  bias: boolean
}

/** Equilibria measured at one setpoint vector. */
export interface ProbeSet {
  /** the coupling setpoints as the board's DAC holds them (after clip/quantise); needed by the affine model */
  setpoints: Float64Array | null
  /** [batch, n] equilibrium phases (rad) */
  states: Float64Array
  /** [batch, n] external force on each node at those equilibria (per unit time); null = free equilibria */
  force: Float64Array | null
}

export type FitModel = 'direct' | 'affine'

export interface FitOptions {
  /** std (rad) of the readout error of each free node's phase (a b-bit readout: 2 pi / 2^b / sqrt 12); 0 = exact states */
  readoutSigma?: number
}

/** One unknown: a coupling (direct), a coupling's gain or offset (affine), or a bias field component. */
export interface FitColumn { kind: 'w' | 'gain' | 'offset' | 'hx' | 'hy'; index: number }

export interface XyFit {
  model: FitModel
  columns: FitColumn[]
  /** least-squares estimate per column */
  theta: Float64Array
  /** [p, p] covariance: the sandwich (A^T A)^-1 (sum over equilibria of A_e^T r_e r_e^T A_e) (A^T A)^-1 */
  cov: Float64Array
  /** standard error per column: sqrt(diag(cov)) */
  sigma: Float64Array
  /** the textbook standard error sqrt(residual variance x diag (A^T A)^-1), which assumes independent, equally noisy equations */
  sigmaClassic: Float64Array
  /** equations used, and the residual variance RSS / (rows - p) (force units squared) */
  rows: number
  residualVariance: number
  /** RMS residual force of the fit (per unit time) */
  residualRms: number
  /** condition number of the column-normalised normal matrix */
  condition: number
  /** edges that no equation sees (both ends clamped): left out, they never affect a free node */
  unobservedEdges: number[]
  /** column per edge for the direct model (or the gain column for affine), -1 if left out */
  edgeColumn: Int32Array
  /** offset column per edge (affine), -1 otherwise */
  offsetColumn: Int32Array
  /** hx column per node (hy is the next one), -1 for clamped nodes or a board without bias */
  biasColumn: Int32Array
}

/** Below this ratio of smallest to largest eigenvalue of the normalised normal matrix, the fit is not identifiable. */
export const ILL_POSED_RATIO = 1e-12

/** Column layout of the unknowns: every observed edge, then hx, hy of every free node. */
function layout(t: FitTopology, model: FitModel) {
  const m = t.edges.length
  const edgeColumn = new Int32Array(m).fill(-1), offsetColumn = new Int32Array(m).fill(-1), biasColumn = new Int32Array(t.n).fill(-1)
  const columns: FitColumn[] = []
  const unobservedEdges: number[] = []
  for (let k = 0; k < m; k++) {
    const [i, j] = t.edges[k]
    if (t.clamped[i] && t.clamped[j]) { unobservedEdges.push(k); continue }
    edgeColumn[k] = columns.length
    columns.push({ kind: model === 'affine' ? 'gain' : 'w', index: k })
    if (model === 'affine') { offsetColumn[k] = columns.length; columns.push({ kind: 'offset', index: k }) }
  }
  if (t.bias) {
    for (let i = 0; i < t.n; i++) {
      if (t.clamped[i]) continue
      biasColumn[i] = columns.length
      columns.push({ kind: 'hx', index: i }, { kind: 'hy', index: i })
    }
  }
  return { columns, edgeColumn, offsetColumn, biasColumn, unobservedEdges }
}

/** Edges incident to each node (CSR), with the sign of sin(phi_node - phi_other) in the node's equation. */
function incidence(n: number, edges: readonly (readonly [number, number])[]) {
  const start = new Uint32Array(n + 1)
  for (const [i, j] of edges) { start[i + 1]++; start[j + 1]++ }
  for (let i = 0; i < n; i++) start[i + 1] += start[i]
  const edge = new Uint32Array(start[n]), other = new Uint32Array(start[n]), fill = start.slice(0, n)
  edges.forEach(([i, j], k) => {
    edge[fill[i]] = k; other[fill[i]++] = j
    edge[fill[j]] = k; other[fill[j]++] = i
  })
  return { start, edge, other }
}

/** One equation: its nonzero entries, and how each entry moves with a readout error of the states. */
interface Row {
  cols: Int32Array
  vals: Float64Array
  nnz: number
  /** d(entry)/d(phi_i), the equation's own node */
  dOwn: Float64Array
  /** d(entry)/d(phi_j) and j for coupling entries whose other end j is free (-1: no such term) */
  dOther: Float64Array
  other: Int32Array
}

/**
 * Calls row(r, y, eq) once per equation: every free node of every equilibrium of every set; eq numbers
 * the equilibrium (0, 1, ... in order). The row's arrays are reused between calls.
 */
function forEachRow(t: FitTopology, sets: readonly ProbeSet[], lay: ReturnType<typeof layout>,
  row: (r: Row, y: number, eq: number) => void): void {
  const { n } = t
  const inc = incidence(n, t.edges)
  let maxDeg = 0
  for (let i = 0; i < n; i++) maxDeg = Math.max(maxDeg, inc.start[i + 1] - inc.start[i])
  const size = 2 * maxDeg + 2
  const r: Row = { cols: new Int32Array(size), vals: new Float64Array(size), nnz: 0, dOwn: new Float64Array(size), dOther: new Float64Array(size), other: new Int32Array(size) }
  const { cols, vals, dOwn, dOther, other } = r
  let eq = 0
  for (const set of sets) {
    const B = set.states.length / n
    for (let b = 0; b < B; b++, eq++) {
      const off = b * n
      for (let i = 0; i < n; i++) {
        if (t.clamped[i]) continue
        let nnz = 0
        const pi = set.states[off + i]
        for (let p = inc.start[i]; p < inc.start[i + 1]; p++) {
          const k = inc.edge[p], j = inc.other[p]
          const c = lay.edgeColumn[k]
          if (c < 0) continue
          const d = pi - set.states[off + j], s = Math.sin(d), co = Math.cos(d), oj = t.clamped[j] ? -1 : j
          if (lay.offsetColumn[k] >= 0) {
            const sp = set.setpoints![k]
            cols[nnz] = c; vals[nnz] = sp * s; dOwn[nnz] = sp * co; dOther[nnz] = -sp * co; other[nnz++] = oj
            cols[nnz] = lay.offsetColumn[k]; vals[nnz] = s; dOwn[nnz] = co; dOther[nnz] = -co; other[nnz++] = oj
          } else { cols[nnz] = c; vals[nnz] = s; dOwn[nnz] = co; dOther[nnz] = -co; other[nnz++] = oj }
        }
        const bc = lay.biasColumn[i]
        if (bc >= 0) {
          const s = Math.sin(pi), co = Math.cos(pi)
          cols[nnz] = bc; vals[nnz] = s; dOwn[nnz] = co; other[nnz++] = -1
          cols[nnz] = bc + 1; vals[nnz] = -co; dOwn[nnz] = s; other[nnz++] = -1
        }
        r.nnz = nnz
        row(r, set.force ? set.force[off + i] : 0, eq)
      }
    }
  }
}

/**
 * Fits the couplings (direct) or their gains and offsets (affine) and the bias fields of an XY board
 * to measured equilibria by linear least squares. Throws RangeError when the probes do not determine
 * every unknown (with the unknowns of the weakest direction named).
 */
export function fitXyEquilibria(t: FitTopology, sets: readonly ProbeSet[], model: FitModel = 'direct', opts: FitOptions = {}): XyFit {
  const n = t.n
  const noiseVar = (opts.readoutSigma ?? 0) ** 2
  for (const [s, set] of sets.entries()) {
    if (set.states.length % n !== 0) throw new RangeError(`probe set ${s}: ${set.states.length} state values is not a whole number of ${n}-node samples`)
    if (set.force && set.force.length !== set.states.length) throw new RangeError(`probe set ${s}: force has ${set.force.length} values, states ${set.states.length}`)
    if (model === 'affine' && (!set.setpoints || set.setpoints.length !== t.edges.length)) throw new RangeError(`probe set ${s}: the affine model needs the ${t.edges.length} coupling setpoints`)
  }
  if (!sets.some((s) => s.force && s.force.some((v) => v !== 0))) {
    throw new RangeError('no probe applies an external force: equilibria alone fix the parameters only up to a common scale; nudge some equilibria with a known force')
  }
  const lay = layout(t, model)
  const p = lay.columns.length
  if (model === 'affine') {
    for (let k = 0; k < t.edges.length; k++) {
      if (lay.edgeColumn[k] < 0) continue
      const v0 = sets[0].setpoints![k]
      if (sets.every((s) => s.setpoints![k] === v0)) throw new RangeError(`edge ${k} [${t.edges[k]}]: its setpoint has one value (${v0}) in every probe set; the affine model needs two or more`)
    }
  }
  const AtA = new Float64Array(p * p), Aty = new Float64Array(p)
  let rows = 0
  // errors in the read states make the measured A^T A too large by E[dA^T dA] on average, which
  // pulls the fit toward zero (errors-in-variables); with a known readout error it is subtracted
  const noiseGram = noiseVar > 0 ? new Float64Array(p * p) : null
  forEachRow(t, sets, lay, ({ cols, vals, nnz, dOwn, dOther, other }, y) => {
    rows++
    for (let a = 0; a < nnz; a++) {
      const ca = cols[a], va = vals[a]
      Aty[ca] += va * y
      for (let b = 0; b < nnz; b++) AtA[ca * p + cols[b]] += va * vals[b]
      if (noiseGram) {
        for (let b = 0; b < nnz; b++) {
          let g = dOwn[a] * dOwn[b]
          if (other[a] >= 0 && other[a] === other[b]) g += dOther[a] * dOther[b]
          noiseGram[ca * p + cols[b]] += g * noiseVar
        }
      }
    }
  })
  if (noiseGram) for (let c = 0; c < p * p; c++) AtA[c] -= noiseGram[c]
  if (rows <= p) throw new RangeError(`${rows} equations for ${p} unknowns: probe more equilibria`)
  // normalise columns so the eigenvalue test measures identifiability, not units
  const d = new Float64Array(p)
  for (let c = 0; c < p; c++) d[c] = AtA[c * p + c] > 0 ? 1 / Math.sqrt(AtA[c * p + c]) : 0
  for (let c = 0; c < p; c++) if (d[c] === 0) throw new RangeError(`${describe(lay.columns[c], t)} appears in no equation`)
  const N = new Float64Array(p * p)
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) N[a * p + b] = AtA[a * p + b] * d[a] * d[b]
  const eig = symmetricEigen(N, p)
  const lmin = eig.values[0], lmax = eig.values[p - 1]
  if (!(lmin > ILL_POSED_RATIO * lmax)) {
    const v = eig.vectors.subarray(0, p)
    const worst = Array.from(v, (x, c) => [Math.abs(x), c] as const).sort((a, b) => b[0] - a[0]).slice(0, 3).map(([, c]) => describe(lay.columns[c], t))
    const why = noiseGram ? 'the probes do not determine every parameter, or the readout error is too large for them' : 'the probes do not determine every parameter'
    throw new RangeError(`${why} (condition ${(lmax / Math.max(lmin, 1e-300)).toExponential(2)}); weakest combination: ${worst.join(', ')}`)
  }
  // (A^T A)^-1 = D V diag(1/lambda) V^T D
  const inv = new Float64Array(p * p)
  for (let k = 0; k < p; k++) {
    const vk = eig.vectors.subarray(k * p, (k + 1) * p), il = 1 / eig.values[k]
    for (let a = 0; a < p; a++) {
      const s = vk[a] * il
      if (s === 0) continue
      for (let b = 0; b < p; b++) inv[a * p + b] += s * vk[b]
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) inv[a * p + b] *= d[a] * d[b]
  const theta = new Float64Array(p)
  for (let a = 0; a < p; a++) { let s = 0; for (let b = 0; b < p; b++) s += inv[a * p + b] * Aty[b]; theta[a] = s }
  // residuals, and per equilibrium the score A_e^T r_e: a state's readout error enters the equations
  // of all its neighbours, so the equations of one equilibrium are correlated and not equally noisy
  let rss = 0, eqs = 0, cur = -1
  const meat = new Float64Array(p * p), score = new Float64Array(p)
  const flush = () => {
    for (let a = 0; a < p; a++) { const sa = score[a]; if (sa !== 0) for (let b = 0; b < p; b++) meat[a * p + b] += sa * score[b] }
    score.fill(0)
  }
  forEachRow(t, sets, lay, ({ cols, vals, nnz }, y, eq) => {
    if (eq !== cur) { if (cur >= 0) flush(); cur = eq; eqs++ }
    let r = -y
    for (let a = 0; a < nnz; a++) r += vals[a] * theta[cols[a]]
    rss += r * r
    for (let a = 0; a < nnz; a++) score[cols[a]] += vals[a] * r
  })
  flush()
  const residualVariance = rss / (rows - p)
  // cluster-robust (sandwich) covariance with the usual small-sample factor; it reduces to
  // residualVariance x (A^T A)^-1 when every equation is independent with one noise level
  const scale = eqs > 1 ? (eqs / (eqs - 1)) * ((rows - 1) / (rows - p)) : 1
  const tmp = new Float64Array(p * p), cov = new Float64Array(p * p)
  for (let a = 0; a < p; a++) for (let k = 0; k < p; k++) { const v = inv[a * p + k]; if (v !== 0) for (let b = 0; b < p; b++) tmp[a * p + b] += v * meat[k * p + b] }
  for (let a = 0; a < p; a++) for (let k = 0; k < p; k++) { const v = tmp[a * p + k]; if (v !== 0) for (let b = 0; b < p; b++) cov[a * p + b] += v * inv[k * p + b] * scale }
  const sigma = new Float64Array(p), sigmaClassic = new Float64Array(p)
  for (let c = 0; c < p; c++) { sigma[c] = Math.sqrt(cov[c * p + c]); sigmaClassic[c] = Math.sqrt(residualVariance * inv[c * p + c]) }
  return {
    model, columns: lay.columns, theta, cov, sigma, sigmaClassic, rows, residualVariance, residualRms: Math.sqrt(rss / rows),
    condition: lmax / lmin, unobservedEdges: lay.unobservedEdges,
    edgeColumn: lay.edgeColumn, offsetColumn: lay.offsetColumn, biasColumn: lay.biasColumn,
  }
}

function describe(c: FitColumn, t: FitTopology): string {
  if (c.kind === 'hx' || c.kind === 'hy') return `bias ${c.kind} of node ${c.index}`
  return `${c.kind === 'w' ? 'coupling' : c.kind} of edge ${c.index} [${t.edges[c.index]}]`
}

/**
 * The physical couplings the fit predicts for setpoints s (affine: g s + d; direct: the fitted W, s
 * ignored) and their standard errors. Unobserved edges get `fallback` (default: the setpoint) and sigma NaN.
 */
export function couplingsAt(fit: XyFit, setpoints: Float64Array, fallback: Float64Array = setpoints): { w: Float64Array; sigma: Float64Array } {
  const m = fit.edgeColumn.length, p = fit.columns.length
  const w = new Float64Array(m), sigma = new Float64Array(m)
  for (let k = 0; k < m; k++) {
    const c = fit.edgeColumn[k], o = fit.offsetColumn[k]
    if (c < 0) { w[k] = fallback[k]; sigma[k] = NaN; continue }
    if (o < 0) { w[k] = fit.theta[c]; sigma[k] = fit.sigma[c]; continue }
    const s = setpoints[k]
    w[k] = fit.theta[c] * s + fit.theta[o]
    sigma[k] = Math.sqrt(Math.max(0, s * s * fit.cov[c * p + c] + fit.cov[o * p + o] + 2 * s * fit.cov[c * p + o]))
  }
  return { w, sigma }
}

/**
 * Gain and offset per edge (affine fit; a direct fit reports gain = W / s where s != 0 and offset 0,
 * the multiplicative reading of a single setpoint). Unobserved edges: gain 1, offset 0.
 */
export function gainsOf(fit: XyFit, setpoints: Float64Array): { gain: Float64Array; offset: Float64Array; gainSigma: Float64Array; offsetSigma: Float64Array } {
  const m = fit.edgeColumn.length
  const gain = new Float64Array(m).fill(1), offset = new Float64Array(m), gainSigma = new Float64Array(m).fill(NaN), offsetSigma = new Float64Array(m).fill(NaN)
  for (let k = 0; k < m; k++) {
    const c = fit.edgeColumn[k], o = fit.offsetColumn[k]
    if (c < 0) continue
    if (o >= 0) {
      gain[k] = fit.theta[c]; gainSigma[k] = fit.sigma[c]; offset[k] = fit.theta[o]; offsetSigma[k] = fit.sigma[o]
    } else if (setpoints[k] !== 0) {
      gain[k] = fit.theta[c] / setpoints[k]; gainSigma[k] = fit.sigma[c] / Math.abs(setpoints[k]); offsetSigma[k] = 0
    }
  }
  return { gain, offset, gainSigma, offsetSigma }
}

/** Bias strength h, direction psi (rad) and the standard error of h per node; clamped nodes keep `h0`, `psi0`. */
export function biasOf(fit: XyFit, h0: Float64Array, psi0: Float64Array): { h: Float64Array; psi: Float64Array; hSigma: Float64Array } {
  const n = fit.biasColumn.length, p = fit.columns.length
  const h = h0.slice(), psi = psi0.slice(), hSigma = new Float64Array(n).fill(NaN)
  for (let i = 0; i < n; i++) {
    const c = fit.biasColumn[i]
    if (c < 0) continue
    const x = fit.theta[c], y = fit.theta[c + 1], r = Math.hypot(x, y)
    h[i] = r
    psi[i] = Math.atan2(y, x)
    // first-order propagation through r = |(hx, hy)|; at r = 0 the larger axis error
    hSigma[i] = r > 0
      ? Math.sqrt(Math.max(0, (x * x * fit.cov[c * p + c] + y * y * fit.cov[(c + 1) * p + c + 1] + 2 * x * y * fit.cov[c * p + c + 1]) / (r * r)))
      : Math.max(fit.sigma[c], fit.sigma[c + 1])
  }
  return { h, psi, hSigma }
}

/**
 * The setpoints that make the board's physical couplings equal `desired`: (desired - d) / g per edge
 * (the inverse of the affine path); edges with |g| below minGain keep `desired`.
 */
export function setpointsFor(desired: Float64Array, gain: Float64Array, offset: Float64Array, minGain = 0.05): Float64Array {
  const s = new Float64Array(desired.length)
  for (let k = 0; k < s.length; k++) s[k] = Math.abs(gain[k]) >= minGain ? (desired[k] - offset[k]) / gain[k] : desired[k]
  return s
}
