// Small random networks of every topology, for tests that must hold on each of them.
import type { Network } from '../../src/core/network/network.ts'
import { buildNetwork, type BuilderSpecInput } from '../../src/core/topology/index.ts'

export const SMALL_TOPOLOGIES: { name: string; spec: BuilderSpecInput; io: { inputs: number; outputs: number } }[] = [
  { name: 'all-to-all 6', spec: { kind: 'all-to-all', nodes: 6, weightStd: 0.7, bias: 'random' }, io: { inputs: 2, outputs: 1 } },
  { name: 'layered 3-5-2', spec: { kind: 'layered', sizes: [3, 5, 2], weightStd: 0.8, bias: 'random' }, io: { inputs: 3, outputs: 2 } },
  { name: 'lattice 4x4 n4', spec: { kind: 'lattice', rows: 4, cols: 4, weightStd: 0.8, bias: 'random' }, io: { inputs: 2, outputs: 1 } },
  { name: 'lattice 4x5 n8 skip 2', spec: { kind: 'lattice', rows: 4, cols: 5, neighbours: 8, skips: [2], weightStd: 0.6, bias: 'random' }, io: { inputs: 2, outputs: 2 } },
]

/** The small networks, built with the given seed. */
export function smallNetworks(seed: number): { name: string; net: Network }[] {
  return SMALL_TOPOLOGIES.map((t) => ({ name: t.name, net: buildNetwork(t.spec, t.io, seed) }))
}

/** A layered network of the given sizes (weights N(0, 0.8^2), random bias fields), for solver tests. */
export const layeredNet = (sizes: number[], seed: number): Network =>
  buildNetwork({ kind: 'layered', sizes, weightStd: 0.8, bias: 'random' }, { inputs: sizes[0], outputs: sizes[sizes.length - 1] }, seed)

/** Largest phase difference on the circle (rad). */
export function circleDistance(a: Float64Array, b: Float64Array): number {
  let d = 0
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(Math.atan2(Math.sin(a[i] - b[i]), Math.cos(a[i] - b[i]))))
  return d
}
