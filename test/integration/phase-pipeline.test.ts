// A training step's phases sent together (Substrate.relaxPhases, SPEC 6.5 start = readout): each
// nudged RELAX starts from the states the free RELAX reports, so the host sends it without waiting
// for them and sends no SET_START. Over socat ptys, for the TS board and the C firmware: the trained
// parameters are bit for bit those of the phase-by-phase path (SET_START of the states read back) on
// the same board, at window 1 and window 8; the wire shows the mechanism (no SET_START, nudged RELAX
// with start = readout, sent at window 8 before the free states came back). No timing is asserted.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { after, describe, it } from 'node:test'
import { openRemoteSubstrate, type RemoteSubstrate } from '../../drivers/remote/index.ts'
import { QuantisedXySubstrate } from '../../drivers/sim/quantised-xy.ts'
import type { Substrate } from '../../drivers/substrate.ts'
import { serialConnector } from '../../drivers/transports/serial.ts'
import { readFileSync } from 'node:fs'
import { READOUT_BOARD_VECTORS_PATH, type BoardVector } from '../../firmware-protocol/gen/gen-board-vectors.ts'
import { WireHost, playBoardVector } from '../support/wire-host.ts'
import type { Connector, Transport } from '../../drivers/transports/transport.ts'
import { MESSAGE_IDS, TABLE } from '../../firmware-protocol/ts/index.ts'
import { loadDataset } from '../../src/core/data/index.ts'
import type { Network } from '../../src/core/network/network.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { TrainConfig } from '../../src/engine/config.ts'
import { Trainer } from '../../src/engine/trainer.ts'
import { createPtyPair, startBoard } from '../../src/services/boards.ts'

const ENUMS = { phase: TABLE.enums.phase.values, start: TABLE.enums.start.values } as { phase: Record<string, number>; start: Record<string, number> }
const NO_SOCAT = spawnSync('socat', ['-V']).status === 0 ? false : 'socat is not installed'
const NO_GCC = spawnSync('gcc', ['--version']).status === 0 ? false : 'gcc is not installed'
const net = buildNetwork({ kind: 'all-to-all', nodes: 6, weightStd: 0.7, bias: 'random' }, { inputs: 2, outputs: 1 }, 1)
const cfg = TrainConfig.parse({ epochs: 6, batchSize: 4, seed: 3, evalEvery: 0 })
const flat = (n: Network) => [...n.weights, ...n.bias!.h, ...n.bias!.psi]
const cleanup: (() => Promise<unknown>)[] = []
after(async () => { for (const c of cleanup.reverse()) await c().catch(() => {}) })

async function train(sub: Substrate) {
  const t = new Trainer(sub, net, loadDataset('xor', 3), cfg)
  await t.train()
  return { params: flat(t.trainedNetwork()), steps: t.snapshot().step }
}

/** What crossed the wire: SET_START commands, nudged RELAX by start, and nudged RELAX sent while the free states were still out. */
interface Wire { setStart: number; nudgedStarts: number[]; nudgedEarly: number }

/** Wraps a connector so every frame sent and received is counted. */
function counting(inner: Connector, w: Wire): Connector {
  return async () => {
    const t = await inner()
    let statesOwed = 0   // GET_STATE sent since the last free RELAX and not yet answered
    t.onFrame((f) => { if (f[5] === MESSAGE_IDS.STATE && statesOwed > 0) statesOwed-- })
    const wrapped: Transport = {
      get isOpen() { return t.isOpen },
      get where() { return t.where },
      send: (f) => {
        if (f[5] === MESSAGE_IDS.SET_START) w.setStart++
        if (f[5] === MESSAGE_IDS.GET_STATE) statesOwed++
        if (f[5] === MESSAGE_IDS.RELAX) {
          if (f[8 + 2] === ENUMS.phase.free) statesOwed = 0
          else {
            w.nudgedStarts.push(f[8 + 5])
            if (statesOwed > 0) w.nudgedEarly++
          }
        }
        return t.send(f)
      },
      onFrame: (cb) => t.onFrame(cb), onClose: (cb) => t.onClose(cb), onNoise: (cb) => t.onNoise?.(cb),
      close: () => t.close(), stats: () => t.stats(),
    }
    return wrapped
  }
}

/** The same board without relaxPhases: the Trainer relaxes phase by phase, writing the free states back with SET_START. */
function phaseByPhase(sub: RemoteSubstrate): Substrate {
  return {
    get info() { return sub.info },
    setParams: (p) => sub.setParams(p), updateParams: (d) => sub.updateParams(d), getParams: () => sub.getParams(),
    relax: (r) => sub.relax(r), close: () => sub.close(),
  }
}

async function runsOn(impl: 'ts' | 'c') {
  const pair = await createPtyPair()
  cleanup.push(() => pair.close())
  const b = await startBoard({ network: net, impl, path: pair.boardPath })
  cleanup.push(() => b.close())
  const out: Record<string, { params: number[]; steps: number; wire: Wire }> = {}
  for (const [name, window, together] of [['w8', 8, true], ['w1', 1, true], ['w8-phase-by-phase', 8, false]] as const) {
    const wire: Wire = { setStart: 0, nudgedStarts: [], nudgedEarly: 0 }
    const sub = await openRemoteSubstrate(counting(serialConnector(pair.hostPath), wire), pair.hostPath, { replyTimeoutS: 0.3, window })
    try {
      out[name] = { ...(await train(together ? sub : phaseByPhase(sub))), wire }
    } finally { await sub.close() }
  }
  return out
}

describe('a step\'s phases together over a socat pty (SPEC 6.5 start = readout)', { skip: NO_SOCAT }, () => {
  it('TS board: the parameters of the phase-by-phase path and of the simulator, bit for bit, at window 1 and 8', async () => {
    const r = await runsOn('ts')
    const ref = await train(new QuantisedXySubstrate(net))
    assert.deepEqual(r.w8.params, r['w8-phase-by-phase'].params)
    assert.deepEqual(r.w1.params, r['w8-phase-by-phase'].params)
    assert.deepEqual(r.w8.params, ref.params)
    assert.equal(r.w8.steps, ref.steps)
    // the mechanism: no SET_START, every nudged RELAX starts from the readout; at window 8 it leaves before the free states are back
    assert.equal(r.w8.wire.setStart, 0)
    assert.equal(r.w1.wire.setStart, 0)
    assert.ok(r.w8.wire.nudgedStarts.length === ref.steps && r.w8.wire.nudgedStarts.every((s) => s === ENUMS.start.readout), JSON.stringify(r.w8.wire))
    assert.ok(r.w8.wire.nudgedEarly > 0, JSON.stringify(r.w8.wire))
    assert.equal(r.w1.wire.nudgedEarly, 0, 'stop-and-wait cannot')
    assert.ok(r['w8-phase-by-phase'].wire.setStart >= ref.steps, 'the old path writes the free states back')
    assert.ok(r['w8-phase-by-phase'].wire.nudgedStarts.every((s) => s === ENUMS.start.given))
  })

  it('C firmware: the parameters of the phase-by-phase path on the same board, bit for bit, at window 1 and 8', { skip: NO_GCC }, async () => {
    const r = await runsOn('c')
    assert.deepEqual(r.w8.params, r['w8-phase-by-phase'].params)
    assert.deepEqual(r.w1.params, r['w8-phase-by-phase'].params)
    assert.equal(r.w8.wire.setStart, 0)
    assert.ok(r.w8.wire.nudgedStarts.length === r.w8.steps && r.w8.wire.nudgedStarts.every((s) => s === ENUMS.start.readout), JSON.stringify(r.w8.wire))
    assert.ok(r.w8.wire.nudgedEarly > 0, JSON.stringify(r.w8.wire))
    assert.ok(r['w8-phase-by-phase'].wire.setStart >= r.w8.steps)
  })
})

describe('the frozen start = readout board vectors (vectors/board-readout.json)', { skip: NO_SOCAT }, () => {
  const VECTORS = (JSON.parse(readFileSync(READOUT_BOARD_VECTORS_PATH, 'utf8')) as { vectors: BoardVector[] }).vectors
  for (const impl of ['ts', 'c'] as const) {
    it(`${impl === 'ts' ? 'the TS virtual board' : 'the C firmware'} answers every step as the vectors say`, { skip: impl === 'c' && NO_GCC }, async () => {
      const pair = await createPtyPair()
      cleanup.push(() => pair.close())
      const b = await startBoard({ network: net, impl, path: pair.boardPath })
      cleanup.push(() => b.close())
      const h = await WireHost.open(pair.hostPath)
      try {
        assert.ok(VECTORS.length >= 2)
        for (const v of VECTORS) await playBoardVector(h, v, 5)
        await h.call('STOP', {})
      } finally {
        await h.close()
      }
    })
  }
})
