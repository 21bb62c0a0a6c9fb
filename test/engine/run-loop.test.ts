import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Substrate } from '../../drivers/substrate.ts'
import { SimXySubstrate } from '../../drivers/sim/xy.ts'
import { loadDataset } from '../../src/core/data/index.ts'
import { buildNetwork, parseBuilderString } from '../../src/core/topology/index.ts'
import { TrainConfig } from '../../src/engine/config.ts'
import type { EngineEvent } from '../../src/engine/events.ts'
import { RunLoop, type RunCheckpoint, type RunLoopEvent } from '../../src/engine/run-loop.ts'
import { checkTransition, isTerminal, RUN_TRANSITIONS } from '../../src/engine/run-state.ts'
import { Trainer } from '../../src/engine/trainer.ts'
import { EqpError } from '../../src/errors.ts'

const net = buildNetwork(parseBuilderString('lattice:4x4'), { inputs: 4, outputs: 3 }, 1)
const data = loadDataset('iris', 1)
const cfg = TrainConfig.parse({ epochs: 3, seed: 1, batchSize: 16, evalEvery: 1, optimiser: { kind: 'adam' }, lr: 0.02 })

/** The reference: Trainer.train() without interruption. */
async function reference() {
  const events: EngineEvent[] = []
  const tr = new Trainer(new SimXySubstrate(net), net, data, cfg, { onEvent: (e) => events.push(e) })
  await tr.train()
  return { network: tr.trainedNetwork(), epochs: events.filter((e) => e.type === 'epoch'), evals: events.filter((e) => e.type === 'eval') }
}

describe('RunLoop', () => {
  it('matches Trainer.train() exactly: parameters, epoch means and evaluations', async () => {
    const ref = await reference()
    const events: RunLoopEvent[] = []
    const loop = new RunLoop(new SimXySubstrate(net), net, data, cfg, { checkpointEvery: 3, slice: 5, onEvent: (e) => events.push(e) })
    const out = await loop.run()
    assert.equal(out.kind, 'done')
    assert.ok(out.kind === 'done')
    assert.deepEqual(out.network, ref.network)
    assert.deepEqual(events.filter((e) => e.type === 'epoch').map((e) => e.type === 'epoch' && e.metrics), ref.epochs.map((e) => e.type === 'epoch' && e.metrics))
    assert.deepEqual(events.filter((e) => e.type === 'eval').map((e) => e.type === 'eval' && e.metrics), ref.evals.map((e) => e.type === 'eval' && e.metrics))
    // a start checkpoint, one every 3 steps inside epochs (not on an epoch's last batch), one per epoch end
    const cps = events.flatMap((e) => (e.type === 'checkpoint' ? [e] : []))
    assert.equal(cps[0].reason, 'start')
    assert.deepEqual(cps.filter((c) => c.reason === 'epoch').map((c) => c.checkpoint.state.epoch), [1, 2, 3])
    for (const c of cps.filter((c) => c.reason === 'periodic')) {
      assert.equal(c.checkpoint.state.step % 3, 0)
      assert.ok(c.checkpoint.state.batch > 0 && c.checkpoint.state.batch < 8)
    }
  })

  it('stopped at every kind of boundary and resumed from its JSON checkpoint, ends bit-identical', async () => {
    const ref = await reference()
    // stop after k batch events, for k inside an epoch, on an epoch's last batch and right at an epoch start
    for (const stopAfter of [1, 8, 13]) {
      let cp: RunCheckpoint | undefined
      const epochMetrics: unknown[] = []
      let batches = 0, loops = 0
      for (;;) {
        loops++
        let loop: RunLoop
        const onEvent = (e: RunLoopEvent) => {
          if (e.type === 'checkpoint') cp = JSON.parse(JSON.stringify(e.checkpoint))
          if (e.type === 'epoch') epochMetrics.push(e.metrics)
          if (e.type === 'batch' && ++batches === stopAfter) loop.requestStop('pause')
        }
        loop = new RunLoop(new SimXySubstrate(net), net, data, cfg, { checkpoint: cp, checkpointEvery: 0, slice: 16, onEvent })
        const out = await loop.run()
        if (out.kind === 'done') {
          assert.deepEqual(out.network, ref.network, `stop after ${stopAfter} batches`)
          break
        }
        assert.equal(out.reason, 'pause')
        assert.ok(loops < 4)
      }
      assert.equal(loops, 2, 'the run was stopped once')
      assert.deepEqual(epochMetrics, ref.epochs.map((e) => e.type === 'epoch' && e.metrics), `epoch means after stop at ${stopAfter}`)
    }
  })

  it('a stop between the relax calls of a step or an evaluation abandons it, and the resumed run ends bit-identical', async () => {
    const ref = await reference()
    // a trace of one run: for each relax call, what the run had finished before it
    const trace: { batches: number; epochs: number; evals: number }[] = []
    let seen = { batches: 0, epochs: 0, evals: 0 }
    const inner = new SimXySubstrate(net)
    const recorder: Substrate = { info: inner.info, setParams: (p) => inner.setParams(p), updateParams: (d) => inner.updateParams(d), getParams: () => inner.getParams(), close: () => inner.close(), relax: (r) => { trace.push({ ...seen }); return inner.relax(r) } }
    await new RunLoop(recorder, net, data, cfg, { checkpointEvery: 0, slice: 5, onEvent: (e) => {
      if (e.type === 'batch') seen = { ...seen, batches: seen.batches + 1 }
      if (e.type === 'epoch') seen = { ...seen, epochs: seen.epochs + 1 }
      if (e.type === 'eval') seen = { ...seen, evals: seen.evals + 1 }
    } }).run()
    const at = (f: (t: typeof trace[number], k: number) => boolean) => trace.findIndex(f) + 1
    const calls = {
      'the first step, after its first relax call': 2,
      'a step in the middle of an epoch': at((t, k) => t.batches === 3 && trace[k - 1]?.batches === 3),
      'the evaluation of epoch 1': at((t) => t.epochs === 1 && t.evals === 0),
      'the first step of epoch 2 (after its shuffle)': at((t) => t.evals === 1 && t.epochs === 1),
    }
    assert.ok(new Set(Object.values(calls)).size === 4 && Object.values(calls).every((k) => k > 1 && k <= trace.length))
    for (const [where, k] of Object.entries(calls)) {
      let cp: RunCheckpoint | undefined, relaxed = 0, loops = 0
      const epochs: unknown[] = [], evals: unknown[] = []
      for (;;) {
        loops++
        let loop: RunLoop | undefined
        const dev = new SimXySubstrate(net)
        const sub: Substrate = { info: dev.info, setParams: (p) => dev.setParams(p), updateParams: (d) => dev.updateParams(d), getParams: () => dev.getParams(), close: () => dev.close(),
          relax: (r) => { if (++relaxed === k) loop!.requestStop('pause'); return dev.relax(r) } }
        loop = new RunLoop(sub, net, data, cfg, { checkpoint: cp, checkpointEvery: 0, slice: 5, onEvent: (e) => {
          if (e.type === 'checkpoint') cp = JSON.parse(JSON.stringify(e.checkpoint))
          if (e.type === 'epoch') epochs.push(e.metrics)
          if (e.type === 'eval') evals.push(e.metrics)
        } })
        const out = await loop.run()
        if (out.kind === 'done') {
          assert.deepEqual(out.network, ref.network, where)
          break
        }
        assert.equal(out.reason, 'pause')
        assert.ok(loops < 3, where)
      }
      assert.equal(loops, 2, `${where}: the run was stopped once`)
      assert.deepEqual(epochs, ref.epochs.map((e) => e.type === 'epoch' && e.metrics), where)
      assert.deepEqual(evals, ref.evals.map((e) => e.type === 'eval' && e.metrics), where)
    }
  })

  it('reports the last free equilibrium and the applied parameters of its device', async () => {
    const loop = new RunLoop(new SimXySubstrate(net), net, data, TrainConfig.parse({ ...cfg, epochs: 1 }), { checkpointEvery: 0, slice: 4, onEvent: () => {} })
    await loop.run()
    assert.equal(loop.sub.lastFree?.phases.length, 16)
    assert.equal(loop.sub.info.maxBatch, 4)
    assert.equal(loop.sub.applied?.weights.length, net.edges.length)
  })
})

describe('run states', () => {
  it('allows exactly the transitions of the table, and none out of a final state', () => {
    assert.doesNotThrow(() => checkTransition('queued', 'running'))
    assert.doesNotThrow(() => checkTransition('suspended', 'running'))
    assert.throws(() => checkTransition('queued', 'paused'), (e: unknown) => e instanceof EqpError && e.code === 'EQP_ERR_RUN_BAD_TRANSITION' && /queued -> paused/.test(e.message))
    for (const s of ['done', 'failed', 'cancelled'] as const) {
      assert.ok(isTerminal(s))
      for (const to of Object.keys(RUN_TRANSITIONS)) assert.throws(() => checkTransition(s, to as never))
    }
  })
})
