// The conformance suite (test/contracts/wire-board.contract.ts: SPEC.md section by section, and every
// frozen board vector) against both reference boards over socat ptys: the TS virtual board and the C
// firmware, each the fixture board of SPEC 12.1 with relaxations that never settle.
import { spawnSync } from 'node:child_process'
import { after, describe } from 'node:test'
import { buildNetwork } from '../../src/core/topology/index.ts'
import { startBoard } from '../../src/services/boards.ts'
import { wireBoardConformance } from '../contracts/wire-board.contract.ts'

const NO_SOCAT = spawnSync('socat', ['-V']).status === 0 ? false : 'socat is not installed'
const NO_GCC = spawnSync('gcc', ['--version']).status === 0 ? false : 'gcc is not installed'
const fixture = buildNetwork({ kind: 'all-to-all', nodes: 6, weightStd: 1, bias: 'random' }, { inputs: 2, outputs: 1 }, 1)

const cleanup: (() => Promise<unknown>)[] = []
after(async () => { for (const c of cleanup.reverse()) await c().catch(() => {}) })

for (const [impl, maxFrame] of [['ts', 2048], ['c', 1024]] as ['ts' | 'c', number][]) {
  describe(`${impl === 'ts' ? 'TS virtual board' : 'C reference firmware'} over a socat pty`, { skip: NO_SOCAT || (impl === 'c' && NO_GCC) }, () => {
    wireBoardConformance(impl === 'ts' ? 'TS virtual board' : 'C reference firmware', async () => {
      const b = await startBoard({ network: fixture, impl, board: { maxBatch: 4, maxFrame, tol: 1e-300 } })
      cleanup.push(() => b.close())
      return { hostPath: b.hostPath, maxFrame, maxBatch: 4 }
    })
  })
}
