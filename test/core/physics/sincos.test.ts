import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sinCosInto } from '../../../src/core/physics/sincos.ts'
import { Rng } from '../../../src/core/rng/rng.ts'

// The kernels' shared sin/cos against Math's, including the quadrant boundaries (odd multiples of
// pi/4, where the range reduction's rounding picks a side) and values past its cheap-reduction limit.
describe('sinCosInto', () => {
  const rng = new Rng(3)
  const xs = [
    ...Array.from({ length: 4000 }, () => rng.uniform(-Math.PI, Math.PI)),
    ...Array.from({ length: 2000 }, () => rng.uniform(-1e4, 1e4)),
    ...Array.from({ length: 33 }, (_, k) => (k - 16) * Math.PI / 4),
    ...Array.from({ length: 33 }, (_, k) => (k - 16) * Math.PI / 4 + 1e-15),
    0, -0, 0.5 * Math.PI / 2, -0.5 * Math.PI / 2, 2.5e5, -3e7, 1e300,
  ]
  const phi = Float64Array.from(xs)

  it('matches Math.cos and Math.sin to 2.5e-16 times max(1, |x| / 2pi) at an offset', () => {
    const off = 7, buf = new Float64Array(off + phi.length)
    buf.set(phi, off)
    const cs = new Float64Array(phi.length), sn = new Float64Array(phi.length)
    sinCosInto(buf, off, phi.length, cs, sn)
    for (let i = 0; i < phi.length; i++) {
      const x = phi[i], tol = 2.5e-16 * Math.max(1, Math.abs(x) / (2 * Math.PI))
      assert.ok(Math.abs(cs[i] - Math.cos(x)) <= tol, `cos(${x}): ${cs[i]} vs ${Math.cos(x)}`)
      assert.ok(Math.abs(sn[i] - Math.sin(x)) <= tol, `sin(${x}): ${sn[i]} vs ${Math.sin(x)}`)
    }
  })

  it('gives exactly cos 0 = 1 and sin 0 = 0, and NaN for NaN', () => {
    const cs = new Float64Array(2), sn = new Float64Array(2)
    sinCosInto(Float64Array.from([0, NaN]), 0, 2, cs, sn)
    assert.equal(cs[0], 1)
    assert.equal(sn[0], 0)
    assert.ok(Number.isNaN(cs[1]) && Number.isNaN(sn[1]))
  })
})
