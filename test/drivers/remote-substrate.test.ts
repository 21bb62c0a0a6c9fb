// The remote driver as a Substrate over an in-memory link to the TS virtual board: the contract suite,
// bit-for-bit equality with the in-process simulator at board resolution, and training through faults.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openRemoteSubstrate, type RemoteSubstrate } from '../../drivers/remote/index.ts'
import { QuantisedXySubstrate } from '../../drivers/sim/quantised-xy.ts'
import type { RelaxRequest, Substrate } from '../../drivers/substrate.ts'
import type { VirtualBoardOptionsInput } from '../../drivers/board/virtual-board.ts'
import { PHASE_LSB } from '../../firmware-protocol/ts/index.ts'
import { loadDataset } from '../../src/core/data/index.ts'
import type { Network } from '../../src/core/network/network.ts'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { TrainConfig } from '../../src/engine/config.ts'
import { Trainer } from '../../src/engine/trainer.ts'
import { substrateContract } from '../contracts/substrate.contract.ts'
import { BoardOnCable } from '../support/board-link.ts'

const lattice = buildNetwork({ kind: 'lattice', rows: 4, cols: 4, weightStd: 0.8, bias: 'random' }, { inputs: 2, outputs: 2 }, 5)
const xorNet = buildNetwork({ kind: 'all-to-all', nodes: 6, weightStd: 0.7, bias: 'random' }, { inputs: 2, outputs: 1 }, 1)

/** A remote substrate on a cable to a virtual board; closing it also stops the board. */
async function remote(net: Network, board: VirtualBoardOptionsInput = {}, replyTimeoutS = 0.1): Promise<{ sub: RemoteSubstrate; cable: BoardOnCable }> {
  const cable = new BoardOnCable(net, board)
  const sub = await openRemoteSubstrate(cable.connect, 'mem', { replyTimeoutS, watchdogMs: 400, backoffS: { first: 0.01, max: 0.2 } })
  const close = sub.close.bind(sub)
  sub.close = async () => { await close(); cable.close() }
  return { sub, cable }
}

const FEATURES = { stateLsb: PHASE_LSB, f32Params: true }
substrateContract('remote board over an in-memory link', async () => (await remote(lattice)).sub, FEATURES)
substrateContract('remote board, 16-level couplings in [-1, 1], maxBatch 2, 256-byte frames', async () =>
  (await remote(lattice, { coupling: { min: -1, max: 1, levels: 16 }, maxBatch: 2, maxFrame: 256 })).sub, FEATURES)

const params = (n: Network) => ({ weights: Float64Array.from(n.weights), h: Float64Array.from(n.bias!.h), psi: Float64Array.from(n.bias!.psi) })

describe('RemoteSubstrate over an in-memory link', () => {
  it('relaxes bit for bit like the in-process simulator at board resolution, for every start and nudge', async () => {
    // 256-byte frames: every state, start and parameter array travels in several chunks
    const { sub } = await remote(lattice, { maxFrame: 256, maxBatch: 3 })
    const ref = new QuantisedXySubstrate(lattice, { maxBatch: 3 })
    try {
      const n = lattice.nodes
      for (const s of [sub, ref] as Substrate[]) await s.setParams(params(lattice))
      const inputs = Float64Array.of(0.3, -1.2, 2.9, 0.1, -3.1, 1.5)
      const free: RelaxRequest = { batch: 3, inputs, phase: 'free', start: { kind: 'random', seed: 77 } }
      const a = await sub.relax(free), b = await ref.relax(free)
      assert.deepEqual([...a.states], [...b.states])
      assert.deepEqual([...a.energy], [...b.energy])
      assert.deepEqual([...a.steps], [...b.steps])
      const targets = Float64Array.of(1, -1, 0.5, 2, -2.5, 0)
      const reqs: RelaxRequest[] = [
        { batch: 3, inputs, phase: 'nudged', nudge: { kind: 'cost', cost: 'log-cos', beta: 0.3, targets }, start: { kind: 'given', states: a.states } },
        { batch: 3, inputs, phase: 'nudged', nudge: { kind: 'force', force: Float64Array.from({ length: 3 * n }, (_, i) => Math.sin(i) * 0.05) }, start: { kind: 'given', states: a.states } },
        { batch: 3, inputs, phase: 'free', start: { kind: 'previous' } },
      ]
      for (const req of reqs) {
        const x = await sub.relax(req), y = await ref.relax(req)
        assert.deepEqual([...x.states], [...y.states], `${req.phase} ${req.nudge?.kind ?? ''} from ${req.start.kind}`)
        assert.deepEqual([...x.settled], [...y.settled])
      }
      const u = await sub.updateParams({ weights: new Float64Array(lattice.edges.length).fill(0.01), psi: new Float64Array(n).fill(4) })
      const v = await ref.updateParams({ weights: new Float64Array(lattice.edges.length).fill(0.01), psi: new Float64Array(n).fill(4) })
      assert.deepEqual([u.weights, u.h, u.psi].map((z) => [...z!]), [v.weights, v.h, v.psi].map((z) => [...z!]))
    } finally {
      await sub.close()
    }
  })

  const cfg = TrainConfig.parse({ epochs: 25, batchSize: 4, seed: 3, evalEvery: 0 })
  const flat = (n: Network) => [...n.weights, ...n.bias!.h, ...n.bias!.psi]

  async function train(sub: Substrate, onStep?: (step: number) => void, epochs = cfg.epochs) {
    const t = new Trainer(sub, xorNet, loadDataset('xor', 3), { ...cfg, epochs }, { onEvent: (e) => { if (e.type === 'batch') onStep?.(e.step) } })
    await t.train()
    return { net: t.trainedNetwork(), steps: t.snapshot().step }
  }

  it('trains XOR to exactly the parameters of the in-process simulator at board resolution', async () => {
    const { sub } = await remote(xorNet)
    try {
      const a = await train(sub)
      const b = await train(new QuantisedXySubstrate(xorNet))
      assert.deepEqual(flat(a.net), flat(b.net))
      assert.equal(a.steps, b.steps)
    } finally {
      await sub.close()
    }
  })

  it('trains XOR to the same parameters through 1% corrupted bytes, 1% lost frames, a reboot and an unplug', async () => {
    const ref = await train(new QuantisedXySubstrate(xorNet), undefined, 16)
    const { sub, cable } = await remote(xorNet, { faults: { corrupt: 0.01, drop: 0.01, rebootAfter: 200, seed: 5 } }, 0.02)
    try {
      const got = await train(sub, (step) => {
        if (step === 6) {
          cable.unplug()
          setTimeout(() => cable.plug(), 50)
        }
      }, 16)
      assert.deepEqual(flat(got.net), flat(ref.net), 'the same final parameters')
      assert.equal(got.steps, ref.steps, 'no step lost or repeated')
      const st = sub.status()
      assert.equal(cable.board.bootCounter, 2, 'the board rebooted once')
      assert.ok(st.counters.reconnects >= 2, `reconnects ${st.counters.reconnects}`)
      assert.ok(st.counters.paramRewrites >= 2)
      assert.ok(st.counters.retries > 0 && st.counters.crcErrors + st.counters.cobsErrors > 0)
      assert.ok(st.diagnostics.BOARD_REBOOTED && st.diagnostics.LINK_LOST && st.diagnostics.CRC_ERRORS)
    } finally {
      await sub.close()
    }
  })
})
