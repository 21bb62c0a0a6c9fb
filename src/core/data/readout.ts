// Readout by sin(phi): the projection on the +pi/2 target direction, so phase wrapping does not matter.

/** Predicted class from output phases (rad) phi[off + outputs[k]]: argmax sin, or sin > 0 for one output. */
export function predictClass(phi: Float64Array, off: number, outputs: Uint32Array | number[]): number {
  if (outputs.length === 1) return Math.sin(phi[off + outputs[0]]) > 0 ? 1 : 0
  let best = 0, bestV = -Infinity
  for (let k = 0; k < outputs.length; k++) {
    const v = Math.sin(phi[off + outputs[k]])
    if (v > bestV) { bestV = v; best = k }
  }
  return best
}

/** Class encoded by target phases (rad) y[off .. off+nOut), by the same rule as predictClass. */
export function targetClass(y: Float64Array, off: number, nOut: number): number {
  if (nOut === 1) return Math.sin(y[off]) > 0 ? 1 : 0
  let best = 0, bestV = -Infinity
  for (let k = 0; k < nOut; k++) {
    const v = Math.sin(y[off + k])
    if (v > bestV) { bestV = v; best = k }
  }
  return best
}
