// Network.inputValues: how a value model reads dataset phases as clamped values.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Network } from '../../src/core/network/network.ts'
import { buildNetwork, parseBuilderString } from '../../src/core/topology/index.ts'
import { enginePhysics } from '../../src/engine/physics.ts'
import { asModel, withInputValues } from '../../src/services/substrates.ts'
import { EqpError } from '../../src/errors.ts'

const PHASES = Float64Array.from([-Math.PI / 2, -Math.PI / 6, 0, Math.PI / 6, Math.PI / 2])

describe('input values of the value models', () => {
  const xy = buildNetwork(parseBuilderString('layered:5,4,2'), { inputs: 5, outputs: 2 }, 3)

  for (const model of ['oim', 'resistor', 'ising'] as const) {
    it(`${model}: signed reads sin v in [-1, 1], unit reads (1 + sin v)/2 in [0, 1]; targets stay signed`, () => {
      const signed = enginePhysics(asModel(xy, model))
      const unit = enginePhysics(withInputValues(asModel(xy, model), 'unit'))
      const s = signed.encodeInputs(PHASES), u = unit.encodeInputs(PHASES)
      const want = [0, 0.25, 0.5, 0.75, 1]
      for (let k = 0; k < PHASES.length; k++) {
        assert.ok(Math.abs(s[k] - Math.sin(PHASES[k])) < 1e-15, `signed ${k}: ${s[k]}`)
        assert.ok(Math.abs(u[k] - want[k]) < 1e-15, `unit ${k}: ${u[k]}`)
      }
      // targets are +-1 classes whatever the inputs do
      assert.deepEqual([...unit.encodeTargets(Float64Array.from([-Math.PI / 2, Math.PI / 2]))], [-1, 1])
    })
  }

  it('survives conversion between value models and is dropped on the way to XY, which refuses it', () => {
    const oim = withInputValues(asModel(xy, 'oim'), 'unit')
    assert.equal(asModel(oim, 'resistor').inputValues, 'unit')
    assert.equal(asModel(oim, 'ising').inputValues, 'unit')
    assert.equal(asModel(oim, 'xy').inputValues, undefined)
    assert.throws(() => withInputValues(xy, 'unit', '--input-values'), (e: unknown) => e instanceof EqpError && e.code === 'EQP_ERR_BAD_INPUT' && /--input-values/.test(e.message))
    const r = Network.safeParse({ ...xy, inputValues: 'unit' })
    assert.equal(r.success, false)
    assert.deepEqual(r.error!.issues.map((i) => i.path.join('.')), ['inputValues'])
  })
})
