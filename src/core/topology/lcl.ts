// Locally connected layers (LCL): convolution geometry without weight sharing (facts §4.5). An input
// image H x W (one channel) feeds hidden layers C x H' x W', each site bonded to the k x k window
// (times the channels below) at stride s; the last hidden layer is dense to the outputs. With
// `tied` the same geometry shares one kernel per layer (CNN-like): the network's `tied` array maps
// every bond to its (layer, output channel, input channel, ky, kx) parameter, dense bonds each to their own.
import type { Network } from '../network/network.ts'
import { Rng } from '../rng/rng.ts'
import { checkIo, drawBias, type IoCounts, type LclSpec } from './spec.ts'

/** Shape of one image-shaped layer (channels x height x width). */
export interface LayerShape { channels: number; height: number; width: number }

/** Output size and leading pad along one axis ('valid': no padding; 'same': TF-style, ceil(n/s)). */
export function convAxis(n: number, k: number, s: number, padding: 'valid' | 'same'): { out: number; pad: number } {
  if (padding === 'same') {
    const out = Math.ceil(n / s)
    return { out, pad: Math.floor(Math.max((out - 1) * s + k - n, 0) / 2) }
  }
  return { out: n >= k ? Math.floor((n - k) / s) + 1 : 0, pad: 0 }
}

/** The image-shaped layers of an LCL spec, input first; throws RangeError for a layer that vanishes. */
export function lclShapes(spec: LclSpec): LayerShape[] {
  const shapes: LayerShape[] = [{ channels: 1, height: spec.height, width: spec.width }]
  spec.layers.forEach((l, k) => {
    const prev = shapes[shapes.length - 1]
    const h = convAxis(prev.height, l.kernel, l.stride, spec.padding).out, w = convAxis(prev.width, l.kernel, l.stride, spec.padding).out
    if (h < 1 || w < 1) throw new RangeError(`layers.${k}: kernel ${l.kernel} does not fit the ${prev.height}x${prev.width} layer below`)
    shapes.push({ channels: l.channels, height: h, width: w })
  })
  return shapes
}

/**
 * LCL network (CNN-like with spec.tied); node ids: input pixels y*W + x, then each hidden layer channel-major
 * (off + (ch*H' + y)*W' + x), then the outputs. Default std: 1/sqrt(Cin*k*k + Cout*ceil(k/s)^2) per
 * local layer (fan-in plus fan-out of a site), 1/sqrt(a + b) for the dense block.
 */
export function lcl(spec: LclSpec, io: IoCounts, seed: number): Network {
  checkIo(io)
  const mean = spec.weightMean ?? 0
  const pixels = spec.height * spec.width
  if (pixels !== io.inputs) throw new RangeError(`height: a ${spec.height}x${spec.width} input has ${pixels} pixels but the task has ${io.inputs} inputs`)
  const shapes = lclShapes(spec)
  const rng = new Rng(seed)
  const edges: [number, number][] = [], weights: number[] = [], tied: number[] = []
  // tied: parameter index per kernel entry, numbered in order of first use so indices are dense
  // (a 'same'-padded kernel offset that never lands on a pixel gets no parameter)
  const param = new Map<number, number>(), value: number[] = []
  let off = 0
  for (let k = 0; k < spec.layers.length; k++) {
    const a = shapes[k], b = shapes[k + 1], { kernel: K, stride: S } = spec.layers[k]
    const next = off + a.channels * a.height * a.width
    const py = convAxis(a.height, K, S, spec.padding).pad, px = convAxis(a.width, K, S, spec.padding).pad
    const std = spec.weightStd ?? 1 / Math.sqrt(a.channels * K * K + b.channels * Math.ceil(K / S) ** 2)
    for (let o = 0; o < b.channels; o++) {
      for (let y = 0; y < b.height; y++) {
        for (let x = 0; x < b.width; x++) {
          const j = next + (o * b.height + y) * b.width + x
          for (let c = 0; c < a.channels; c++) {
            for (let ky = 0; ky < K; ky++) {
              const sy = y * S + ky - py
              if (sy < 0 || sy >= a.height) continue   // padded positions carry no bond
              for (let kx = 0; kx < K; kx++) {
                const sx = x * S + kx - px
                if (sx < 0 || sx >= a.width) continue
                edges.push([off + (c * a.height + sy) * a.width + sx, j])
                if (!spec.tied) { weights.push(mean + std * rng.normal()); continue }
                const key = (((k * b.channels + o) * a.channels + c) * K + ky) * K + kx
                let p = param.get(key)
                if (p === undefined) { p = value.length; param.set(key, p); value.push(mean + std * rng.normal()) }
                tied.push(p); weights.push(value[p])
              }
            }
          }
        }
      }
    }
    off = next
  }
  const last = shapes[shapes.length - 1], n = last.channels * last.height * last.width
  const outStart = off + n
  const std = spec.weightStd ?? 1 / Math.sqrt(n + io.outputs)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < io.outputs; j++) {
      edges.push([off + i, outStart + j]); weights.push(mean + std * rng.normal())
      if (spec.tied) tied.push(value.length + i * io.outputs + j)   // dense bonds are not shared
    }
  }
  const nodes = outStart + io.outputs
  const net: Network = {
    model: 'xy', nodes, edges, weights,
    inputs: Array.from({ length: pixels }, (_, k) => k),
    outputs: Array.from({ length: io.outputs }, (_, k) => outStart + k),
  }
  const bias = drawBias(spec.bias, nodes, rng, spec.biasMax)
  if (bias) net.bias = bias
  if (spec.tied) net.tied = tied
  return net
}
