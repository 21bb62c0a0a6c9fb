// CI-sized versions of the paper's comparisons (examples/paper/), with fixed seeds, asserting their
// direction rather than exact numbers: more neighbours train a small XOR lattice at least as often,
// random bias fields make the 15x15 lattice less glassy, and reference dynamics (fixed T, no convergence
// test) end in the converged equilibria on a small network.
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { SimXySubstrate } from '../../drivers/sim/xy.ts'
import { buildNetwork, parseBuilderString } from '../../src/core/topology/index.ts'
import { parseStudyConfig } from '../../src/services/study/config.ts'
import { runStudy } from '../../src/services/study/run.ts'

describe('paper directions at CI size', () => {
  it('8 neighbours reach D < 0.01 on a 4x4 XOR lattice at least as often as 4 neighbours (10 seeds)', async () => {
    const common = { task: 'xor', epochs: 300, seeds: 10, batchSize: 4, mInit: 2, estimator: 'frozen-nudge', optimiser: 'adam', lr: 0.02,
      stopAtDistance: 0.005, evalEvery: 0, target: { metric: 'distance', value: 0.01 } }
    const cfg = parseStudyConfig({ name: 'direction', entries: [
      { label: 'n4', network: 'lattice:4x4:in=1,1;1,2:out=2,2', ...common },
      { label: 'n8', network: 'lattice:4x4:n8:in=1,1;1,2:out=2,2', ...common },
    ] }, 'direction')
    const r = await runStudy(cfg, { outDir: mkdtempSync(join(tmpdir(), 'eqp-direction-')), workers: 1 })
    const [n4, n8] = r.summaries
    assert.ok(n8.reached! >= n4.reached!, `n8 ${n8.reached} vs n4 ${n4.reached}`)
    assert.ok(n8.reached! > 0, 'the 8-neighbour lattice learns XOR for some seeds')
  })

  it('random bias fields make the 15x15 XOR lattice less glassy: fewer distinct minima from random starts', async () => {
    // the 15x15 recipe's reason for bias=random (docs/explanation/results.md): 8 random starts per XOR input,
    // counting distinct output phases (0.05 rad bins); h = 0 gives a different output from nearly every start
    const R = 8, xs = [-1, -1, -1, 1, 1, -1, 1, 1]
    const inputs = new Float64Array(4 * R * 2)
    for (let s = 0; s < 4; s++) for (let r = 0; r < R; r++) inputs.set([xs[2 * s] * Math.PI / 2, xs[2 * s + 1] * Math.PI / 2], 2 * (s * R + r))
    const outputsPerInput = async (spec: string) => {
      const net = buildNetwork(parseBuilderString(spec), { inputs: 2, outputs: 1 }, 0)
      const res = await new SimXySubstrate(net, { solver: 'fire-newton' }).relax({ batch: 4 * R, inputs, phase: 'free', start: { kind: 'random', seed: 5 } })
      const o = net.outputs[0]
      return [0, 1, 2, 3].map((s) => new Set(Array.from({ length: R }, (_, r) => {
        const p = res.states[(s * R + r) * net.nodes + o]
        return Math.round(Math.atan2(Math.sin(p), Math.cos(p)) * 20)
      })).size)
    }
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0)
    const at = 'in=6,6;7,10:out=10,8'
    const plain = await outputsPerInput(`lattice:15x15:${at}`), plainH = await outputsPerInput(`lattice:15x15:${at}:bias=random`)
    const skip = await outputsPerInput(`lattice:15x15:skip=2,3,4:${at}`), skipH = await outputsPerInput(`lattice:15x15:skip=2,3,4:${at}:bias=random`)
    assert.ok(sum(plain) >= 24 && sum(skip) >= 24, `h = 0: distinct outputs per input ${plain} (4 neighbours), ${skip} (skip bonds)`)
    assert.ok(plainH.every((k) => k <= 2), `bias=random, 4 neighbours: ${plainH}`)
    assert.ok(sum(skipH) <= (3 / 4) * sum(skip), `bias=random, skip bonds: ${skipH} against ${skip}`)
  })

  it('reference dynamics end in the converged equilibria of a small all-to-all network once T is long enough', async () => {
    const net = buildNetwork(parseBuilderString('all-to-all:6:std=0.7:bias=random'), { inputs: 2, outputs: 1 }, 0)
    const inputs = Float64Array.from([-1, -1, -1, 1, 1, -1, 1, 1].map((v) => (v * Math.PI) / 2))
    const req = { batch: 4, inputs, phase: 'free' as const, start: { kind: 'random' as const, seed: 3 } }
    const conv = await new SimXySubstrate(net, { solver: 'rk45' }).relax(req)
    assert.deepEqual([...conv.settled], [1, 1, 1, 1])
    const gap = async (T: number) => {
      const ref = await new SimXySubstrate(net, { dynamics: 'reference', dynamicsT: T }).relax(req)
      let d = 0
      for (let k = 0; k < ref.states.length; k++) d = Math.max(d, Math.abs(Math.sin((ref.states[k] - conv.states[k]) / 2)))
      return { d, settled: [...ref.settled] }
    }
    const long = await gap(1000)
    assert.ok(long.d < 1e-4, `T = 1000: ${long.d}`)
    // the published T = 100 stops before a slow mode has settled on some samples: same basin, not yet the minimum
    const paper = await gap(100)
    assert.ok(paper.d < 1e-2, `T = 100: ${paper.d}`)
    assert.ok(paper.settled.includes(0), 'T = 100 leaves some samples unsettled')
  })
})
