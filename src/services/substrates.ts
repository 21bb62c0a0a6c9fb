// Which simulated substrate runs a network: chosen by the network's `model`, or converted to the
// model a caller names (`train --substrate`, the daemon's device kind). One place, so the CLI, the
// training service and the device service agree.
import { formatIssues, gainBoundaries, Network, type InputValues, type ModelName } from '../core/network/network.ts'
import { EqpError } from '../errors.ts'

// a simulator thread opens simulators too, and a driver may not import services: the opener is the driver's
export { openSimulator } from '../../drivers/sim/open-sim.ts'

/**
 * The network as the given model. XY -> OIM keeps couplings and h (the field along phase 0) and
 * zeroes psi; S starts at 0. OIM -> XY drops S. -> resistor: |W| between nodes, bias currents 0.
 * -> ising: couplings and h kept as J and h, psi zeroed (no output copies; see replicateOutputs);
 * ising -> another model drops the replica groups (they become plain nodes); resistor -> another
 * model drops the amplifier gains, -> xy drops inputValues (XY clamps phases). Same model: unchanged.
 */
export function asModel(net: Network, model: ModelName): Network {
  if (net.model === model) return net
  // amplifier gains are a resistor-network field: another model has no amplifiers
  const { shil: _s, replicas: _r, gain: _g, inputValues: _v, ...rest } = net
  if (model === 'xy') return { ...rest, model }
  // conductances between nodes are >= 0: take |W| (input edges keep their sign, which picks +x or -x)
  if (model === 'resistor') {
    const ins = new Set(net.inputs)
    const weights = net.weights.map((w, k) => (ins.has(net.edges[k][0]) || ins.has(net.edges[k][1]) ? w : Math.abs(w)))
    return { ...rest, model, weights, ...(net.inputValues ? { inputValues: net.inputValues } : {}), bias: { h: new Array<number>(net.nodes).fill(0), psi: new Array<number>(net.nodes).fill(0) } }
  }
  return { ...rest, model, ...(net.inputValues ? { inputValues: net.inputValues } : {}), bias: { h: net.bias?.h ?? new Array<number>(net.nodes).fill(0), psi: new Array<number>(net.nodes).fill(0) } }
}

/**
 * The network with its input values mapping set (Network.inputValues: 'signed' sin v, 'unit'
 * (1 + sin v)/2). EQP_ERR_BAD_INPUT naming `field` on an XY network, which clamps phases.
 */
export function withInputValues(net: Network, values: InputValues | undefined, field = 'inputValues'): Network {
  if (values === undefined) return net
  if (net.model === 'xy') throw new EqpError('EQP_ERR_BAD_INPUT', [field, `an XY network clamps phases; input values are for the value models oim, resistor and ising`])
  return { ...net, inputValues: values }
}

/**
 * The resistor network with its amplifier gains set (Network.gain): `input`, the input stage's voltage
 * gain, and `layers`, the inter-layer amplifiers' forward voltage gains, one per boundary or a single
 * value for every boundary. Given fields replace the network's own. EQP_ERR_BAD_INPUT naming the
 * field (fields.input / fields.layers) for another model, a gain <= 0 or not finite, or a wrong count.
 */
export function withResistorGain(net: Network, gain: { input?: number; layers?: number[] }, fields = { input: 'gain.input', layers: 'gain.layers' }): Network {
  const given = gain.input !== undefined ? fields.input : gain.layers !== undefined ? fields.layers : null
  if (given === null) return net
  if (net.model !== 'resistor') throw new EqpError('EQP_ERR_BAD_INPUT', [given, `amplifier gains are for a resistor network (the model is '${net.model}')`])
  const positive = (v: number) => Number.isFinite(v) && v > 0
  if (gain.input !== undefined && !positive(gain.input)) throw new EqpError('EQP_ERR_BAD_INPUT', [fields.input, `${gain.input} is not a positive finite gain`])
  let layers = gain.layers
  if (layers !== undefined) {
    const bad = layers.find((v) => !positive(v))
    if (bad !== undefined) throw new EqpError('EQP_ERR_BAD_INPUT', [fields.layers, `${bad} is not a positive finite gain`])
    const want = gainBoundaries(net)
    if (layers.length === 1 && want > 1) layers = new Array<number>(want).fill(layers[0])
    if (layers.length !== want) {
      throw new EqpError('EQP_ERR_BAD_INPUT', [fields.layers, `${layers.length} gains for ${want} amplifier boundaries (one between each pair of consecutive free depths, e.g. hidden -> output)`])
    }
  }
  const out = { ...net, gain: { ...net.gain, ...(gain.input !== undefined ? { input: gain.input } : {}), ...(layers !== undefined ? { layers } : {}) } }
  const r = Network.safeParse(out)
  if (!r.success) throw new EqpError('EQP_ERR_BAD_INPUT', [layers !== undefined ? fields.layers : fields.input, formatIssues(r.error)])
  return r.data
}
