// Boards over real pseudo-terminals made by socat, through the real serialport library: the TS virtual
// board and the C reference firmware (a separate process) run the Substrate contract, train XOR to the
// parameters of the in-process simulator at board resolution, and survive an unplug (socat killed and
// started again) and a reboot; a firmware speaking another protocol major is refused.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { QuantisedXySubstrate } from '../../drivers/sim/quantised-xy.ts'
import type { Substrate } from '../../drivers/substrate.ts'
import { PHASE_LSB } from '../../firmware-protocol/ts/index.ts'
import { loadDataset } from '../../src/core/data/index.ts'
import type { Network } from '../../src/core/network/network.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { TrainConfig } from '../../src/engine/config.ts'
import { Trainer } from '../../src/engine/trainer.ts'
import { EqpError } from '../../src/errors.ts'
import { createPtyPair, openSerialBoard, startBoard, type PtyPair, type RunningBoard } from '../../src/services/boards.ts'
import { substrateContract } from '../contracts/substrate.contract.ts'

const NO_SOCAT = spawnSync('socat', ['-V']).status === 0 ? false : 'socat is not installed'
const NO_GCC = spawnSync('gcc', ['--version']).status === 0 ? false : 'gcc is not installed'
const FEATURES = { stateLsb: PHASE_LSB, f32Params: true }
const lattice = buildNetwork({ kind: 'lattice', rows: 4, cols: 4, weightStd: 0.8, bias: 'random' }, { inputs: 2, outputs: 2 }, 5)
const xorNet = buildNetwork({ kind: 'all-to-all', nodes: 6, weightStd: 0.7, bias: 'random' }, { inputs: 2, outputs: 1 }, 1)

/** Everything started here is stopped at the end, whatever happened. */
const cleanup: (() => Promise<unknown>)[] = []
after(async () => { for (const c of cleanup.reverse()) await c().catch(() => {}) })
async function pty(dir?: string): Promise<PtyPair> {
  const p = await createPtyPair(dir)
  cleanup.push(() => p.close())
  return p
}
async function board(...a: Parameters<typeof startBoard>): Promise<RunningBoard> {
  const b = await startBoard(...a)
  cleanup.push(() => b.close())
  return b
}

const cfg = TrainConfig.parse({ epochs: 20, batchSize: 4, seed: 3, evalEvery: 0 })
const flat = (n: Network) => [...n.weights, ...n.bias!.h, ...n.bias!.psi]
async function train(sub: Substrate, onStep?: (step: number) => Promise<void> | void) {
  const t = new Trainer(sub, xorNet, loadDataset('xor', 3), cfg, { onEvent: (e) => { if (e.type === 'batch') void onStep?.(e.step) } })
  await t.train()
  return { params: flat(t.trainedNetwork()), steps: t.snapshot().step }
}
let reference: { params: number[]; steps: number } | null = null
const referenceRun = async () => (reference ??= await train(new QuantisedXySubstrate(xorNet)))

describe('TS virtual board over a socat pty', { skip: NO_SOCAT }, () => {
  let pair: PtyPair
  before(async () => {
    pair = await pty()
    await board({ network: lattice, path: pair.boardPath, board: { maxBatch: 3, maxFrame: 512 } })
  })
  substrateContract('remote board (TS virtual board) over a socat pty', () => openSerialBoard({ path: pair.hostPath, replyTimeoutS: 0.3 }), FEATURES)
})

describe('C reference firmware over a socat pty', { skip: NO_SOCAT || NO_GCC }, () => {
  let pair: PtyPair
  before(async () => {
    pair = await pty()
    await board({ network: lattice, impl: 'c', path: pair.boardPath, board: { maxBatch: 3 } })
  })
  substrateContract('remote board (C reference firmware) over a socat pty', () => openSerialBoard({ path: pair.hostPath, replyTimeoutS: 0.3 }), FEATURES)
})

describe('training boards over socat ptys', { skip: NO_SOCAT || NO_GCC }, () => {
  it('the C firmware relaxes like the in-process simulator at board resolution, for every start and nudge', async () => {
    const pair = await pty()
    await board({ network: lattice, impl: 'c', path: pair.boardPath, board: { maxBatch: 3 } })
    const sub = await openSerialBoard({ path: pair.hostPath, replyTimeoutS: 0.3 })
    const ref = new QuantisedXySubstrate(lattice, { maxBatch: 3 })
    try {
      const n = lattice.nodes, p = { weights: Float64Array.from(lattice.weights), h: Float64Array.from(lattice.bias!.h), psi: Float64Array.from(lattice.bias!.psi) }
      await sub.setParams(p)
      await ref.setParams(p)
      const inputs = Float64Array.of(0.3, -1.2, 2.9, 0.1, -3.1, 1.5)
      const free = await sub.relax({ batch: 3, inputs, phase: 'free', start: { kind: 'random', seed: 77 } })
      const reqs = [
        { batch: 3, inputs, phase: 'free', start: { kind: 'random', seed: 77 } },
        { batch: 3, inputs, phase: 'nudged', nudge: { kind: 'cost', cost: 'log-cos', beta: 0.3, targets: Float64Array.of(1, -1, 0.5, 2, -2.5, 0) }, start: { kind: 'given', states: free.states } },
        { batch: 3, inputs, phase: 'nudged', nudge: { kind: 'force', force: Float64Array.from({ length: 3 * n }, (_, i) => Math.sin(i) * 0.05) }, start: { kind: 'given', states: free.states } },
      ] as const
      for (const req of reqs) {
        const x = await sub.relax(req), y = await ref.relax(req)
        // libm may differ from V8 in the last bit: a readout may round one step (2^-13 rad) the other way
        const worst = Math.max(...x.states.map((v, i) => Math.abs(v - y.states[i])))
        assert.ok(worst <= PHASE_LSB * 1.01, `${req.phase} ${'nudge' in req ? req.nudge.kind : ''}: worst difference ${worst} rad`)
        assert.deepEqual([...x.settled], [...y.settled])
      }
    } finally {
      await sub.close()
    }
  })

  it('the C firmware trains XOR to the parameters of the in-process simulator at board resolution', async () => {
    const pair = await pty()
    await board({ network: xorNet, impl: 'c', path: pair.boardPath })
    const sub = await openSerialBoard({ path: pair.hostPath, replyTimeoutS: 0.3 })
    try {
      const got = await train(sub)
      const ref = await referenceRun()
      // the C physics is a port in doubles; libm's cos/sin/tan/pow may differ from V8's in the last
      // bit, which could flip a readout rounding: equality is asked to 1e-3, and is exact here so far
      const diff = Math.max(...got.params.map((v, i) => Math.abs(v - ref.params[i])))
      const same = got.params.filter((v, i) => v === ref.params[i]).length
      assert.ok(diff <= 1e-3, `max |difference| ${diff}, ${same}/${got.params.length} identical`)
      assert.equal(got.steps, ref.steps)
    } finally {
      await sub.close()
    }
  })

  it('the C firmware run survives an unplug (socat killed and started again) and a reboot, with the same final parameters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eqp-unplug-'))
    let pair = await pty(dir)
    const fw = await board({ network: xorNet, impl: 'c', path: pair.boardPath })
    const sub = await openSerialBoard({ path: pair.hostPath, replyTimeoutS: 0.2 })
    try {
      const got = await train(sub, async (step) => {
        if (step === 5) {
          await pair.close()                       // the cable is pulled...
          setTimeout(async () => { pair = await pty(dir) }, 300)   // ...and plugged back in
        }
        if (step === 12) fw.reboot()
      })
      const ref = await referenceRun()
      const diff = Math.max(...got.params.map((v, i) => Math.abs(v - ref.params[i])))
      assert.ok(diff <= 1e-3, `max |difference| ${diff}`)
      assert.equal(got.steps, ref.steps, 'no step lost or repeated')
      const st = sub.status()
      assert.ok(st.counters.reconnects >= 2, `reconnects ${st.counters.reconnects}`)
      assert.ok(st.diagnostics.LINK_LOST, 'the unplug was seen')
      assert.ok(st.diagnostics.BOARD_REBOOTED, 'the reboot was seen')
      assert.ok(st.counters.paramRewrites >= 2)
      assert.equal(st.bootCounter, 2)
    } finally {
      await sub.close()
    }
  })

  it('a firmware that speaks protocol major 2 is refused with EQP_ERR_PROTO_VERSION', async () => {
    const pair = await pty()
    await board({ network: xorNet, impl: 'c', path: pair.boardPath, board: { faults: { protocolMajor: 2 } } })
    await assert.rejects(openSerialBoard({ path: pair.hostPath, replyTimeoutS: 0.2 }), (e: unknown) =>
      e instanceof EqpError && e.code === 'EQP_ERR_PROTO_VERSION' && /major 2/.test(e.message))
  })
})
