// DenseMatMul on TensorFlow.js: W lives on the backend as a float32 tensor; each product uploads
// the left operand, runs tf.matMul inside tf.tidy and copies the result back with dataSync.
// Elementwise work (sin/cos, the products with cos/sin of the target layer) stays in plain loops,
// which are faster than WASM elementwise kernels in Node (STACK.md).
import type * as TF from '@tensorflow/tfjs-core'
import type { DenseBackendName, DenseMatMul, DenseWeights } from '../../src/core/physics/dense-xy.ts'

/** A DenseMatMul that runs tf.matMul on the active backend of `tf` (reported as `name`). */
export function tfMatMul(tf: Pick<typeof TF, 'tensor2d' | 'tidy' | 'matMul'>, name: DenseBackendName): DenseMatMul {
  return {
    name,
    float32: true,
    weights(w: Float64Array, a: number, b: number): DenseWeights {
      let W: TF.Tensor2D = tf.tensor2d(Float32Array.from(w.subarray(0, a * b)), [a, b])
      // float32 staging buffer for the left operand, grown to the largest product seen
      let x32 = new Float32Array(0)
      const run = (x: Float64Array, rows: number, cols: number, out: Float64Array, transpose: boolean) => {
        if (x32.length < rows * cols) x32 = new Float32Array(rows * cols)
        for (let t = 0; t < rows * cols; t++) x32[t] = x[t]
        const res = tf.tidy(() => tf.matMul(tf.tensor2d(x32.subarray(0, rows * cols), [rows, cols]), W, false, transpose))
        try {
          const d = res.dataSync()
          for (let t = 0; t < d.length; t++) out[t] = d[t]
        } finally {
          res.dispose()
        }
      }
      return {
        mul: (x, rows, out) => run(x, rows, a, out, false),
        mulT: (y, rows, out) => run(y, rows, b, out, true),
        update(v) {
          W.dispose()
          W = tf.tensor2d(Float32Array.from(v.subarray(0, a * b)), [a, b])
        },
        dispose() { W.dispose() },
      }
    },
  }
}
