// The pictures of a finished run: training curve, equilibrium phases of one test sample, couplings.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Dataset } from '../../core/data/dataset.ts'
import type { Network } from '../../core/network/network.ts'
import type { EngineEvent } from '../../engine/events.ts'
import { enginePhysics } from '../../engine/physics.ts'
import { openSimulator } from '../substrates.ts'
import { drawCouplings, drawGridHeatmap, drawTrainingCurve, type CurvePoint } from './draw.ts'

/** Collects epoch and eval events into curve points while passing every event on. */
export class CurveRecorder {
  readonly points: CurvePoint[] = []
  /** Wraps an event sink (or none) so that it also records. */
  tap(next?: (e: EngineEvent) => void): (e: EngineEvent) => void {
    return (e) => {
      if (e.type === 'epoch') this.points.push({ epoch: e.epoch, distance: e.metrics.distance, accuracy: e.metrics.accuracy })
      else if (e.type === 'eval' && e.metrics.split === 'test') {
        const p = this.points.find((q) => q.epoch === e.epoch)
        if (p) p.testAccuracy = e.metrics.accuracy
        else this.points.push({ epoch: e.epoch, distance: NaN, accuracy: NaN, testAccuracy: e.metrics.accuracy })
      }
      next?.(e)
    }
  }
}

/** Rows x cols for drawing a network's nodes: its grid layout, else a near-square in node order. */
export function nodeGrid(net: Network): { rows: number; cols: number; exact: boolean } {
  if (net.layout) return { rows: net.layout.rows, cols: net.layout.cols, exact: true }
  const cols = Math.ceil(Math.sqrt(net.nodes))
  return { rows: Math.ceil(net.nodes / cols), cols, exact: false }
}

/** Free equilibrium states (rad; values on a resistor or Ising network) with sample `row` of a split
 *  clamped as the network's model clamps it; random start from seed, on the model's own simulator. */
export async function equilibriumPhases(net: Network, data: Dataset, row = 0, seed = 0): Promise<Float64Array> {
  const sub = openSimulator(net, {})
  try {
    const split = data.test.rows > row ? data.test : data.train
    const inputs = enginePhysics(net).encodeInputs(split.x.slice(row * data.nIn, (row + 1) * data.nIn))
    const r = await sub.relax({ batch: 1, inputs, phase: 'free', start: { kind: 'random', seed } })
    return r.states.slice(0, net.nodes)
  } finally {
    await sub.close()
  }
}

/**
 * Response field: d phi / d x_k (rad per rad) at the free equilibrium of sample `row`, by relaxing again
 * from that equilibrium with input k moved by `delta` rad (a finite difference; phases unwrapped).
 */
export async function responseField(net: Network, data: Dataset, input = 0, row = 0, delta = 0.05, seed = 0): Promise<Float64Array> {
  const sub = openSimulator(net, {})
  try {
    const split = data.test.rows > row ? data.test : data.train
    const x = split.x.slice(row * data.nIn, (row + 1) * data.nIn)
    const encode = enginePhysics(net).encodeInputs
    const a = await sub.relax({ batch: 1, inputs: encode(x), phase: 'free', start: { kind: 'random', seed } })
    x[input] += delta
    const b = await sub.relax({ batch: 1, inputs: encode(x), phase: 'free', start: { kind: 'given', states: a.states } })
    const out = new Float64Array(net.nodes)
    for (let i = 0; i < net.nodes; i++) {
      const d = b.states[i] - a.states[i]
      out[i] = Math.atan2(Math.sin(d), Math.cos(d)) / delta
    }
    return out
  } finally {
    await sub.close()
  }
}

/** The pictures a run has; curve needs the training curve, the others only the network and the task. */
export const PLOT_NAMES = ['curve', 'phases', 'couplings', 'response'] as const
export type PlotName = (typeof PLOT_NAMES)[number]
/** The pictures of the network's state (drawn every K epochs with --plots-every). */
export const STATE_PLOTS = ['phases', 'couplings', 'response'] as const satisfies readonly PlotName[]

/** What a picture is drawn from: the network with its parameters, the task, a title label, the relaxation seed, and (curve) the curve points. */
export interface PlotInput {
  network: Network
  data: Dataset
  label: string
  seed?: number
  points?: CurvePoint[]
  /** free equilibrium phases (rad) to draw instead of relaxing test sample 0 (e.g. a device's snapshot), and what they show */
  phases?: { values: ArrayLike<number>; what: string }
}

/** Renders one picture as PNG bytes (phases and response relax the simulator; the others are pure drawing). */
export async function renderPlot(name: PlotName, run: PlotInput): Promise<Buffer> {
  const { network: net, data, label } = run
  const { rows, cols, exact } = nodeGrid(net)
  if (name === 'curve') return drawTrainingCurve(run.points ?? [], `${label}: training curve`)
  if (name === 'couplings') return drawCouplings(net, `${label}: couplings W`)
  if (name === 'phases') {
    const phi = run.phases?.values ?? await equilibriumPhases(net, data, 0, run.seed ?? 0)
    const cells = new Float64Array(rows * cols).fill(NaN)
    // wrap into (-pi, pi] so the cyclic map shows physical angles
    for (let i = 0; i < net.nodes; i++) cells[i] = Math.atan2(Math.sin(phi[i]), Math.cos(phi[i]))
    for (let i = net.nodes; i < cells.length; i++) cells[i] = 0
    return drawGridHeatmap(cells, rows, cols, {
      title: `${label}: ${run.phases?.what ?? 'free equilibrium, test sample 0'}${exact ? '' : ' (nodes in id order)'}`, scale: 'phase', inputs: net.inputs, outputs: net.outputs,
    })
  }
  const resp = await responseField(net, data, 0, 0, 0.05, run.seed ?? 0)
  const rcells = new Float64Array(rows * cols)
  rcells.set(resp)
  return drawGridHeatmap(rcells, rows, cols, {
    title: `${label}: response dφ/dx₀ to input 0, test sample 0`, scale: 'signed', inputs: net.inputs, outputs: net.outputs, caption: 'dφ/dx₀',
  })
}

/** Writes <name>.png into dir for each name; returns their paths. */
export async function writePlots(dir: string, names: readonly PlotName[], run: PlotInput): Promise<string[]> {
  mkdirSync(dir, { recursive: true })
  const paths: string[] = []
  for (const name of names) {
    const path = join(dir, `${name}.png`)
    writeFileSync(path, await renderPlot(name, run))
    paths.push(path)
  }
  return paths
}

/** Writes curve.png, phases.png, couplings.png and response.png into dir; returns their paths. */
export async function writeRunPlots(dir: string, run: { network: Network; data: Dataset; points: CurvePoint[]; label: string; seed?: number }): Promise<string[]> {
  return writePlots(dir, PLOT_NAMES, run)
}
