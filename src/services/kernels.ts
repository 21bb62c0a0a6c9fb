// The dense-kernel backend as the CLI and the daemon see it (they reach drivers only through services).
export { initDenseBackend, kernelInfo, type KernelInfo } from '../../drivers/sim/tf-backend.ts'

/** One line for logs and stderr, e.g. "dense kernels: wasm (SIMD) (node: ERR_MODULE_NOT_FOUND)". */
export function describeKernels(k: { dense: string; simd?: boolean; fallback?: string }): string {
  return `dense kernels: ${k.dense}${k.simd ? ' (SIMD)' : ''}${k.fallback ? ` (${k.fallback})` : ''}`
}
