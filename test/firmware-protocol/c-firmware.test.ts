// The reference firmware (firmware-protocol/c/firmware): its board library fuzzed under ASan and UBSan,
// and its random starts checked against the host's generator, value for value.
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { SINCOS_CONSTANTS } from '../../src/core/physics/sincos.ts'
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

  it('takes sin and cos as the simulator polynomials do with Math.round range reduction, bit for bit, on quadrant edges too', { skip: NO_GCC }, () => {
    // the C pass has no branch (so that it vectorises): its rounding of x * 2/pi and its quadrant
    // are selects on doubles; this oracle restates them with Math.round (half-way rounds up)
    const { TWO_OVER_PI, PIO2_HI, PIO2_MID, PIO2_LO, SIN, COS, LIMIT } = SINCOS_CONSTANTS
    const poly = (z: number, c: readonly number[]) => { let p = c[c.length - 1]; for (let i = c.length - 2; i >= 0; i--) p = c[i] + z * p; return p }
    const oracle = (x: number): [number, number] => {
      if (!(x < LIMIT && x > -LIMIT)) return [Math.cos(x), Math.sin(x)]
      const k = Math.round(x * TWO_OVER_PI)
      const r = x - k * PIO2_HI - k * PIO2_MID - k * PIO2_LO, z = r * r
      const s = r + r * z * poly(z, SIN), c = 1 + z * poly(z, COS)
      return [[c, -s, -c, s][k & 3], [s, c, -s, -c][k & 3]]
    }
    const nudge = (x: number, ulps: number) => { const f = new Float64Array([x]), u = new BigInt64Array(f.buffer); u[0] += BigInt(ulps); return f[0] }
    const rng = new Rng(5), xs: number[] = [0, -0, Math.PI, -Math.PI, 99999.99999999999, -99999.99999999999]
    for (let i = 0; i < 3000; i++) xs.push(rng.uniform(-20, 20), rng.uniform(-1e5, 1e5))
    for (let k = -2000; k <= 2000; k += 7) for (let u = -3; u <= 3; u++) xs.push(nudge((k + 0.5) * Math.PI / 2, u), nudge(k * Math.PI / 2, u))
    const out = execFileSync(ensureFirmwareBuilt(), ['--print-sincos'], { input: xs.map((x) => (Object.is(x, -0) ? '-0' : String(x))).join('\n') + '\n', encoding: 'utf8' }).trim().split('\n')
    assert.equal(out.length, xs.length)
    let bad = 0
    for (const [i, x] of xs.entries()) {
      const [c, s] = out[i].split(' ').map(Number), [wc, ws] = oracle(x)
      if (!Object.is(c, wc) || !Object.is(s, ws)) bad++
    }
    assert.equal(bad, 0, `${bad} of ${xs.length} phases differ`)
  })

  it('survives random, mutated and out-of-range commands under ASan and UBSan, answering every readable one (make firmware-fuzz)', { skip: NO_GCC }, () => {
    const r = spawnSync('make', ['-s', '-C', C_DIR, 'firmware-fuzz'], { encoding: 'utf8', timeout: 120_000 })
    const out = `${r.stdout}${r.stderr}`
    assert.equal(r.status, 0, out)
    assert.match(out, /board-fuzz: 20000 iterations, \d+ frames out, 0 undecodable/)
    assert.doesNotMatch(out, /FAIL|ERROR: AddressSanitizer|runtime error/)
  })
})
