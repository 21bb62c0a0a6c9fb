// Start-up choice of the dense-kernel backend: @tensorflow/tfjs-node if it loads, else the WASM
// backend, else tfjs-core's cpu backend, else plain typed arrays. EQP_TF_BACKEND=node|wasm|cpu|none
// (or initDenseBackend's argument) forces one; a forced backend that fails falls back to typed
// arrays with the reason recorded. TensorFlow.js is imported lazily, so processes that never call
// initDenseBackend (tests, worker threads) do not load it.
import { EqpError } from '../../src/errors.ts'
import { typedMatMul, type DenseBackendName, type DenseMatMul } from '../../src/core/physics/dense-xy.ts'
import { tfMatMul } from './tf-dense.ts'

export const TF_BACKEND_CHOICES = ['auto', 'node', 'wasm', 'cpu', 'none'] as const
export type TfBackendChoice = (typeof TF_BACKEND_CHOICES)[number]

/** What /health and the CLI report. */
export interface KernelInfo {
  dense: DenseBackendName
  /** WASM only: whether the SIMD build loaded */
  simd?: boolean
  /** why a preferred backend was not used (first failure), if any */
  fallback?: string
}

let current: { info: KernelInfo; mm: DenseMatMul } = { info: { dense: 'typed-array' }, mm: typedMatMul }
let pending: Promise<KernelInfo> | null = null
let pendingChoice: TfBackendChoice | null = null

/** The backend chosen so far (typed-array until initDenseBackend has finished). */
export function kernelInfo(): KernelInfo { return { ...current.info } }

/** The matrix-product provider of the chosen backend. */
export function denseMatMul(): DenseMatMul { return current.mm }

/**
 * Parses an EQP_TF_BACKEND value; unknown values are a bad-input error. A reported backend name
 * (kernelInfo().dense) is accepted too, so a worker thread can ask for exactly its parent's backend:
 * 'typed-array' means 'none'.
 */
export function parseTfBackend(v: string | undefined): TfBackendChoice {
  const t = (v ?? 'auto').trim().toLowerCase() || 'auto'
  const s = t === 'typed-array' ? 'none' : t
  if (!(TF_BACKEND_CHOICES as readonly string[]).includes(s)) throw new EqpError('EQP_ERR_BAD_INPUT', ['EQP_TF_BACKEND', `'${v}' is not one of ${TF_BACKEND_CHOICES.join(', ')}`])
  return s as TfBackendChoice
}

// specifiers in variables: tfjs-node is an optional package that does not install here, and the
// type checker must not require it
const TFJS_NODE = '@tensorflow/tfjs-node'
const TFJS_CPU = '@tensorflow/tfjs-backend-cpu'

type Tf = typeof import('@tensorflow/tfjs-core')

async function tryNode(): Promise<{ info: KernelInfo; mm: DenseMatMul }> {
  const tfn = await import(TFJS_NODE) as Tf
  if (!(await tfn.setBackend('tensorflow'))) throw new Error('tfjs-node loaded but its backend did not initialise')
  return { info: { dense: 'node' }, mm: tfMatMul(tfn, 'node') }
}

async function tryWasm(): Promise<{ info: KernelInfo; mm: DenseMatMul }> {
  const tf = await import('@tensorflow/tfjs-core')
  // the Node build finds its .wasm files next to itself in node_modules: no setWasmPaths needed
  await import('@tensorflow/tfjs-backend-wasm')
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise')
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))
  return { info: { dense: 'wasm', simd }, mm: tfMatMul(tf, 'wasm') }
}

async function tryCpu(): Promise<{ info: KernelInfo; mm: DenseMatMul }> {
  const tf = await import('@tensorflow/tfjs-core')
  await import(TFJS_CPU)
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise')
  return { info: { dense: 'cpu' }, mm: tfMatMul(tf, 'cpu') }
}

const short = (e: unknown) => {
  const err = e as { code?: string; message?: string }
  return err.code ?? String(err.message ?? e).split('\n')[0]
}

async function choose(choice: TfBackendChoice): Promise<KernelInfo> {
  const order = choice === 'auto' ? [tryNode, tryWasm, tryCpu] : choice === 'node' ? [tryNode] : choice === 'wasm' ? [tryWasm] : choice === 'cpu' ? [tryCpu] : []
  const names = { tryNode: 'node', tryWasm: 'wasm', tryCpu: 'cpu' } as Record<string, string>
  let fallback: string | undefined
  for (const t of order) {
    try {
      const got = await t()
      current = { info: fallback ? { ...got.info, fallback } : got.info, mm: got.mm }
      return kernelInfo()
    } catch (e) {
      fallback ??= `${names[t.name]}: ${short(e)}`
    }
  }
  current = { info: fallback ? { dense: 'typed-array', fallback } : { dense: 'typed-array' }, mm: typedMatMul }
  return kernelInfo()
}

/**
 * Chooses the backend once per process (again when called with a different choice); the choice
 * comes from the argument, else EQP_TF_BACKEND, else auto. Never throws for a missing backend.
 */
export function initDenseBackend(choice?: string): Promise<KernelInfo> {
  const c = parseTfBackend(choice ?? process.env.EQP_TF_BACKEND)
  if (pending && pendingChoice === c) return pending
  pendingChoice = c
  pending = choose(c)
  return pending
}
