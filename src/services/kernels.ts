// The dense-kernel backend as the CLI and the daemon see it (they reach drivers only through services).
import { FOLD_AUTO_MIN_EDGES } from '../../drivers/sim/sim-info.ts'
export { initDenseBackend, kernelInfo, type KernelInfo } from '../../drivers/sim/tf-backend.ts'

/** One line for logs and stderr, e.g. "dense kernels: wasm (SIMD)"; `verbose` adds why faster backends were skipped ("(node: ERR_MODULE_NOT_FOUND)"). */
export function describeKernels(k: { dense: string; simd?: boolean; fallback?: string }, verbose = true): string {
  return `dense kernels: ${k.dense}${k.simd ? ' (SIMD)' : ''}${verbose && k.fallback ? ` (${k.fallback})` : ''}`
}

/** Whether a run is worth a line about the dense backend: only when it may take the dense path (`auto` from FOLD_AUTO_MIN_EDGES couplings), or when asked. */
export function kernelsWorthSaying(o: { verbose: boolean; kernel?: 'auto' | 'dense' | 'typed'; couplings: number }): boolean {
  if (o.verbose) return true
  if (o.kernel === 'typed') return false
  return o.kernel === 'dense' || o.couplings >= FOLD_AUTO_MIN_EDGES
}
