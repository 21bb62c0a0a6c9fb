// Pictures of a daemon run, rendered on demand from what the runs service stores: the metrics rows
// (curve), the parameters of its latest snapshot (live, last checkpoint or result) and the phases the
// device reported with them; phases are relaxed on the simulator when the run has none stored.
import type { Network } from '../../core/network/network.ts'
import { EqpError } from '../../errors.ts'
import type { RunService } from '../runs/service.ts'
import type { CurvePoint } from './draw.ts'
import { PLOT_NAMES, renderPlot, type PlotName } from './run-plots.ts'

/** Whether a name is one of the run pictures (curve, phases, couplings, response). */
export function isPlotName(name: string): name is PlotName {
  return (PLOT_NAMES as readonly string[]).includes(name)
}

/** Curve points (training D and accuracy per epoch, test accuracy per evaluation) from a run's metrics rows. */
export function curveFromMetrics(rows: { kind: string; epoch: number; split: string | null; distance: number | null; accuracy: number | null }[]): CurvePoint[] {
  const byEpoch = new Map<number, CurvePoint>()
  const at = (e: number) => byEpoch.get(e) ?? byEpoch.set(e, { epoch: e, distance: NaN, accuracy: NaN }).get(e)!
  for (const r of rows) {
    if (r.kind === 'epoch') Object.assign(at(r.epoch), { distance: r.distance ?? NaN, accuracy: r.accuracy ?? NaN })
    else if (r.kind === 'eval' && r.split === 'test' && r.accuracy !== null) at(r.epoch).testAccuracy = r.accuracy
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch)
}

/** PNG bytes of picture `name` of run `id`; 404 (EQP_ERR_RUN_NOT_FOUND, EQP_ERR_PLOT_NOT_FOUND) for an unknown run or name. */
export async function renderStoredRunPlot(runs: RunService, id: string, name: string): Promise<Buffer> {
  const view = await runs.get(id)
  if (!isPlotName(name)) throw new EqpError('EQP_ERR_PLOT_NOT_FOUND', [name, PLOT_NAMES.join(', ')])
  const snap = await runs.snapshot(id)
  const base = view.result?.network ?? view.provenance?.network
  const network: Network = {
    model: base?.model ?? 'xy', nodes: snap.nodes, edges: snap.edges, weights: snap.couplings, inputs: snap.inputs, outputs: snap.outputs,
    ...(snap.h.length ? { bias: { h: snap.h, psi: snap.psi } } : {}), ...(snap.layout ? { layout: snap.layout } : {}),
  }
  const seed = (view.config as { seed?: number }).seed ?? 0
  return renderPlot(name, {
    network, label: `${id} (${view.task}, ${snap.source}, epoch ${snap.epoch})`, seed,
    // the curve needs no dataset; the others relax or read the run's task
    data: name === 'curve' || name === 'couplings' ? { name: view.task, nIn: snap.inputs.length, nOut: snap.outputs.length, classes: 0, train: emptySplit, test: emptySplit } : await runs.dataset(id),
    points: name === 'curve' ? curveFromMetrics(await runs.metrics(id)) : undefined,
    phases: snap.phases && snap.phases.length === snap.nodes ? { values: snap.phases, what: 'free equilibrium the device last reported' } : undefined,
  })
}

const emptySplit = { x: new Float64Array(0), y: new Float64Array(0), label: new Int32Array(0), rows: 0 }
