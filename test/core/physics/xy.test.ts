import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileXy, refreshBias, xyAddCostGrad, xyBiasObservable, xyCost, xyDistance, xyEdgeObservable, xyEnergy, xyEnergyGrad, xyHessian } from '../../../src/core/physics/xy.ts'
import { XySystem } from '../../../src/core/physics/xy-system.ts'
import { Rng } from '../../../src/core/rng/rng.ts'
import { BandMatrix, bandwidth } from '../../../src/core/solvers/band.ts'
import { smallNetworks } from '../../support/networks.ts'

const H = 1e-6
const randomPhases = (n: number, rng: Rng) => Float64Array.from({ length: n }, () => rng.uniform(-Math.PI, Math.PI))

describe('XY physics', () => {
  for (const { name, net: desc } of smallNetworks(11)) {
    describe(name, () => {
      const net = compileXy(desc)
      const rng = new Rng(5)
      const phi = randomPhases(net.n, rng)
      const tau = Float64Array.from(net.outputs, () => rng.uniform(-1.5, 1.5))

      it('has dE/dphi equal to central finite differences of the energy to 1e-7', () => {
        const g = xyEnergyGrad(net, phi, 0, new Float64Array(net.n)).slice()
        for (let i = 0; i < net.n; i++) {
          const p = phi.slice(), q = phi.slice()
          p[i] += H; q[i] -= H
          const fd = (xyEnergy(net, p, 0) - xyEnergy(net, q, 0)) / (2 * H)
          assert.ok(Math.abs(fd - g[i]) < 1e-7, `node ${i}: fd ${fd} vs ${g[i]}`)
        }
      })

      it('has a force that is minus the gradient of E + beta C on free nodes and zero on clamped ones', () => {
        const sys = new XySystem(net)
        sys.beta = 0.3; sys.tau = tau
        const f = new Float64Array(net.n)
        sys.force(phi, f)
        for (let i = 0; i < net.n; i++) {
          if (net.clamped[i]) { assert.equal(f[i], 0); continue }
          const p = phi.slice(), q = phi.slice()
          p[i] += H; q[i] -= H
          const fd = -(sys.energy(p) - sys.energy(q)) / (2 * H)
          assert.ok(Math.abs(fd - f[i]) < 1e-7, `node ${i}: fd ${fd} vs ${f[i]}`)
        }
      })

      it('has a cost gradient tan(d/2) that matches finite differences of C', () => {
        const g = new Float64Array(net.n)
        xyAddCostGrad(net, phi, 0, tau, 0, 1, g)
        for (const o of net.outputs) {
          const p = phi.slice(), q = phi.slice()
          p[o] += H; q[o] -= H
          const fd = (xyCost(net, p, 0, tau, 0) - xyCost(net, q, 0, tau, 0)) / (2 * H)
          assert.ok(Math.abs(fd - g[o]) < 1e-6 * Math.max(1, Math.abs(fd)))
        }
      })

      it('has a Hessian equal to finite differences of the gradient (free block, with nudge)', () => {
        const B = new BandMatrix(net.n, bandwidth(net.n, net.ei, net.ej, net.clamped))
        xyHessian(net, phi, 0, 0.3, tau, 0, B)
        const sys = new XySystem(net)
        sys.beta = 0.3; sys.tau = tau
        const fp = new Float64Array(net.n), fq = new Float64Array(net.n)
        for (let j = 0; j < net.n; j++) {
          if (net.clamped[j]) continue
          const p = phi.slice(), q = phi.slice()
          p[j] += H; q[j] -= H
          sys.force(p, fp); sys.force(q, fq)
          for (let i = 0; i < net.n; i++) {
            if (net.clamped[i]) continue
            const fd = -(fp[i] - fq[i]) / (2 * H)
            assert.ok(Math.abs(fd - B.get(i, j)) < 1e-6 * Math.max(1, Math.abs(fd)), `H[${i},${j}] fd ${fd} vs ${B.get(i, j)}`)
          }
        }
      })

      it('has edge and bias observables equal to dE/dW, dE/dh, dE/dpsi', () => {
        const ow = xyEdgeObservable(net, phi, 0, new Float64Array(net.m)).slice()
        for (let k = 0; k < net.m; k++) {
          const w0 = net.w[k]
          net.w[k] = w0 + H; const ep = xyEnergy(net, phi, 0)
          net.w[k] = w0 - H; const eq = xyEnergy(net, phi, 0)
          net.w[k] = w0
          assert.ok(Math.abs((ep - eq) / (2 * H) - ow[k]) < 1e-7)
        }
        const oh = new Float64Array(net.n), op = new Float64Array(net.n)
        xyBiasObservable(net, phi, 0, oh, op)
        for (let i = 0; i < net.n; i++) {
          const h0 = net.h[i], p0 = net.psi[i]
          // parameters changed in place must be followed by refreshBias (the kernels cache h cos psi, h sin psi)
          net.h[i] = h0 + H; refreshBias(net); const ep = xyEnergy(net, phi, 0)
          net.h[i] = h0 - H; refreshBias(net); const eq = xyEnergy(net, phi, 0)
          net.h[i] = h0
          assert.ok(Math.abs((ep - eq) / (2 * H) - oh[i]) < 1e-7)
          net.psi[i] = p0 + H; refreshBias(net); const pp = xyEnergy(net, phi, 0)
          net.psi[i] = p0 - H; refreshBias(net); const pq = xyEnergy(net, phi, 0)
          net.psi[i] = p0; refreshBias(net)
          assert.ok(Math.abs((pp - pq) / (2 * H) - op[i]) < 1e-7)
        }
      })
    })
  }

  it('measures D = 1/2 sum (1 - cos) and C = -sum log(1 + cos) on the outputs', () => {
    const [{ net: desc }] = smallNetworks(1)
    const net = compileXy(desc)
    const phi = new Float64Array(net.n)
    const o = net.outputs[0]
    phi[o] = Math.PI / 2
    const tau = [-Math.PI / 2 + 0.0]
    assert.ok(Math.abs(xyDistance(net, phi, 0, [Math.PI / 2], 0)) < 1e-15)
    assert.ok(Math.abs(xyDistance(net, phi, 0, tau, 0) - 1) < 1e-12)
    phi[o] = 1
    assert.ok(Math.abs(xyCost(net, phi, 0, [0], 0) + Math.log(1 + Math.cos(1))) < 1e-15)
  })
})
