// The network description: one schema for CLI files, REST bodies, checkpoints and builders.
import { z } from 'zod'

export const MODEL_NAMES = ['xy', 'oim', 'resistor', 'ising'] as const
export const ModelName = z.enum(MODEL_NAMES)
export type ModelName = z.infer<typeof ModelName>

const NodeIndex = z.int().nonnegative()

/** Where nodes sit in space, so states and couplings can be drawn on the grid. Node id = row * cols + col. */
export const Layout = z.strictObject({
  kind: z.literal('grid'),
  rows: z.int().positive(),
  cols: z.int().positive(),
})
export type Layout = z.infer<typeof Layout>

/**
 * Resistor networks only: the gains of the board's amplifiers. `input`: the input stage's voltage
 * gain G (the sources read G x, V). `layers`: the forward voltage gain A_d of the bidirectional
 * amplifiers (backward current gain 1/A_d) between free depth d and d + 1, one per boundary, where a
 * node's depth is its graph distance from the inputs (layered nets: hidden layer l = depth l). The
 * gains live on the network, not in simulator options, because both the simulator (relaxation) and
 * the engine (observables of the edges behind an amplifier) compile them: one source of truth that
 * travels with the trained network's JSON. Absent = 1 (no amplifier).
 */
export const ResistorGain = z.strictObject({
  input: z.number().positive().finite().optional(),
  layers: z.array(z.number().positive().finite()).optional(),
})
export type ResistorGain = z.infer<typeof ResistorGain>

/** Graph distance of every node from the nearest input (0 on inputs, -1 where no input reaches). */
export function nodeDepths(n: number, edges: readonly (readonly [number, number])[], inputs: readonly number[]): Int32Array {
  const deg = new Uint32Array(n + 1)
  for (const [i, j] of edges) { deg[i + 1]++; deg[j + 1]++ }
  for (let i = 0; i < n; i++) deg[i + 1] += deg[i]
  const adj = new Uint32Array(deg[n]), fill = deg.slice(0, n)
  for (const [i, j] of edges) { adj[fill[i]++] = j; adj[fill[j]++] = i }
  const depth = new Int32Array(n).fill(-1), queue = new Uint32Array(n)
  let head = 0, tail = 0
  for (const i of inputs) if (depth[i] < 0) { depth[i] = 0; queue[tail++] = i }
  while (head < tail) {
    const i = queue[head++]
    for (let p = deg[i]; p < deg[i + 1]; p++) if (depth[adj[p]] < 0) { depth[adj[p]] = depth[i] + 1; queue[tail++] = adj[p] }
  }
  return depth
}

/** Amplifier boundaries of a network: (deepest free depth) - 1, the length gain.layers must have. */
export function gainBoundaries(net: Pick<Network, 'nodes' | 'edges' | 'inputs'>): number {
  const depth = nodeDepths(net.nodes, net.edges, net.inputs)
  let dMax = 0
  for (let i = 0; i < net.nodes; i++) if (depth[i] > dMax) dMax = depth[i]
  return Math.max(0, dMax - 1)
}

/** Why gain.layers does not fit the network (null = it fits): count, reachability, output depths. */
function gainLayersProblem(net: Pick<Network, 'nodes' | 'edges' | 'inputs' | 'outputs'>, layers: readonly number[]): string | null {
  const depth = nodeDepths(net.nodes, net.edges, net.inputs)
  const unreached = depth.indexOf(-1)
  if (unreached >= 0) return `node ${unreached} is not connected to an input, so it has no depth behind the amplifiers`
  const want = gainBoundaries(net)
  if (layers.length !== want) return `has ${layers.length} entries, expected ${want} (one per boundary between free depths 1..${want + 1})`
  // the MSE nudge needs every output on the same side of every amplifier (one energy scale)
  let gOut = -1
  for (const o of net.outputs) {
    let p = 1
    for (let d = 1; d < depth[o]; d++) p *= layers[d - 1]
    if (gOut < 0) gOut = p
    else if (Math.abs(p - gOut) > 1e-12 * gOut) return `outputs sit behind different amplifier gains (${gOut} vs ${p} at node ${o})`
  }
  return null
}

/** How clamped values are read from dataset phases on value models (Network.inputValues). */
export const InputValues = z.enum(['signed', 'unit'])
export type InputValues = z.infer<typeof InputValues>

export const Network = z
  .strictObject({
    model: ModelName,
    nodes: z.int().positive().max(1_000_000),
    edges: z.array(z.tuple([NodeIndex, NodeIndex])),
    weights: z.array(z.number().finite()),
    bias: z.strictObject({ h: z.array(z.number().finite()), psi: z.array(z.number().finite()) }).optional(),
    /** OIM only: second-harmonic injection S per node (absent = 0) */
    shil: z.array(z.number().finite()).optional(),
    inputs: z.array(NodeIndex),
    outputs: z.array(NodeIndex).min(1),
    /** Ising only: replicas[k] lists extra spins that duplicate output k (nudged with it, read out as
     *  the group's mean spin; Laydevant et al. 2024 use 4 spins per class). Absent = no copies. */
    replicas: z.array(z.array(NodeIndex)).optional(),
    layout: Layout.optional(),
    // paper scale
    /** tied parameters (CNN-like layers): edge k uses trainable value tied[k]; weights[k] holds that
     *  value. The trainer trains one value per index (gradient summed over its edges). */
    tied: z.array(NodeIndex).optional(),
    /** resistor only: input-stage and inter-layer amplifier gains (ResistorGain; absent = 1) */
    gain: ResistorGain.optional(),
    /** value models only (OIM, resistor, Ising): how a dataset value, a phase v in [-pi/2, pi/2], becomes
     *  a clamped value. 'signed' (absent): sin v in [-1, 1]. 'unit': (1 + sin v)/2 in [0, 1], so a blank
     *  pixel clamps 0 and adds no field, as the OIM anchors feed pixels (2505.02103). It lives on the
     *  network because every later evaluation of the trained network must clamp the same values. */
    inputValues: InputValues.optional(),
  })
  .superRefine((net, ctx) => {
    const n = net.nodes
    const bad = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message })
    if (net.weights.length !== net.edges.length) {
      bad(['weights'], `has ${net.weights.length} entries but edges has ${net.edges.length}`)
    }
    const seen = new Set<number>()
    let edgesOk = true
    for (let k = 0; k < net.edges.length; k++) {
      const [i, j] = net.edges[k]
      if (i >= n || j >= n) { bad(['edges', k], `edge [${i},${j}] references a node >= nodes (${n})`); edgesOk = false; continue }
      if (i === j) { bad(['edges', k], `self-loop on node ${i}`); continue }
      const key = Math.min(i, j) * n + Math.max(i, j)
      if (seen.has(key)) bad(['edges', k], `duplicate edge [${i},${j}] (edges are undirected)`)
      seen.add(key)
    }
    if (net.bias) {
      if (net.bias.h.length !== n) bad(['bias', 'h'], `has ${net.bias.h.length} entries, expected nodes = ${n}`)
      if (net.bias.psi.length !== n) bad(['bias', 'psi'], `has ${net.bias.psi.length} entries, expected nodes = ${n}`)
    }
    if (net.shil && net.shil.length !== n) bad(['shil'], `has ${net.shil.length} entries, expected nodes = ${n}`)
    const ins = new Set<number>()
    net.inputs.forEach((v, k) => {
      if (v >= n) bad(['inputs', k], `node ${v} >= nodes (${n})`)
      if (ins.has(v)) bad(['inputs', k], `node ${v} listed twice`)
      ins.add(v)
    })
    const outs = new Set<number>()
    net.outputs.forEach((v, k) => {
      if (v >= n) bad(['outputs', k], `node ${v} >= nodes (${n})`)
      if (outs.has(v)) bad(['outputs', k], `node ${v} listed twice`)
      if (ins.has(v)) bad(['outputs', k], `node ${v} is also an input (inputs and outputs must be disjoint)`)
      outs.add(v)
    })
    if (net.replicas) {
      if (net.replicas.length !== net.outputs.length) bad(['replicas'], `has ${net.replicas.length} groups, expected one per output (${net.outputs.length})`)
      const used = new Set<number>()
      net.replicas.forEach((g, k) => g.forEach((v, r) => {
        if (v >= n || ins.has(v) || outs.has(v) || used.has(v)) bad(['replicas', k, r], `node ${v} is out of range, an input, an output or a replica twice`)
        used.add(v)
      }))
    }
    if (net.tied) {
      if (net.tied.length !== net.edges.length) bad(['tied'], `has ${net.tied.length} entries but edges has ${net.edges.length}`)
      else {
        const value = new Map<number, number>()
        net.tied.forEach((p, k) => {
          const v = value.get(p)
          if (v === undefined) value.set(p, net.weights[k])
          else if (v !== net.weights[k]) bad(['weights', k], `edge ${k} is tied to parameter ${p} but its weight ${net.weights[k]} differs from ${v}`)
        })
      }
    }
    if (net.gain) {
      if (net.model !== 'resistor') bad(['gain'], `amplifier gains are a resistor-network field (model is '${net.model}')`)
      else if (net.gain.layers && edgesOk && net.inputs.every((v) => v < n) && net.outputs.every((v) => v < n)) {
        const p = gainLayersProblem(net, net.gain.layers)
        if (p) bad(['gain', 'layers'], p)
      }
    }
    if (net.inputValues && net.model === 'xy') bad(['inputValues'], `an XY network clamps phases; input values are for the value models oim, resistor and ising`)
    if (net.layout && net.layout.rows * net.layout.cols !== n) {
      bad(['layout'], `grid ${net.layout.rows}x${net.layout.cols} does not hold nodes = ${n}`)
    }
  })
export type Network = z.infer<typeof Network>

/** One line per problem, each naming the field path: `edges.3: self-loop on node 2`. */
export function formatIssues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ')
}
