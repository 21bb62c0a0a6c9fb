// What a builder is asked for: one schema shared by the CLI string, config files and REST bodies.
import { z } from 'zod'
import { formatIssues } from '../network/network.ts'
import type { Rng } from '../rng/rng.ts'

const Common = {
  weightStd: z.number().positive().optional(),
  /** couplings ~ N(weightMean, std^2): a positive mean starts the network ferromagnetic (one basin
   *  instead of a random-sign glass; docs/explanation/results.md, 15x15 XOR) */
  weightMean: z.number().finite().optional(),
  /** with bias 'random': h ~ U(-biasMax, biasMax) (default 0.5, as the 2402 reference) */
  biasMax: z.number().positive().optional(),
  /** directions (default): h = 0, psi ~ U(-pi, pi), as the reference lattice code; zero: no bias
   *  field at all (exactly rotation- and mirror-symmetric); random: h ~ U(-0.5, 0.5) as well */
  bias: z.enum(['directions', 'zero', 'random']).optional(),
}

const Site = z.tuple([z.int().nonnegative(), z.int().nonnegative()])

export const AllToAllSpec = z.strictObject({ kind: z.literal('all-to-all'), nodes: z.int().min(2), ...Common })
export type AllToAllSpec = z.infer<typeof AllToAllSpec>

export const LayeredSpec = z.strictObject({ kind: z.literal('layered'), sizes: z.array(z.int().min(1)).min(2), ...Common })
export type LayeredSpec = z.infer<typeof LayeredSpec>

export const LatticeSpec = z.strictObject({
  kind: z.literal('lattice'),
  rows: z.int().positive(),
  cols: z.int().positive(),
  neighbours: z.union([z.literal(4), z.literal(8)]).default(4),
  skips: z.array(z.int().min(2)).default([]),
  inputSites: z.array(Site).optional(),
  outputSites: z.array(Site).optional(),
  ...Common,
})
export type LatticeSpec = z.infer<typeof LatticeSpec>

// paper scale
/** L stacked R x C lattices; `radius` r bonds (r,c) of layer l to the (2r+1)^2 window around (r,c) of layer l+1. */
export const StackedSpec = z.strictObject({
  kind: z.literal('stacked'),
  layers: z.int().positive(),
  rows: z.int().positive(),
  cols: z.int().positive(),
  neighbours: z.union([z.literal(0), z.literal(4), z.literal(8)]).default(4),
  radius: z.int().nonnegative().default(1),
  ...Common,
})
export type StackedSpec = z.infer<typeof StackedSpec>

/** One locally connected layer: output channels, square kernel side, stride. */
export const LclLayer = z.strictObject({ channels: z.int().positive(), kernel: z.int().positive(), stride: z.int().positive() })
export type LclLayer = z.infer<typeof LclLayer>

/** Input image height x width -> locally connected layers -> dense to the outputs; with `tied` the
 *  local layers share one kernel per layer (CNN-like, the reference's Conv2D): every bond of the same
 *  (output channel, input channel, kernel offset) is one trainable parameter. */
export const LclSpec = z.strictObject({
  kind: z.literal('lcl'),
  height: z.int().positive(),
  width: z.int().positive(),
  layers: z.array(LclLayer).min(1),
  padding: z.enum(['valid', 'same']).default('valid'),
  tied: z.boolean().optional(),
  ...Common,
})
export type LclSpec = z.infer<typeof LclSpec>

export const BuilderSpec = z.discriminatedUnion('kind', [AllToAllSpec, LayeredSpec, LatticeSpec, StackedSpec, LclSpec])
export type BuilderSpec = z.infer<typeof BuilderSpec>
/** What callers may write: defaulted fields (neighbours, skips) may be left out. */
export type BuilderSpecInput = z.input<typeof BuilderSpec>

/** How many input and output nodes the task needs. */
export interface IoCounts { inputs: number; outputs: number }

/** Parses a spec, throwing RangeError with one `field: problem` line per issue. */
export function parseBuilderSpec(spec: unknown): BuilderSpec {
  const r = BuilderSpec.safeParse(spec)
  if (!r.success) throw new RangeError(`bad network spec: ${formatIssues(r.error)}`)
  return r.data
}

/** Throws RangeError unless io holds whole counts (inputs >= 0, outputs >= 1). */
export function checkIo(io: IoCounts): void {
  if (!Number.isInteger(io.inputs) || io.inputs < 0) throw new RangeError(`io.inputs: ${io.inputs} is not a count >= 0`)
  if (!Number.isInteger(io.outputs) || io.outputs < 1) throw new RangeError(`io.outputs: ${io.outputs} is not a count >= 1`)
}

/**
 * Bias field for `nodes` nodes (h dimensionless, psi in rad), or undefined for 'zero'. Random
 * directions matter even at h = 0: with psi = 0 everywhere and inputs at +-pi/2 the energy is
 * mirror-symmetric, equilibria come out collinear, and the h gradient -cos(phi - psi) vanishes.
 */
export function drawBias(kind: 'directions' | 'zero' | 'random' | undefined, nodes: number, rng: Rng, biasMax = 0.5): { h: number[]; psi: number[] } | undefined {
  if (kind === 'zero') return undefined
  const h = new Array<number>(nodes).fill(0), psi = new Array<number>(nodes)
  if (kind === 'random') for (let i = 0; i < nodes; i++) h[i] = rng.uniform(-biasMax, biasMax)
  for (let i = 0; i < nodes; i++) psi[i] = rng.uniform(-Math.PI, Math.PI)
  return { h, psi }
}

const FORMS =
  "accepted forms: 'all-to-all:N', 'layered:n0,n1,...', 'lattice:RxC' with optional segments " +
  "':n4' | ':n8', ':skip=s1,s2', ':in=r,c;r,c', ':out=r,c;r,c' (lattice only), 'stacked:LxRxC' with ':n0' | ':n4' | ':n8' and ':r=R' " +
  "(inter-layer radius), 'lcl:HxW:cCkKsS[,cCkKsS...]' with ':pad=valid|same' and ':tied' (shared kernels, CNN-like), and for all ':std=X', ':mean=X', ':bias=directions|zero|random', ':hmax=X'"

const INT = /^\d+$/

function fail(s: string, why: string): never {
  throw new RangeError(`bad network string '${s}': ${why}; ${FORMS}`)
}

function ints(s: string, text: string, what: string): number[] {
  const parts = text.split(',')
  if (!parts.every((p) => INT.test(p))) fail(s, `${what} '${text}' is not a comma-separated list of whole numbers`)
  return parts.map(Number)
}

function sites(s: string, text: string, what: string): [number, number][] {
  return text.split(';').map((p) => {
    const rc = ints(s, p, what)
    if (rc.length !== 2) fail(s, `${what} site '${p}' is not 'row,col'`)
    return [rc[0], rc[1]]
  })
}

/** Parses the CLI form, e.g. `lattice:15x15:n8:skip=2:in=6,6;7,10:out=10,8:std=0.1:bias=random`. */
export function parseBuilderString(s: string): BuilderSpec {
  const [head, shape, ...opts] = s.trim().split(':')
  if (shape === undefined || shape === '') fail(s, 'missing the size after the kind')
  const spec: Record<string, unknown> = {}
  if (head === 'all-to-all') {
    if (!INT.test(shape)) fail(s, `node count '${shape}' is not a whole number`)
    Object.assign(spec, { kind: head, nodes: Number(shape) })
  } else if (head === 'layered') {
    Object.assign(spec, { kind: head, sizes: ints(s, shape, 'layer sizes') })
  } else if (head === 'lattice') {
    const m = /^(\d+)x(\d+)$/.exec(shape)
    if (!m) fail(s, `lattice size '${shape}' is not RxC`)
    Object.assign(spec, { kind: head, rows: Number(m[1]), cols: Number(m[2]) })
  } else if (head === 'stacked') {
    const m = /^(\d+)x(\d+)x(\d+)$/.exec(shape)
    if (!m) fail(s, `stack size '${shape}' is not LxRxC`)
    Object.assign(spec, { kind: head, layers: Number(m[1]), rows: Number(m[2]), cols: Number(m[3]) })
  } else if (head === 'lcl') {
    const m = /^(\d+)x(\d+)$/.exec(shape)
    if (!m) fail(s, `input size '${shape}' is not HxW`)
    const layers = (opts.shift() ?? '').split(',').map((t) => {
      const l = /^c(\d+)k(\d+)s(\d+)$/.exec(t)
      if (!l) fail(s, `lcl layer '${t}' is not cCkKsS (channels, kernel, stride)`)
      return { channels: Number(l[1]), kernel: Number(l[2]), stride: Number(l[3]) }
    })
    Object.assign(spec, { kind: head, height: Number(m[1]), width: Number(m[2]), layers })
  } else {
    fail(s, `unknown kind '${head}'`)
  }
  const seen = new Set<string>()
  for (const opt of opts) {
    const eq = opt.indexOf('=')
    const key = eq < 0 ? (opt === 'n0' || opt === 'n4' || opt === 'n8' ? 'n' : opt) : opt.slice(0, eq)
    const val = eq < 0 ? opt : opt.slice(eq + 1)
    if (seen.has(key)) fail(s, `segment '${key}' given twice`)
    seen.add(key)
    if (key === 'std') {
      const v = Number(val)
      if (val === '' || !Number.isFinite(v)) fail(s, `std '${val}' is not a number`)
      spec.weightStd = v
    } else if (key === 'mean') {
      const v = Number(val)
      if (val === '' || !Number.isFinite(v)) fail(s, `mean '${val}' is not a number`)
      spec.weightMean = v
    } else if (key === 'hmax') {
      const v = Number(val)
      if (val === '' || !Number.isFinite(v) || v <= 0) fail(s, `hmax '${val}' is not a positive number`)
      spec.biasMax = v
      spec.bias ??= 'random'
    } else if (key === 'bias') {
      if (val !== 'zero' && val !== 'random' && val !== 'directions') fail(s, `bias '${val}' is not directions, zero or random`)
      spec.bias = val
    } else if (head === 'stacked' && (key === 'n' || key === 'r')) {
      if (key === 'n') spec.neighbours = Number(val.slice(1))
      else if (!INT.test(val)) fail(s, `radius '${val}' is not a whole number`)
      else spec.radius = Number(val)
    } else if (head === 'lcl' && key === 'pad') {
      if (val !== 'valid' && val !== 'same') fail(s, `pad '${val}' is not valid or same`)
      spec.padding = val
    } else if (head === 'lcl' && key === 'tied') {
      if (eq >= 0) fail(s, `tied takes no value (got '${opt}')`)
      spec.tied = true
    } else if (head !== 'lattice' || !['n', 'skip', 'in', 'out'].includes(key)) {
      fail(s, `unknown segment '${opt}' for ${head}`)
    } else if (key === 'n') spec.neighbours = val === 'n8' ? 8 : 4
    else if (key === 'skip') spec.skips = ints(s, val, 'skips')
    else if (key === 'in') spec.inputSites = sites(s, val, 'in')
    else spec.outputSites = sites(s, val, 'out')
  }
  const r = BuilderSpec.safeParse(spec)
  if (!r.success) fail(s, formatIssues(r.error))
  return r.data
}

/** The canonical CLI string for a spec (defaults left out); parseBuilderString inverts it. */
export function formatBuilderSpec(spec: BuilderSpecInput): string {
  const seg: string[] = []
  if (spec.kind === 'all-to-all') seg.push('all-to-all', String(spec.nodes))
  else if (spec.kind === 'layered') seg.push('layered', spec.sizes.join(','))
  else if (spec.kind === 'stacked') {
    seg.push('stacked', `${spec.layers}x${spec.rows}x${spec.cols}`)
    if (spec.neighbours !== undefined && spec.neighbours !== 4) seg.push(`n${spec.neighbours}`)
    if (spec.radius !== undefined && spec.radius !== 1) seg.push(`r=${spec.radius}`)
  } else if (spec.kind === 'lcl') {
    seg.push('lcl', `${spec.height}x${spec.width}`, spec.layers.map((l) => `c${l.channels}k${l.kernel}s${l.stride}`).join(','))
    if (spec.padding === 'same') seg.push('pad=same')
    if (spec.tied) seg.push('tied')
  } else {
    seg.push('lattice', `${spec.rows}x${spec.cols}`)
    if (spec.neighbours === 8) seg.push('n8')
    if (spec.skips && spec.skips.length) seg.push(`skip=${spec.skips.join(',')}`)
    if (spec.inputSites) seg.push(`in=${spec.inputSites.map((p) => p.join(',')).join(';')}`)
    if (spec.outputSites) seg.push(`out=${spec.outputSites.map((p) => p.join(',')).join(';')}`)
  }
  if (spec.weightStd !== undefined) seg.push(`std=${spec.weightStd}`)
  if (spec.weightMean !== undefined && spec.weightMean !== 0) seg.push(`mean=${spec.weightMean}`)
  if (spec.bias === 'random' || spec.bias === 'zero') seg.push(`bias=${spec.bias}`)
  if (spec.biasMax !== undefined) seg.push(`hmax=${spec.biasMax}`)
  return seg.join(':')
}
