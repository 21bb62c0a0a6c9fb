import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { expandTied, sumTiedGradient, tiedCount } from '../../../src/core/eqprop/tied.ts'
import { Network } from '../../../src/core/network/network.ts'
import { compileXy, xyEdgeObservable, xyEnergy } from '../../../src/core/physics/xy.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import { buildNetwork } from '../../../src/core/topology/index.ts'

describe('tied parameters', () => {
  // a 3x3 lattice whose 12 bonds share 3 values: horizontal bonds of the top row, other horizontals, verticals
  const base = buildNetwork({ kind: 'lattice', rows: 3, cols: 3, bias: 'zero' }, { inputs: 1, outputs: 1 }, 0)
  const tied = base.edges.map(([i, j]) => (j - i === 1 ? (i < 3 ? 0 : 1) : 2))
  const theta = [0.7, -0.4, 1.1]

  it('counts and expands tied values onto their edges', () => {
    assert.equal(tiedCount(tied), 3)
    const w = expandTied(tied, theta, new Float64Array(tied.length))
    tied.forEach((p, k) => assert.equal(w[k], theta[p]))
  })

  it('gives dE/dtheta_p equal to the sum of its bonds dE/dW (central differences to 1e-7)', () => {
    const rng = new Rng(5)
    const phi = Float64Array.from({ length: 9 }, () => rng.uniform(-Math.PI, Math.PI))
    const energyAt = (t: number[]) => {
      const net = { ...base, weights: [...expandTied(tied, t, new Float64Array(tied.length))] }
      return xyEnergy(compileXy(net), phi, 0)
    }
    const net = compileXy({ ...base, weights: [...expandTied(tied, theta, new Float64Array(tied.length))] })
    const perEdge = xyEdgeObservable(net, phi, 0, new Float64Array(tied.length))
    const g = sumTiedGradient(tied, perEdge, new Float64Array(3))
    const eps = 1e-5
    for (let p = 0; p < 3; p++) {
      const up = theta.slice(), dn = theta.slice()
      up[p] += eps; dn[p] -= eps
      const fd = (energyAt(up) - energyAt(dn)) / (2 * eps)
      assert.ok(Math.abs(fd - g[p]) < 1e-7, `theta ${p}: finite difference ${fd}, tied sum ${g[p]}`)
    }
    // and the sum really is over the bonds: parameter 0 has 2 bonds, parameter 2 has 6
    assert.ok(Math.abs(g[0] - (perEdge[tied.indexOf(0)] + perEdge[tied.lastIndexOf(0)])) < 1e-15)
    assert.deepEqual([0, 1, 2].map((p) => tied.filter((q) => q === p).length), [2, 4, 6])
  })

  it('is accepted by the Network schema when tied weights agree, and refused otherwise', () => {
    const weights = [...expandTied(tied, theta, new Float64Array(tied.length))]
    Network.parse({ ...base, weights, tied })
    assert.throws(() => Network.parse({ ...base, weights, tied: tied.slice(1) }), /tied/)
    const off = weights.slice(); off[tied.lastIndexOf(2)] += 1
    assert.throws(() => Network.parse({ ...base, weights: off, tied }), /tied to parameter 2/)
  })

  it('refuses a gradient of the wrong length and a parameter index beyond out', () => {
    assert.throws(() => sumTiedGradient([0, 1], [1], new Float64Array(2)), RangeError)
    assert.throws(() => sumTiedGradient([0, 3], [1, 1], new Float64Array(2)), /parameter 3/)
  })
})
