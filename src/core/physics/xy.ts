// XY (coupled phase oscillator) physics: energy, force, cost, nudge and the local derivatives that
// EqProp contrasts. Shared by the simulator and by the engine, so hardware and simulation agree.
import type { Network } from '../network/network.ts'
import { compileTopology } from '../network/compile.ts'
import type { HessianSink } from '../solvers/band.ts'
import { sinCosInto } from './sincos.ts'
import { findDenseBlocks, WALK_MIN_EDGES, type DenseBlock } from './dense-blocks.ts'
import { XyWasmKernel } from './xy-wasm.ts'

/** A network compiled to typed arrays; the hot loops read only this. */
export interface XyNet {
  readonly n: number
  readonly m: number
  readonly ei: Uint32Array
  readonly ej: Uint32Array
  /** couplings W_e (dimensionless energy scale) */
  readonly w: Float64Array
  /** bias field strengths h_i */
  readonly h: Float64Array
  /** bias directions psi_i (rad) */
  readonly psi: Float64Array
  readonly inputs: Uint32Array
  readonly outputs: Uint32Array
  /** 1 on clamped (input) nodes, which never move */
  readonly clamped: Uint8Array
  /** true when some h_i != 0; lets the kernels skip the bias loop */
  hasBias: boolean
  /** h_i cos(psi_i) and h_i sin(psi_i): the bias as a fixed field vector, so kernels need no extra trig */
  readonly hx: Float64Array
  readonly hy: Float64Array
  /** per-node cos/sin scratch: trig once per node, not once per edge */
  readonly cs: Float64Array
  readonly sn: Float64Array
  /** dense layer blocks of the edge list in edge order (absent = none): walked without index gathers */
  readonly blocks?: readonly DenseBlock[]
  /** the WebAssembly SIMD kernel whose memory holds w, ei, ej, hx, hy, cs, sn (absent: JS loops) */
  readonly kernel?: XyWasmKernel
}

/** How compileXy builds the force kernel: 'auto' = WebAssembly SIMD where the engine has it, 'js' = JS loops. */
export type XyKernelKind = 'auto' | 'js'


/** Compiles a validated network description into typed arrays. */
export function compileXy(net: Network, kernelKind: XyKernelKind = 'auto'): XyNet {
  const n = net.nodes, m = net.edges.length
  const topo = compileTopology(net), clamped = topo.clamped
  const h = new Float64Array(n), psi = new Float64Array(n)
  if (net.bias) { h.set(net.bias.h); psi.set(net.bias.psi) }
  const kernel = kernelKind === 'auto' ? XyWasmKernel.create(n, m) ?? undefined : undefined
  let ei = topo.ei, ej = topo.ej, w: Float64Array = Float64Array.from(net.weights)
  if (kernel) { kernel.ei.set(ei); kernel.ej.set(ej); kernel.w.set(w); ({ ei, ej, w } = kernel) }
  const x: XyNet = {
    n, m, ei, ej, w, h, psi,
    inputs: Uint32Array.from(net.inputs), outputs: Uint32Array.from(net.outputs), clamped,
    hasBias: false, hx: kernel?.hx ?? new Float64Array(n), hy: kernel?.hy ?? new Float64Array(n),
    cs: kernel?.cs ?? new Float64Array(n), sn: kernel?.sn ?? new Float64Array(n),
    blocks: findDenseBlocks({ m, ei, ej }, WALK_MIN_EDGES), kernel,
  }
  kernel?.setClamped(clamped)
  refreshBias(x)
  return x
}

/** Re-derives the cached bias field after h or psi changed in place. */
export function refreshBias(net: XyNet): void {
  let any = false
  for (let i = 0; i < net.n; i++) {
    const h = net.h[i]
    if (h !== 0) any = true
    net.hx[i] = h * Math.cos(net.psi[i])
    net.hy[i] = h * Math.sin(net.psi[i])
  }
  net.hasBias = any
}

function fillTrig(net: XyNet, phi: Float64Array, off: number): void {
  if (net.kernel) net.kernel.trig(phi, off)
  else sinCosInto(phi, off, net.n, net.cs, net.sn)
}

/** Internal energy E = -sum_e W_e cos(phi_i - phi_j) - sum_i h_i cos(phi_i - psi_i) of sample at `off`. */
export function xyEnergy(net: XyNet, phi: Float64Array, off: number): number {
  fillTrig(net, phi, off)
  const { m, ei, ej, w, cs, sn } = net
  let e = 0
  // edge order is kept (blocks are contiguous runs), so the sum is the same to the bit as a plain loop
  let k = 0
  for (const blk of net.blocks ?? []) {
    for (; k < blk.edgeOff; k++) {
      const i = ei[k], j = ej[k]
      e -= w[k] * (cs[i] * cs[j] + sn[i] * sn[j])
    }
    const { aOff, a, bOff, b } = blk
    for (let i = 0; i < a; i++) {
      const ci = cs[aOff + i], si = sn[aOff + i]
      for (let j = 0; j < b; j++, k++) e -= w[k] * (ci * cs[bOff + j] + si * sn[bOff + j])
    }
  }
  for (; k < m; k++) {
    const i = ei[k], j = ej[k]
    e -= w[k] * (cs[i] * cs[j] + sn[i] * sn[j])
  }
  if (net.hasBias) {
    // h cos(phi - psi) = hx cos(phi) + hy sin(phi)
    const { n, hx, hy } = net
    for (let i = 0; i < n; i++) e -= hx[i] * cs[i] + hy[i] * sn[i]
  }
  return e
}

/** dE/dphi (per rad) on every node, clamped ones included, into out[0..n). */
export function xyEnergyGrad(net: XyNet, phi: Float64Array, off: number, out: Float64Array): Float64Array {
  if (net.kernel) { net.kernel.grad(phi, off, out, net.hasBias); return out }
  fillTrig(net, phi, off)
  const { n, m, ei, ej, w, cs, sn } = net
  if (net.hasBias) {
    // h sin(phi - psi) = hx sin(phi) - hy cos(phi)
    const { hx, hy } = net
    for (let i = 0; i < n; i++) out[i] = hx[i] * sn[i] - hy[i] * cs[i]
  } else {
    for (let i = 0; i < n; i++) out[i] = 0
  }
  for (let k = 0; k < m; k++) {
    const i = ei[k], j = ej[k]
    // sin(phi_i - phi_j) from the per-node trig cache
    const s = w[k] * (sn[i] * cs[j] - cs[i] * sn[j])
    out[i] += s
    out[j] -= s
  }
  return out
}

/** Cost C = -sum_out log(1 + cos(phi_o - tau_o)) against target phases tau[tauOff ..]. */
export function xyCost(net: XyNet, phi: Float64Array, off: number, tau: ArrayLike<number>, tauOff: number): number {
  const { outputs } = net
  let c = 0
  for (let k = 0; k < outputs.length; k++) c -= Math.log(1 + Math.cos(phi[off + outputs[k]] - tau[tauOff + k]))
  return c
}

/** Adds scale * dC/dphi = scale * tan((phi_o - tau_o)/2) on the output nodes of out. */
export function xyAddCostGrad(net: XyNet, phi: Float64Array, off: number, tau: ArrayLike<number>, tauOff: number, scale: number, out: Float64Array): void {
  const { outputs } = net
  for (let k = 0; k < outputs.length; k++) {
    const o = outputs[k]
    out[o] += scale * Math.tan(0.5 * (phi[off + o] - tau[tauOff + k]))
  }
}

/** Monitoring distance D = 1/2 sum_out (1 - cos(phi_o - tau_o)); never used for forces. */
export function xyDistance(net: XyNet, phi: Float64Array, off: number, tau: ArrayLike<number>, tauOff: number): number {
  const { outputs } = net
  let d = 0
  for (let k = 0; k < outputs.length; k++) d += 1 - Math.cos(phi[off + outputs[k]] - tau[tauOff + k])
  return 0.5 * d
}

/** dE/dW_e = -cos(phi_i - phi_j) per edge into out[0..m). */
export function xyEdgeObservable(net: XyNet, phi: Float64Array, off: number, out: Float64Array): Float64Array {
  fillTrig(net, phi, off)
  const { m, ei, ej, cs, sn } = net
  for (let k = 0; k < m; k++) {
    const i = ei[k], j = ej[k]
    out[k] = -(cs[i] * cs[j] + sn[i] * sn[j])
  }
  return out
}

/** dE/dh_i = -cos(phi_i - psi_i) and dE/dpsi_i = -h_i sin(phi_i - psi_i) into outH, outPsi. */
export function xyBiasObservable(net: XyNet, phi: Float64Array, off: number, outH: Float64Array, outPsi: Float64Array): void {
  const { n, h, psi } = net
  for (let i = 0; i < n; i++) {
    const d = phi[off + i] - psi[i]
    outH[i] = -Math.cos(d)
    outPsi[i] = -h[i] * Math.sin(d)
  }
}

/**
 * Hessian of E + beta*C (beta = 0 for none) into a band matrix, with clamped rows and columns
 * replaced by the identity so that a Newton solve leaves clamped nodes where they are.
 */
export function xyHessian(net: XyNet, phi: Float64Array, off: number, beta: number, tau: ArrayLike<number> | null, tauOff: number, H: HessianSink): void {
  fillTrig(net, phi, off)
  const { n, m, ei, ej, w, cs, sn, clamped } = net
  H.zero()
  for (let k = 0; k < m; k++) {
    const i = ei[k], j = ej[k]
    const c = w[k] * (cs[i] * cs[j] + sn[i] * sn[j])
    if (!clamped[i]) H.add(i, i, c)
    if (!clamped[j]) H.add(j, j, c)
    if (!clamped[i] && !clamped[j]) H.add(i, j, -c)
  }
  if (net.hasBias) {
    const { hx, hy } = net
    for (let i = 0; i < n; i++) if (!clamped[i]) H.add(i, i, hx[i] * cs[i] + hy[i] * sn[i])
  }
  if (beta !== 0 && tau) {
    // d^2/dphi^2 of -log(1 + cos d) = 1 / (1 + cos d)
    const { outputs } = net
    for (let k = 0; k < outputs.length; k++) {
      const o = outputs[k]
      if (!clamped[o]) H.add(o, o, beta / (1 + Math.cos(phi[off + o] - tau[tauOff + k])))
    }
  }
  for (let i = 0; i < n; i++) if (clamped[i]) H.add(i, i, 1)
}
