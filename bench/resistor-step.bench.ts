// Resistor training step, lockstep vs per-sample relaxation, measured side by side in one process:
// 784-100-10 (the DRN-XS shape of examples/paper/f-accuracy.json, input gain 8), batch 32 of MNIST
// digits, one-sided EqProp with Adam, one thread. Two trainers from the same network and seed, one per
// batching mode, take alternate steps on the same rows (so machine noise hits both alike); prints CPU
// per sample of the whole step and of the relax calls alone, and the ratios. EQP_RSTEP_STEPS steps each.
import { SimResistorSubstrate } from '../drivers/sim/resistor.ts'
import type { RelaxRequest, RelaxResult, Substrate } from '../drivers/substrate.ts'
import { loadDataset } from '../src/core/data/index.ts'
import { buildNetwork, parseBuilderString } from '../src/core/topology/index.ts'
import { TrainConfig } from '../src/engine/config.ts'
import { Trainer } from '../src/engine/trainer.ts'
import { asModel, withResistorGain } from '../src/services/substrates.ts'
import '../src/services/datasets/sources.ts'

const STEPS = Number(process.env.EQP_RSTEP_STEPS ?? 20), B = 32
const data = loadDataset('digits', 0)
const net = withResistorGain(asModel(buildNetwork(parseBuilderString('layered:784,100,10'), { inputs: 784, outputs: 10 }, 0), 'resistor'), { input: 8 })
const cfg = TrainConfig.parse({ epochs: 1, lr: 0.002, batchSize: B, mInit: 1, evalEvery: 0, seed: 0, optimiser: { kind: 'adam' }, estimator: 'one-sided', beta: 0.2 })

/** A substrate that charges the CPU time of its relax calls to `cpu`. */
function timed(sub: SimResistorSubstrate, cpu: { relaxUs: number }): Substrate {
  return {
    info: sub.info,
    setParams: (p) => sub.setParams(p),
    updateParams: (d) => sub.updateParams(d),
    getParams: () => sub.getParams(),
    close: () => sub.close(),
    async relax(req: RelaxRequest): Promise<RelaxResult> {
      const c = process.cpuUsage()
      const r = await sub.relax(req)
      const d = process.cpuUsage(c)
      cpu.relaxUs += d.user + d.system
      return r
    },
  }
}

const modes = (['lockstep', 'per-sample'] as const).map((batching) => {
  const sim = new SimResistorSubstrate(net, { batching })
  const cpu = { relaxUs: 0, stepUs: 0 }
  return { batching, sim, cpu, tr: new Trainer(timed(sim, cpu), net, data, cfg) }
})
for (const m of modes) { await m.tr.start(); await m.tr.step(Array.from({ length: B }, (_, k) => k)); m.cpu.relaxUs = 0 }
for (let k = 1; k <= STEPS; k++) {
  const rows = Array.from({ length: B }, (_, j) => k * B + j)
  for (const m of (k % 2 ? modes : [...modes].reverse())) {
    const c = process.cpuUsage()
    await m.tr.step(rows)
    const d = process.cpuUsage(c)
    m.cpu.stepUs += d.user + d.system
  }
}
const per = (us: number) => +(us / 1000 / (STEPS * B)).toFixed(3)
const [L, P] = modes
// both trainers must have trained the same network (the lockstep path is bit-identical)
const same = JSON.stringify(L.tr.trainedNetwork().weights) === JSON.stringify(P.tr.trainedNetwork().weights)
for (const m of modes) {
  process.stdout.write(JSON.stringify({
    bench: `train-step-resistor-784-100-10-batch32-${m.batching}`, ms_cpu_per_sample: per(m.cpu.stepUs), relax_ms_cpu_per_sample: per(m.cpu.relaxUs),
    samples_per_cpu_s: +((STEPS * B) / (m.cpu.stepUs / 1e6)).toFixed(1), steps: STEPS,
  }) + '\n')
}
process.stdout.write(JSON.stringify({
  bench: 'train-step-resistor-784-100-10-batch32-lockstep-vs-per-sample', step_speedup: +(P.cpu.stepUs / L.cpu.stepUs).toFixed(2),
  relax_speedup: +(P.cpu.relaxUs / L.cpu.relaxUs).toFixed(2), same_trained_weights: same,
}) + '\n')
for (const m of modes) await m.sim.close()
