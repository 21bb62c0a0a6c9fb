// The reference firmware (firmware-protocol/c/firmware): its board library fuzzed under ASan and UBSan,
// and its random starts checked against the host's generator, value for value.
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Rng } from '../../src/core/rng/rng.ts'
import { ensureFirmwareBuilt } from '../../src/services/boards.ts'

const C_DIR = fileURLToPath(new URL('../../firmware-protocol/c', import.meta.url))
const NO_GCC = spawnSync('gcc', ['--version']).status === 0 ? false : 'gcc is not installed'

describe('C reference firmware', () => {
  it('draws the same start phases as src/core/rng for the same seed (xoshiro128** port)', { skip: NO_GCC }, () => {
    const bin = ensureFirmwareBuilt()
    for (const seed of [0, 7, 123456789, 2 ** 32 - 1]) {
      const out = execFileSync(bin, ['--print-rng', String(seed), '50'], { encoding: 'utf8' }).trim().split('\n').map(Number)
      const r = new Rng(seed)
      const want = Array.from({ length: 50 }, () => r.uniform(-Math.PI, Math.PI))
      assert.deepEqual(out, want, `seed ${seed}`)
    }
  })

  it('survives random, mutated and out-of-range commands under ASan and UBSan, answering every readable one (make firmware-fuzz)', { skip: NO_GCC }, () => {
    const r = spawnSync('make', ['-s', '-C', C_DIR, 'firmware-fuzz'], { encoding: 'utf8', timeout: 120_000 })
    const out = `${r.stdout}${r.stderr}`
    assert.equal(r.status, 0, out)
    assert.match(out, /board-fuzz: 20000 iterations, \d+ frames out, 0 undecodable/)
    assert.doesNotMatch(out, /FAIL|ERROR: AddressSanitizer|runtime error/)
  })
})
