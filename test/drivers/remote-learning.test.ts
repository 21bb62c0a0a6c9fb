// The remote driver's on-board learner (SPEC 13) over an in-memory cable: which parameters count after
// the board learned by itself and the session was lost, and refusals before anything is sent.
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { openRemoteSubstrate, type RemoteSubstrate } from '../../drivers/remote/index.ts'
import type { LearnStepRequest } from '../../drivers/substrate.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { EqpError } from '../../src/errors.ts'
import { BoardOnCable } from '../support/board-link.ts'

const net = buildNetwork({ kind: 'all-to-all', nodes: 6, weightStd: 0.7, bias: 'random' }, { inputs: 2, outputs: 1 }, 4)
const p0 = { weights: Float64Array.from(net.weights), h: Float64Array.from(net.bias!.h), psi: Float64Array.from(net.bias!.psi) }
const H = Math.PI / 2
const step: LearnStepRequest = {
  rule: { eta: 0.2, biasEta: 0.2, beta: 0.1, estimator: 'one-sided', cost: 'log-cos' },
  batch: 4, inputs: Float64Array.of(H, H, H, -H, -H, H, -H, -H), targets: Float64Array.of(-H, H, H, -H), seed: 9,
}
const flat = (p: { weights: Float64Array; h?: Float64Array; psi?: Float64Array }) => [...p.weights, ...p.h!, ...p.psi!]

const open: { cable: BoardOnCable; sub: RemoteSubstrate }[] = []
after(async () => { for (const o of open) { await o.sub.close().catch(() => {}); o.cable.close() } })
async function connect(): Promise<{ cable: BoardOnCable; sub: RemoteSubstrate }> {
  const cable = new BoardOnCable(net, { onBoardLearning: true })
  const sub = await openRemoteSubstrate(cable.connect, 'mem', { replyTimeoutS: 0.3 })
  open.push({ cable, sub })
  await sub.setParams(p0)
  return { cable, sub }
}

describe('RemoteSubstrate on-board learner', () => {
  it('commits one update per step and reports the outputs and the samples it accumulated', async () => {
    const { cable, sub } = await connect()
    const r = await sub.learner!.learnStep(step)
    assert.equal(r.outputs.length, 4)
    assert.equal(r.settled, 4)
    assert.equal(r.accumulated, 4)
    const learned = flat(await sub.getParams())
    assert.deepEqual(learned, [...cable.board.params])
    assert.notDeepEqual(learned, flat(p0))
  })

  it('after a pulled cable the parameters the board learned stay; after a reboot the last read copy is rewritten', async () => {
    const { cable, sub } = await connect()
    await sub.learner!.learnStep(step)
    const learned = [...cable.board.params]
    cable.unplug()
    cable.plug()
    // the board kept its session's parameters: the host must not write its stale copy over them
    assert.deepEqual(flat(await sub.getParams()), learned)
    assert.ok(sub.status().counters.reconnects >= 1, 'the host reconnected')
    await sub.learner!.learnStep(step)
    const readBefore = flat(await sub.getParams())
    await sub.learner!.learnStep(step)
    cable.board.reboot()
    // every parameter zero on the board: the host's last read copy comes back, the last step is lost
    assert.deepEqual(flat(await sub.getParams()), readBefore)
  })

  it('refuses a request of the wrong shape before sending anything', async () => {
    const { cable, sub } = await connect()
    const sent = cable.hostWrites.length
    await assert.rejects(sub.learner!.learnStep({ ...step, targets: Float64Array.of(0) }), (e: unknown) => e instanceof EqpError && e.code === 'EQP_ERR_BAD_INPUT' && /targets/.test(e.message))
    await assert.rejects(sub.learner!.learnStep({ ...step, rule: { ...step.rule, beta: NaN } }), (e: unknown) => e instanceof EqpError && /rule\.beta/.test(e.message))
    assert.equal(cable.hostWrites.length, sent)
  })
})
