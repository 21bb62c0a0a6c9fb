// Batched (lockstep) relaxation of a layered resistor network: a whole batch of samples relaxes
// together over [samples, free nodes] typed arrays, the input sources folded for the whole batch as
// one product [B, inputs] x [inputs, first layer], each sweep updating one layer of every active
// sample at a time, settled samples dropping out.
//
// Why this is the per-sample coordinate descent, bit for bit. A layered net has no coupling inside a
// layer, so a layer's nodes are independent given the neighbouring layers: updating them all at once
// is the exact minimisation of E over that block (each node's nodal update clipped by its diode), and
// a node-order sweep of relaxResistorFolded visits the layers in the same order (node ids ascend layer
// by layer). The layered builder emits each layer pair as one row-major block, so a node's adjacency
// lists the previous layer's edges (upstream index ascending) before the next layer's (downstream index
// ascending): the loops below add the same products g (r V) to the same starting value in the same
// order, and the fold adds the input products in edge order, as foldResistorInputs does. Same voltages,
// sweep counts and energy terms, to the last bit (test/core/physics/resistor-lockstep.test.ts).
import { findDenseBlocks, type DenseBlock } from './dense-blocks.ts'
import type { ResNet } from './resistor.ts'

/** Per-sample outcome of relaxResistorLockstep, for samples 0 .. B-1 (arrays of at least B entries). */
export interface ResistorLockstepStats {
  settled: Uint8Array
  sweeps: Float64Array
  maxChange: Float64Array
}

/** The nudge of one lockstep relaxation: a conductance beta (S) to targets y [B, outputs] (V), and/or currents ext [B, n] (A). */
export interface ResistorLockstepNudge {
  beta: number
  y: ArrayLike<number> | null
  ext: ArrayLike<number> | null
}

/**
 * The layer plan of a layered resistor network and its batch arrays. Build with ResistorLockstep.build
 * (a string = why the network does not qualify); refresh() after the conductances change; fold() the
 * batch's inputs; load start voltages into v; relax().
 */
export class ResistorLockstep {
  /** free layers (layer 0 = the inputs) */
  readonly L: number
  /** node id of each layer's first node, and each layer's size (index 0 = inputs) */
  readonly nodeOff: Int32Array
  readonly size: Int32Array
  /** offset of layer l (l >= 1) in a sample's free-node row, and the row length */
  readonly freeOff: Int32Array
  readonly nf: number
  /** blocks[l] couples layer l (upstream, the edge's ei) to layer l + 1 */
  private readonly blocks: DenseBlock[]
  /** for input node nodeOff[0] + t: its column in a request's inputs row */
  readonly inCol: Int32Array
  /** source factor G (c at the input end over c at the free end) */
  private readonly r0: number
  /** rDown[l]: factor on layer l's voltage in layer l + 1's equation (A, or 1); rUp[l]: on layer l + 1's in layer l's (1/A) */
  private readonly rDown: Float64Array
  private readonly rUp: Float64Array
  /** |g| of block l >= 1 as [size l, size l+1] and transposed [size l+1, size l]; refreshed per call */
  private readonly g: Float64Array[]
  private readonly gT: Float64Array[]
  /** per free node (row order): leak + every |g|, in edge order as foldResistorInputs sums it */
  readonly den: Float64Array
  /** per node: input conductance sum (S), as the fold's gIn (zero off the first layer) */
  readonly gIn: Float64Array
  /** the node id of each free row entry */
  readonly freeNode: Int32Array
  private readonly outIdx: Int32Array
  private readonly acc: Float64Array
  /** per node scratch of refresh() */
  private readonly denAll: Float64Array
  /** batch arrays, grown by ensure(): free voltages [B, nf] (V); first-layer drive num0 and input current iIn [B, size 1]; energy constant c0 [B] */
  v = new Float64Array(0)
  num0 = new Float64Array(0)
  iIn = new Float64Array(0)
  c0 = new Float64Array(0)
  private active = new Int32Array(0)
  private capacity = 0
  /** sample-sweeps done since creation (a settled sample adds none): for tests and benchmarks */
  sampleSweeps = 0

  private constructor(private readonly net: ResNet, blocks: DenseBlock[], outIdx: Int32Array) {
    const L = blocks.length
    this.L = L
    this.blocks = blocks
    this.nodeOff = Int32Array.from([blocks[0].aOff, ...blocks.map((b) => b.bOff)])
    this.size = Int32Array.from([blocks[0].a, ...blocks.map((b) => b.b)])
    this.freeOff = new Int32Array(L + 1)
    let nf = 0
    for (let l = 1; l <= L; l++) { this.freeOff[l] = nf; nf += this.size[l] }
    this.nf = nf
    this.freeNode = new Int32Array(nf)
    for (let l = 1; l <= L; l++) for (let i = 0; i < this.size[l]; i++) this.freeNode[this.freeOff[l] + i] = this.nodeOff[l] + i
    const col = new Int32Array(net.n).fill(-1)
    net.inputs.forEach((node, k) => { col[node] = k })
    this.inCol = Int32Array.from({ length: this.size[0] }, (_, t) => col[this.nodeOff[0] + t])
    const e0 = blocks[0].edgeOff
    this.r0 = net.ci[e0] / net.cj[e0]
    this.rDown = Float64Array.from(blocks, (b) => net.ci[b.edgeOff] / net.cj[b.edgeOff])
    this.rUp = Float64Array.from(blocks, (b) => net.cj[b.edgeOff] / net.ci[b.edgeOff])
    this.g = blocks.map((b, l) => new Float64Array(l === 0 ? 0 : b.a * b.b))
    this.gT = blocks.map((b, l) => new Float64Array(l === 0 ? 0 : b.a * b.b))
    this.den = new Float64Array(nf)
    this.gIn = new Float64Array(net.n)
    this.outIdx = outIdx
    this.acc = new Float64Array(Math.max(...this.size))
    this.denAll = new Float64Array(net.n)
  }

  /**
   * The plan of a compiled resistor network whose edges are consecutive dense blocks inputs -> layer 1
   * -> ... -> layer L (node ids ascending layer by layer, one gain factor per block side), or a
   * sentence saying why not (then relax sample by sample).
   */
  static build(net: ResNet, outIdx: Int32Array): ResistorLockstep | string {
    const { m, n, ci, cj, clamped } = net
    if (m === 0) return 'not a layered network: no couplings'
    const blocks = findDenseBlocks(net, 1)
    let covered = 0
    for (const b of blocks) covered += b.a * b.b
    if (covered !== m) return 'not a layered network: the couplings are not consecutive fully coupled layer pairs'
    const b0 = blocks[0]
    if (b0.a !== net.inputs.length) return 'not a layered network: the first layer pair does not start at the inputs'
    for (let t = 0; t < b0.a; t++) if (!clamped[b0.aOff + t]) return 'not a layered network: the first layer pair does not start at the inputs'
    let free = 0
    for (let l = 0; l < blocks.length; l++) {
      const b = blocks[l]
      if (l > 0 && (b.aOff !== blocks[l - 1].bOff || b.a !== blocks[l - 1].b)) return `not a layered network: layer pair ${l} does not continue from layer ${l}`
      if (l > 0 && b.bOff < b.aOff + b.a) return 'not a layered network: layers are not in ascending node order'
      for (let j = 0; j < b.b; j++) if (clamped[b.bOff + j]) return `not a layered network: an input node sits in layer ${l + 1}`
      free += b.b
      // one source/amplifier factor per block side, so a whole layer's products share it
      for (let k = b.edgeOff; k < b.edgeOff + b.a * b.b; k++) {
        if (ci[k] !== ci[b.edgeOff] || cj[k] !== cj[b.edgeOff]) return `layer pair ${l} has more than one gain`
      }
    }
    if (free !== n - net.inputs.length) return 'not a layered network: some free nodes are in no layer'
    return new ResistorLockstep(net, blocks, outIdx)
  }

  /** Re-reads the conductances (after setParams or drift): |g| blocks, per-node totals. O(couplings). */
  refresh(): void {
    const { n, m, ei, ej, w, clamped, leak } = this.net
    // per-node sums in edge order, exactly as foldResistorInputs adds them
    const den = this.denAll, gIn = this.gIn
    gIn.fill(0)
    for (let i = 0; i < n; i++) den[i] = clamped[i] ? 0 : leak
    for (let k = 0; k < m; k++) {
      const i = ei[k], j = ej[k], g = Math.abs(w[k]), Ci = clamped[i], Cj = clamped[j]
      if (!Ci) { den[i] += g; if (Cj) gIn[i] += g }
      if (!Cj) { den[j] += g; if (Ci) gIn[j] += g }
    }
    for (let f = 0; f < this.nf; f++) this.den[f] = den[this.freeNode[f]]
    for (let l = 1; l < this.L; l++) {
      const b = this.blocks[l], A = b.a, Bn = b.b, g = this.g[l], gT = this.gT[l]
      for (let i = 0; i < A; i++) {
        for (let j = 0; j < Bn; j++) {
          const v = Math.abs(w[b.edgeOff + i * Bn + j])
          g[i * Bn + j] = v
          gT[j * A + i] = v
        }
      }
    }
  }

  /** Grows the batch arrays to hold B samples (no allocation when they already do). */
  ensure(B: number): void {
    if (B <= this.capacity) return
    const s1 = this.size[1]
    this.v = new Float64Array(B * this.nf)
    this.num0 = new Float64Array(B * s1)
    this.iIn = new Float64Array(B * s1)
    this.c0 = new Float64Array(B)
    this.active = new Int32Array(B)
    this.capacity = B
  }

  /**
   * Folds the input sources of B samples (inputs [B, nIn], V) into the first layer's constant drive
   * num0 = b + sum w G x (A), input current iIn and energy constant c0 (J): the product
   * [B, inputs] x [inputs, layer 1], summed per node in edge order (inputs ascending).
   */
  fold(inputs: ArrayLike<number>, B: number, nIn: number): void {
    this.ensure(B)
    const bias = this.net.b, s1 = this.size[1], o1 = this.nodeOff[1]
    const num0 = this.num0, iIn = this.iIn
    for (let r = 0; r < B; r++) {
      const row = r * s1
      for (let j = 0; j < s1; j++) { num0[row + j] = bias[o1 + j]; iIn[row + j] = 0 }
    }
    // two samples at a time share each coupling's load; each keeps its own sums in its own order
    let r = 0
    for (; r + 1 < B; r += 2) this.foldPair(inputs, nIn, r)
    if (r < B) this.foldOne(inputs, nIn, r)
  }

  /** fold() of sample r alone (c0 = its energy constant, J). */
  private foldOne(inputs: ArrayLike<number>, nIn: number, r: number): void {
    const s0 = this.size[0], s1 = this.size[1], e0 = this.blocks[0].edgeOff, r0 = this.r0, inCol = this.inCol
    let c0 = 0
    for (let t = 0; t < s0; t++) {
      const x = r0 * inputs[r * nIn + inCol[t]]
      // a zero source adds exact zeros (the sums and c0 are unchanged): skip its row
      if (x !== 0) c0 = this.foldSource(e0 + t * s1, x, r * s1, c0)
    }
    this.c0[r] = 0.5 * c0
  }

  /** Adds source x (V) through coupling row wr to the hidden sums of the sample at row; returns c with its energy terms added in order. */
  private foldSource(wr: number, x: number, row: number, c: number): number {
    const { w, ns } = this.net
    const s1 = this.size[1], o1 = this.nodeOff[1], num0 = this.num0, iIn = this.iIn
    for (let j = 0; j < s1; j++) {
      const wk = w[wr + j], gu = wk * x
      num0[row + j] += gu
      iIn[row + j] += gu
      c += ns[o1 + j] * (Math.abs(wk) * x * x)
    }
    return c
  }

  /** fold() of samples r and r + 1 together: the same additions per sample as foldOne, interleaved. */
  private foldPair(inputs: ArrayLike<number>, nIn: number, r: number): void {
    const { w, ns } = this.net
    const s0 = this.size[0], s1 = this.size[1], o1 = this.nodeOff[1], e0 = this.blocks[0].edgeOff, r0 = this.r0, inCol = this.inCol
    const num0 = this.num0, iIn = this.iIn, ra = r * s1, rb = ra + s1
    let ca = 0, cb = 0
    for (let t = 0; t < s0; t++) {
      const xa = r0 * inputs[r * nIn + inCol[t]], xb = r0 * inputs[(r + 1) * nIn + inCol[t]]
      const wr = e0 + t * s1
      if (xa !== 0 && xb !== 0) {
        for (let j = 0; j < s1; j++) {
          const wk = w[wr + j], g = Math.abs(wk), s = ns[o1 + j], ga = wk * xa, gb = wk * xb
          num0[ra + j] += ga
          iIn[ra + j] += ga
          ca += s * (g * xa * xa)
          num0[rb + j] += gb
          iIn[rb + j] += gb
          cb += s * (g * xb * xb)
        }
      } else if (xa !== 0) {
        ca = this.foldSource(wr, xa, ra, ca)
      } else if (xb !== 0) {
        cb = this.foldSource(wr, xb, rb, cb)
      }
    }
    this.c0[r] = 0.5 * ca
    this.c0[r + 1] = 0.5 * cb
  }

  /**
   * Relaxes samples 0 .. B-1 of v in place: sweeps of exact block coordinate descent, layer by layer
   * over every active sample, until no node of a sample moves more than tol (V) in a sweep or it has
   * had maxSweeps; a settled sample stops costing work. Needs fold() on the same batch first.
   */
  relax(B: number, nudge: ResistorLockstepNudge, tol: number, maxSweeps: number, st: ResistorLockstepStats): void {
    const { n, b: bias, diode } = this.net
    const { L, size, nodeOff, freeOff, nf, den, v, num0, acc, outIdx, rDown, rUp, g, gT, active } = this
    const { beta, y, ext } = nudge
    const nOut = this.net.outputs.length
    const s1 = size[1]
    let nAct = 0
    for (let r = 0; r < B; r++) {
      st.sweeps[r] = 0
      st.maxChange[r] = Infinity
      st.settled[r] = 0
      if (maxSweeps > 0) active[nAct++] = r
    }
    const mc = st.maxChange
    while (nAct > 0) {
      for (let a = 0; a < nAct; a++) mc[active[a]] = 0
      for (let l = 1; l <= L; l++) {
        const S = size[l], fo = freeOff[l], no = nodeOff[l]
        const hasPrev = l > 1, hasNext = l < L
        const P = hasPrev ? size[l - 1] : 0, Q = hasNext ? size[l + 1] : 0
        const gp = hasPrev ? g[l - 1] : acc, gn = hasNext ? gT[l] : acc
        const rd = hasPrev ? rDown[l - 1] : 0, ru = hasNext ? rUp[l] : 0
        const po = hasPrev ? freeOff[l - 1] : 0, qo = hasNext ? freeOff[l + 1] : 0
        for (let a = 0; a < nAct; a++) {
          const r = active[a], vr = r * nf
          if (l === 1) for (let i = 0; i < S; i++) acc[i] = num0[r * s1 + i]
          else for (let i = 0; i < S; i++) acc[i] = bias[no + i]
          // the previous layer's products, upstream node ascending (as the adjacency lists them)
          for (let p = 0; p < P; p++) {
            const rv = rd * v[vr + po + p], gr = p * S
            for (let i = 0; i < S; i++) acc[i] += gp[gr + i] * rv
          }
          // then the next layer's, downstream node ascending
          for (let q = 0; q < Q; q++) {
            const rv = ru * v[vr + qo + q], gr = q * S
            for (let i = 0; i < S; i++) acc[i] += gn[gr + i] * rv
          }
          let change = mc[r]
          for (let i = 0; i < S; i++) {
            const node = no + i, ko = outIdx[node]
            let num = acc[i], d = den[fo + i]
            if (ko >= 0 && beta !== 0 && y) { num += beta * y[r * nOut + ko]; d += beta }
            if (ext) num += ext[r * n + node]
            let nv = num / d
            if (diode[node] > 0 && nv < 0) nv = 0
            else if (diode[node] < 0 && nv > 0) nv = 0
            const dv = Math.abs(nv - v[vr + fo + i])
            if (dv > change) change = dv
            v[vr + fo + i] = nv
          }
          mc[r] = change
        }
      }
      // a sample leaves the active list as soon as it settles or runs out of sweeps
      let keep = 0
      for (let a = 0; a < nAct; a++) {
        const r = active[a]
        st.sweeps[r]++
        if (st.sweeps[r] < maxSweeps && mc[r] > tol) active[keep++] = r
      }
      this.sampleSweeps += nAct
      nAct = keep
    }
    for (let r = 0; r < B; r++) st.settled[r] = mc[r] <= tol ? 1 : 0
  }
}
