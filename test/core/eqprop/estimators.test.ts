import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { estimatorPlan, ESTIMATOR_NAMES } from '../../../src/core/eqprop/estimators.ts'
import { gradCheck, type Gradient } from '../../../src/services/grad-check.ts'
import { buildNetwork, type BuilderSpecInput } from '../../../src/core/topology/index.ts'

const flat = (g: Gradient) => [...g.weights, ...g.h, ...g.psi]
function relErr(est: Gradient, exact: Gradient): number {
  const a = flat(est), b = flat(exact)
  let num = 0, den = 0
  for (let i = 0; i < a.length; i++) { num += (a[i] - b[i]) ** 2; den += b[i] ** 2 }
  return Math.sqrt(num / den)
}

const CASES: { name: string; spec: BuilderSpecInput; io: { inputs: number; outputs: number } }[] = [
  { name: 'all-to-all 5', spec: { kind: 'all-to-all', nodes: 5, weightStd: 0.8, bias: 'random' }, io: { inputs: 2, outputs: 1 } },
  { name: 'layered 2-3-2', spec: { kind: 'layered', sizes: [2, 3, 2], weightStd: 1, bias: 'random' }, io: { inputs: 2, outputs: 2 } },
  { name: 'lattice 3x3', spec: { kind: 'lattice', rows: 3, cols: 3, weightStd: 1, bias: 'random' }, io: { inputs: 2, outputs: 1 } },
]

describe('EqProp estimators', () => {
  it('plans combine to the derivative of the observable: coefficients sum to zero', () => {
    for (const name of ESTIMATOR_NAMES) {
      const p = estimatorPlan(name, 0.1)
      const sum = p.freeCoef + p.nudges.reduce((a, nu) => a + nu.coef, 0)
      assert.ok(Math.abs(sum) < 1e-12, name)
      // first moment: sum coef * beta = 1, so a linear response gives exactly its slope
      const m1 = p.nudges.reduce((a, nu) => a + nu.coef * nu.beta, 0)
      assert.ok(Math.abs(m1 - 1) < 1e-12, name)
    }
    assert.throws(() => estimatorPlan('one-sided', 0), RangeError)
  })

  for (const c of CASES) {
    describe(c.name, () => {
      const net = buildNetwork(c.spec, c.io, 7)
      const sample = { x: Array.from({ length: c.io.inputs }, (_, k) => (k % 2 ? 1 : -1) * 0.8), target: Array.from({ length: c.io.outputs }, (_, k) => (k % 2 ? -1 : 1) * 1.2) }
      const at = (beta: number) => gradCheck(net, sample, { beta, seed: 3, tol: 1e-12 })

      it('one-sided error shrinks ~linearly in beta, symmetric ~quadratically, richardson faster still', async () => {
        const r1 = await at(0.01), r2 = await at(0.005)
        const e = (r: Awaited<ReturnType<typeof at>>, k: 'one-sided' | 'symmetric' | 'frozen-nudge' | 'richardson') => relErr(r.estimators[k], r.exact)
        const oneRatio = e(r1, 'one-sided') / e(r2, 'one-sided')
        const symRatio = e(r1, 'symmetric') / e(r2, 'symmetric')
        assert.ok(oneRatio > 1.6 && oneRatio < 2.5, `one-sided halving ratio ${oneRatio}`)
        assert.ok(symRatio > 3.2 && symRatio < 5, `symmetric halving ratio ${symRatio}`)
        const frozenRatio = e(r1, 'frozen-nudge') / e(r2, 'frozen-nudge')
        assert.ok(frozenRatio > 1.6 && frozenRatio < 2.5, `frozen-nudge halving ratio ${frozenRatio}`)
        assert.ok(e(r2, 'richardson') < e(r2, 'symmetric') / 4, `richardson ${e(r2, 'richardson')} vs symmetric ${e(r2, 'symmetric')}`)
        // the same free equilibrium is used for every estimate
        assert.deepEqual(r1.free, r2.free)
      })

      it('every estimator is within 1e-3 relative error of the exact gradient at small beta', async () => {
        const small = await at(3e-5)
        for (const k of ESTIMATOR_NAMES) assert.ok(relErr(small.estimators[k], small.exact) < 1e-3, `${k}: ${relErr(small.estimators[k], small.exact)}`)
        const mid = await at(1e-3)
        assert.ok(relErr(mid.estimators.symmetric, mid.exact) < 1e-3, `symmetric at 1e-3: ${relErr(mid.estimators.symmetric, mid.exact)}`)
        assert.ok(relErr(mid.estimators.richardson, mid.exact) < 1e-5, `richardson at 1e-3: ${relErr(mid.estimators.richardson, mid.exact)}`)
      })
    })
  }
})
