// Random starting phases shared by the solver benches: uniform in (-pi, pi) from one seeded stream,
// inputs clamped at +-pi/2 alternately (an XOR-like sample), so every solver starts from the same states.
import { Rng } from '../src/core/rng/rng.ts'
import type { XyNet } from '../src/core/physics/xy.ts'

/** `count` start states (rad) for a compiled network, from the stream seeded `seed`. */
export function randomStarts(net: XyNet, count: number, seed: number): Float64Array[] {
  const rng = new Rng(seed)
  return Array.from({ length: count }, () => {
    const x = Float64Array.from({ length: net.n }, () => rng.uniform(-Math.PI, Math.PI))
    net.inputs.forEach((i, k) => { x[i] = k % 2 ? Math.PI / 2 : -Math.PI / 2 })
    return x
  })
}
