// On-board learning (SPEC section 13) over real pseudo-terminals made by socat, on both reference boards
// (the TS virtual board and the C firmware): the board's own update equals the host-side update within
// the readout quantisation for the same samples and seed, a batch larger than the board's is accumulated
// over several LEARN_FREE/LEARN_NUDGED pairs and committed once, LEARN_DISCARD drops an update, bad
// parameters get NACKs with codes, and a board without the capability trains host-side.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { LEARNING_BOARD_VECTORS_PATH, type BoardVector } from '../../firmware-protocol/gen/gen-board-vectors.ts'
import type { Substrate } from '../../drivers/substrate.ts'
import { ERROR_CODES, PHASE_LSB, type DecodedMessage, type MessageBodies, type MessageName } from '../../firmware-protocol/ts/index.ts'
import { loadDataset } from '../../src/core/data/index.ts'
import type { Network } from '../../src/core/network/network.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { TrainConfig, type TrainConfigInput } from '../../src/engine/config.ts'
import { Trainer } from '../../src/engine/trainer.ts'
import { createPtyPair, openSerialBoard, startBoard, type PtyPair, type RunningBoard } from '../../src/services/boards.ts'
import { WireHost, playBoardVector } from '../support/wire-host.ts'

const NO_SOCAT = spawnSync('socat', ['-V']).status === 0 ? false : 'socat is not installed'
const NO_GCC = spawnSync('gcc', ['--version']).status === 0 ? false : 'gcc is not installed'
const xorNet = buildNetwork({ kind: 'all-to-all', nodes: 6, weightStd: 0.7, bias: 'random' }, { inputs: 2, outputs: 1 }, 1)

const cleanup: (() => Promise<unknown>)[] = []
after(async () => { for (const c of cleanup.reverse()) await c().catch(() => {}) })
async function pty(): Promise<PtyPair> {
  const p = await createPtyPair()
  cleanup.push(() => p.close())
  return p
}
async function board(...a: Parameters<typeof startBoard>): Promise<RunningBoard> {
  const b = await startBoard(...a)
  cleanup.push(() => b.close())
  return b
}

const flat = (n: Network) => [...n.weights, ...n.bias!.h, ...n.bias!.psi]
const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])))
async function train(sub: Substrate, cfg: TrainConfigInput) {
  const t = new Trainer(sub, xorNet, loadDataset('xor', 3), TrainConfig.parse({ batchSize: 4, seed: 3, evalEvery: 0, ...cfg }))
  await t.train()
  return { params: flat(t.trainedNetwork()), onBoard: t.onBoard !== null }
}
function is<K extends MessageName>(m: DecodedMessage, name: K): MessageBodies[K] {
  assert.equal(m.name, name, `expected ${name}, got ${m.name} ${JSON.stringify(m.body)}`)
  return m.body as MessageBodies[K]
}
function nack(m: DecodedMessage, code: keyof typeof ERROR_CODES, detail: number): void {
  const b = is(m, 'NACK')
  assert.equal(b.code, ERROR_CODES[code], `NACK code ${b.code}, expected ${code}`)
  assert.equal(b.detail, detail, `${code} detail`)
}
const rule = (o: Partial<MessageBodies['LEARN_CONFIG']> = {}): MessageBodies['LEARN_CONFIG'] =>
  ({ eta: 0.1, biasEta: 0.1, beta: 0.1, estimator: 'one-sided', cost: 'log-cos', ...o })
const VECTORS = (JSON.parse(readFileSync(LEARNING_BOARD_VECTORS_PATH, 'utf8')) as { vectors: BoardVector[] }).vectors
const ph = (rad: number) => Math.round(rad / PHASE_LSB)
/** two XOR samples: clamps of nodes 0 and 1, then the target of node 5 */
const SAMPLES = [ph(Math.PI / 2), ph(-Math.PI / 2), ph(Math.PI / 2), ph(-Math.PI / 2), ph(-Math.PI / 2), ph(-Math.PI / 2)]

for (const impl of ['ts', 'c'] as const) {
  const skip = NO_SOCAT || (impl === 'c' && NO_GCC)
  describe(`on-board learning on the ${impl === 'ts' ? 'TS virtual board' : 'C reference firmware'} over a socat pty`, { skip }, () => {
    let path = ''
    before(async () => {
      const pair = await pty()
      // maxBatch 3: a step of 4 samples is two LEARN_FREE/LEARN_NUDGED pairs accumulated into one commit
      await board({ network: xorNet, impl, path: pair.boardPath, board: { maxBatch: 3, onBoardLearning: true } })
      path = pair.hostPath
    })

    it('trains XOR on the board to the host-side parameters within the readout quantisation, one step and five epochs', async () => {
      const sub = await openSerialBoard({ path, replyTimeoutS: 0.5 })
      try {
        assert.equal(sub.info.onBoardLearning, true)
        for (const epochs of [1, 5]) {
          const host = await train(sub, { epochs, learning: 'host' })
          const onBoard = await train(sub, { epochs, learning: 'auto' })
          assert.equal(host.onBoard, false)
          assert.equal(onBoard.onBoard, true)
          // both boards learn from their 2^-13 rad readout, the states the host reads back: the two
          // updates differ only by f32 rounding (the wire's deltas, the C board's float accumulator)
          const d = maxDiff(onBoard.params, host.params)
          assert.ok(d <= 1e-5, `${epochs} epoch(s): max |on-board - host-side| = ${d}`)
          const moved = maxDiff(onBoard.params, flat(xorNet))
          assert.ok(moved > 10 * d, `the parameters moved (${moved}) far more than the two runs differ (${d})`)
        }
      } finally {
        await sub.close()
      }
    })

    it('accumulates over LEARN_NUDGED calls, applies on LEARN_COMMIT only, drops on LEARN_DISCARD, and refuses bad parameters with codes', async () => {
      const h = await WireHost.open(path)
      try {
        is(await h.hello(), 'DEVICE_INFO')
        const start = [...xorNet.weights, ...xorNet.bias!.h, ...xorNet.bias!.psi].map(Math.fround)
        is(await h.call('SET_PARAMS', { offset: 0, values: start }), 'PARAMS')
        const params = async () => is(await h.call('GET_PARAMS', { offset: 0, count: 0 }), 'PARAMS').values
        const free = { batch: 2, seed: 11, budgetUs: 0, maxSteps: 0, samples: SAMPLES }
        // refusals: nothing configured yet, then each bad field
        nack(await h.call('LEARN_COMMIT', {}), 'LEARN_NOT_CONFIGURED', 0)
        nack(await h.call('LEARN_FREE', free), 'LEARN_NOT_CONFIGURED', 0)
        nack(await h.call('LEARN_CONFIG', rule({ eta: -1 })), 'OUT_OF_RANGE', 0)
        nack(await h.call('LEARN_CONFIG', rule({ biasEta: NaN })), 'OUT_OF_RANGE', 1)
        nack(await h.call('LEARN_CONFIG', rule({ beta: 0 })), 'OUT_OF_RANGE', 2)
        nack(await h.call('LEARN_CONFIG', rule({ cost: 'squared' })), 'UNSUPPORTED', 0)
        is(await h.call('LEARN_CONFIG', rule()), 'ACK')
        nack(await h.call('LEARN_NUDGED', { batch: 1, budgetUs: 0, maxSteps: 0 }), 'NO_PREVIOUS', 0)
        nack(await h.call('LEARN_FREE', { ...free, batch: 0 }), 'OUT_OF_RANGE', 0)
        nack(await h.call('LEARN_FREE', { ...free, batch: 4 }), 'OUT_OF_RANGE', 4)
        nack(await h.call('LEARN_FREE', { ...free, samples: SAMPLES.slice(1) }), 'OUT_OF_RANGE', 6)
        // a free phase answers with the outputs, in the board's readout
        const out = is(await h.call('LEARN_FREE', free), 'LEARN_OUTPUTS')
        assert.equal(out.batch, 2)
        assert.equal(out.values.length, 2)
        assert.equal(out.settled, 2)
        const nu = is(await h.call('LEARN_NUDGED', { batch: 2, budgetUs: 0, maxSteps: 0 }), 'RELAX_DONE')
        assert.equal(nu.settled, 2, 'both samples accumulated')
        assert.deepEqual(await params(), start, 'nothing applied before the commit')
        is(await h.call('LEARN_DISCARD', {}), 'ACK')
        is(await h.call('LEARN_COMMIT', {}), 'ACK')
        assert.deepEqual(await params(), start, 'a discarded update is never applied')
        // the free equilibria stay after a discard: accumulate sample 0, then sample 1, commit once
        is(await h.call('LEARN_NUDGED', { batch: 1, budgetUs: 0, maxSteps: 0 }), 'RELAX_DONE')
        is(await h.call('LEARN_NUDGED', { batch: 2, budgetUs: 0, maxSteps: 0 }), 'RELAX_DONE')
        is(await h.call('LEARN_COMMIT', {}), 'ACK')
        const after = await params()
        const d = maxDiff(after, start)
        // |Delta theta| <= (eta/beta) max |contrast| <= 2 per parameter
        assert.ok(d > 1e-4 && d < 2, `the commit moved the parameters by ${d}`)
        assert.deepEqual(await params(), after)
        is(await h.call('LEARN_COMMIT', {}), 'ACK')
        assert.deepEqual(await params(), after, 'a second commit has nothing to apply')
        // HELLO forgets the rule
        is(await h.hello(), 'DEVICE_INFO')
        nack(await h.call('LEARN_COMMIT', {}), 'LEARN_NOT_CONFIGURED', 0)
        await h.call('STOP', {})
      } finally {
        await h.close()
      }
    })

    it('passes the frozen on-board learning board vectors (vectors/board-learning.json)', async () => {
      const h = await WireHost.open(path)
      try {
        for (const v of VECTORS) await playBoardVector(h, v, 5)
        await h.call('STOP', {})
      } finally {
        await h.close()
      }
    })

    it('a board without the capability refuses LEARN_CONFIG and trains host-side', async () => {
      const pair = await pty()
      await board({ network: xorNet, impl, path: pair.boardPath, board: { maxBatch: 3 } })
      const h = await WireHost.open(pair.hostPath)
      try {
        is(await h.hello(), 'DEVICE_INFO')
        nack(await h.call('LEARN_CONFIG', rule()), 'UNSUPPORTED', 0)
        await h.call('STOP', {})
      } finally {
        await h.close()
      }
      const sub = await openSerialBoard({ path: pair.hostPath, replyTimeoutS: 0.5 })
      try {
        assert.equal(sub.info.onBoardLearning, false)
        assert.equal(sub.learner, undefined)
        const r = await train(sub, { epochs: 1 })
        assert.equal(r.onBoard, false)
        assert.ok(maxDiff(r.params, flat(xorNet)) > 1e-3, 'host-side learning moved the parameters')
      } finally {
        await sub.close()
      }
    })
  })
}
