// Daemon runs with on-board learning (SPEC 13): the board holds the learned parameters, so checkpoints
// must carry what the board has. A run cut off after any step and resumed on a fresh board (a restarted
// daemon) from its last periodic or epoch checkpoint ends with the parameters of an uninterrupted run.
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { openRemoteSubstrate, type RemoteSubstrate } from '../../drivers/remote/index.ts'
import { loadDataset } from '../../src/core/data/index.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { TrainConfig } from '../../src/engine/config.ts'
import { RunLoop, type RunCheckpoint } from '../../src/engine/run-loop.ts'
import { Trainer } from '../../src/engine/trainer.ts'
import { BoardOnCable } from '../support/board-link.ts'

const net = buildNetwork({ kind: 'all-to-all', nodes: 6, weightStd: 0.7, bias: 'random' }, { inputs: 2, outputs: 1 }, 2)
const data = loadDataset('xor', 2)
// batch 2: two steps per epoch, so periodic checkpoints fall inside epochs
const cfg = TrainConfig.parse({ epochs: 3, batchSize: 2, seed: 5, evalEvery: 1 })

const opened: { cable: BoardOnCable; sub: RemoteSubstrate }[] = []
after(async () => { for (const o of opened) { await o.sub.close().catch(() => {}); o.cable.close() } })
async function freshBoard(): Promise<RemoteSubstrate> {
  const cable = new BoardOnCable(net, { onBoardLearning: true })
  const sub = await openRemoteSubstrate(cable.connect, 'mem', { replyTimeoutS: 0.5 })
  opened.push({ cable, sub })
  return sub
}

describe('RunLoop with on-board learning', () => {
  it('cut off after any step and resumed on a fresh board from its last periodic checkpoint, ends with the uninterrupted parameters', async () => {
    const refTrainer = new Trainer(await freshBoard(), net, data, cfg)
    assert.ok(refTrainer.onBoard, 'the reference learns on the board')
    await refTrainer.train()
    const ref = refTrainer.trainedNetwork()
    for (const stopAfter of [1, 2, 3]) {
      let cp: RunCheckpoint | undefined, batches = 0, loops = 0
      for (;;) {
        loops++
        let loop: RunLoop
        // checkpointEvery 1: the parameters are read back after every step inside an epoch
        loop = new RunLoop(await freshBoard(), net, data, cfg, {
          checkpoint: cp, checkpointEvery: 1, slice: 16,
          onEvent: (e) => {
            // as after a crash: resume from the last periodic or epoch checkpoint, not from the stop's
            if (e.type === 'checkpoint' && e.reason !== 'stop') cp = JSON.parse(JSON.stringify(e.checkpoint))
            if (e.type === 'batch' && ++batches === stopAfter) loop.requestStop('pause')
          },
        })
        const out = await loop.run()
        if (out.kind === 'done') {
          assert.deepEqual(out.network, ref, `stop after ${stopAfter} batches`)
          break
        }
        assert.ok(loops < 3)
      }
      assert.equal(loops, 2, 'the run was stopped once')
    }
  })
})
