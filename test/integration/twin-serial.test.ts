// Identification over a real link: the TS virtual board on a socat pty, the host through serialport and
// the wire protocol (force nudges, parameter writes, chunked batches). The board has no gain errors, so
// the fit must find the couplings the host wrote, to the wire's resolution.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { networkFromArg } from '../../src/services/networks.ts'
import { startBoard } from '../../src/services/boards.ts'
import { identifyOnTarget } from '../../src/services/twin/on-target.ts'

const NO_SOCAT = spawnSync('socat', ['-V']).status === 0 ? false : 'socat is not installed'
const net = networkFromArg('all-to-all:6:std=0.7:bias=random', { inputs: 2, outputs: 1 }, 0)

describe('identify over a serial pty', { skip: NO_SOCAT }, () => {
  it('finds the couplings and bias fields the host wrote to a TS virtual board', async () => {
    const board = await startBoard({ network: net, impl: 'ts', board: { uid: 'twin-ser-1', maxBatch: 16 } })
    try {
      const r = await identifyOnTarget(net, { kind: 'serial', path: board.hostPath }, { task: 'xor', train: {} }, { samples: 24 })
      assert.equal(r.report.uid, 'twin-ser-1')
      assert.equal(r.report.relaxations, 3 * 2 * 24)
      assert.equal(r.truth, null)
      for (let k = 1; k < 15; k++) {
        const c = r.report.couplings[k]
        assert.ok(Math.abs(c.w - net.weights[k]) < 2e-3, `edge ${k}: ${c.w} vs ${net.weights[k]}`)
        assert.ok(Math.abs(c.gain - 1) < 0.02, `gain ${k}: ${c.gain}`)
      }
      for (const b of r.report.bias) assert.ok(Math.abs(b.h - Math.abs(net.bias!.h[b.node])) < 2e-3, `bias of node ${b.node}`)
    } finally {
      await board.close()
    }
  })
})
