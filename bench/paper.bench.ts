// Paper-scale figures: EqProp training samples/s on MNIST-sized networks (typed-array path), and the
// cost of loading the image tasks. One JSON line per workload.
import { SimXySubstrate } from '../drivers/sim/xy.ts'
import { loadDataset, subsetPerClass } from '../src/core/data/index.ts'
import { buildNetwork, describeNetwork, parseBuilderString } from '../src/core/topology/index.ts'
import { TrainConfig } from '../src/engine/config.ts'
import { Trainer } from '../src/engine/trainer.ts'
import '../src/services/datasets/sources.ts'

const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')

function loading(): void {
  for (const name of ['digits', 'digits8']) {
    const t0 = performance.now()
    const d = loadDataset(name, 0)
    emit({ bench: `load-${name}`, wall_s: Number(((performance.now() - t0) / 1000).toFixed(3)), rows: d.train.rows + d.test.rows, note: name === 'digits' ? 'parses the mnist package' : 'reuses the parsed package' })
  }
}

async function training(task: string, spec: string, perClass: number, batch: number): Promise<void> {
  const full = loadDataset(task, 0)
  const data = { ...full, train: subsetPerClass(full.train, 10, perClass), test: subsetPerClass(full.test, 10, 1) }
  const net = buildNetwork(parseBuilderString(spec), { inputs: full.nIn, outputs: 10 }, 0)
  const sub = new SimXySubstrate(net, { solver: 'flow-newton' })
  try {
    const tr = new Trainer(sub, net, data, TrainConfig.parse({ epochs: 1, lr: 0.05, batchSize: batch, evalEvery: 0, seed: 0 }))
    const f0 = sub.forceEvals
    const t0 = performance.now()
    await tr.train()   // one epoch, then a free-phase evaluation of 10 test samples (under 1% of the work)
    const s = (performance.now() - t0) / 1000
    const { nodes, couplings } = describeNetwork(net)
    emit({
      bench: `train-${task}-${spec}`, backend: 'typed-array', batch, samples: data.train.rows, samples_per_s: Number((data.train.rows / s).toFixed(1)),
      force_evals_per_sample: Math.round((sub.forceEvals - f0) / data.train.rows), nodes, couplings,
    })
  } finally {
    await sub.close()
  }
}

loading()
await training('digits', 'layered:784,100,10', 5, 64)   // ~2 samples/s: 50 samples keep the bench under a minute
await training('digits8', 'layered:64,200,10', 50, 64)
await training('digits8', 'lcl:8x8:c4k3s1', 20, 64)
