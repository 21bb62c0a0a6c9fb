// A simulated XY, OIM or resistor substrate spread over worker threads: each relax() batch is split
// into contiguous shards, one per worker. Random starts are seeded per sample (seed + b) and the
// relaxations are deterministic, so the split changes nothing in the results; it only uses more cores.
// The Ising annealer is not here: its reverse anneals draw from a per-call stream, so a split would
// change the samples.
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { Network } from '../../src/core/network/network.ts'
import { codes, EqpError, type ErrorCode } from '../../src/errors.ts'
import { checkRelaxRequest } from './check-request.ts'
import { emptyResult, putResult, sliceRequest, type Params, type RelaxRequest, type RelaxResult, type Substrate, type SubstrateInfo } from '../substrate.ts'
import { openDeterministicSimulator, type SimOptionsInput } from './open-sim.ts'
import { kernelInfo } from './tf-backend.ts'

/** Rebuilds a worker's error on this side, as an EqpError when it carried one of our codes. */
export function revive(err: { message: string; code?: string; statusCode?: number }): Error {
  const code = err.code as ErrorCode | undefined
  if (!code || !(code in codes)) return new Error(err.message)
  return Object.assign(Object.create(EqpError.prototype) as EqpError, {
    message: err.message, code, statusCode: codes[code].statusCode, name: `EqpError [${code}]`, stack: `EqpError [${code}]: ${err.message}`,
  })
}

interface Pending { resolve: (v: unknown) => void; reject: (e: Error) => void }

class WorkerHandle {
  private next = 0
  private readonly pending = new Map<number, Pending>()
  forceEvals = 0

  constructor(readonly worker: Worker) {
    worker.on('message', (m: { id: number; result?: unknown; error?: { message: string; code?: string }; forceEvals?: number }) => {
      const p = this.pending.get(m.id)
      if (!p) return
      this.pending.delete(m.id)
      if (m.forceEvals !== undefined) this.forceEvals = m.forceEvals
      if (m.error) p.reject(revive(m.error))
      else p.resolve(m.result)
    })
    worker.on('error', (e) => { for (const p of this.pending.values()) p.reject(e); this.pending.clear() })
  }

  call<T>(method: string, arg: unknown, transfer: ArrayBuffer[] = []): Promise<T> {
    const id = this.next++
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.worker.postMessage({ id, method, arg }, transfer)
    })
  }
}

/** A deep copy of a request shard, so posting it to a worker copies the shard, not the whole batch's buffers. */
function ownArrays(req: RelaxRequest): RelaxRequest {
  const start = req.start.kind === 'given' ? { kind: 'given' as const, states: req.start.states.slice() } : req.start
  const nudge = req.nudge?.kind === 'cost' ? { ...req.nudge, targets: req.nudge.targets.slice() }
    : req.nudge?.kind === 'force' ? { kind: 'force' as const, force: req.nudge.force.slice() } : undefined
  return { ...req, inputs: req.inputs.slice(), start, ...(nudge ? { nudge } : {}) }
}

/** The simulator of the network's model (xy, oim or resistor) on `workers` threads (default: the machine's parallelism). */
export class ParallelSimSubstrate implements Substrate {
  readonly info: SubstrateInfo
  private closed = false

  private constructor(private readonly handles: WorkerHandle[], info: SubstrateInfo) {
    this.info = info
  }

  static async create(network: Network, options: SimOptionsInput = {}, workers = availableParallelism()): Promise<ParallelSimSubstrate> {
    // validates network and options, and gives the info a single simulator would announce
    const local = openDeterministicSimulator(network, options)
    // From source, parallel-worker.js is the wrapper that registers tsx before loading parallel-worker.ts; compiled
    // (dist/), tsc emits parallel-worker.ts under that same name and the wrapper is not copied, so the
    // compiled worker starts with no transpiling.
    const url = new URL('./parallel-worker.js', import.meta.url)
    // workers fold with the backend this thread chose, so the results do not depend on the thread count
    const backend = kernelInfo().dense
    const handles = Array.from({ length: Math.max(1, workers) }, () =>
      new WorkerHandle(new Worker(url, { workerData: { network, options, backend } })))
    await local.close()
    const sub = new ParallelSimSubstrate(handles, local.info)
    await Promise.all(handles.map((h) => h.call('getParams', undefined)))
    return sub
  }

  /** force evaluations across all workers (for benchmarks) */
  get forceEvals(): number { return this.handles.reduce((a, h) => a + h.forceEvals, 0) }

  private check(): void {
    if (this.closed) throw new EqpError('EQP_ERR_DEVICE_CLOSED', [this.info.uid])
  }

  private async all<T>(method: string, arg: unknown): Promise<T> {
    this.check()
    const r = await Promise.all(this.handles.map((h) => h.call<T>(method, arg)))
    return r[0]
  }

  setParams(p: Params): Promise<Params> { return this.all('setParams', p) }
  updateParams(d: Params): Promise<Params> { return this.all('updateParams', d) }
  async getParams(): Promise<Params> { this.check(); return this.handles[0].call('getParams', undefined) }

  async relax(req: RelaxRequest): Promise<RelaxResult> {
    this.check()
    const n = this.info.nodes
    const B = req.batch
    // check whole-batch shapes here: a wrong length could still cut into plausible shards
    checkRelaxRequest(this.info, req)
    const W = Math.min(this.handles.length, B)
    const cut = (w: number) => Math.round((w * B) / W)
    const t0 = performance.now()
    const parts = await Promise.all(Array.from({ length: W }, (_, w) =>
      this.handles[w].call<RelaxResult>('relax', ownArrays(sliceRequest(req, cut(w), cut(w + 1), n)))))
    const out = emptyResult(B, n)
    parts.forEach((r, w) => putResult(out, r, cut(w), n))
    out.timeS = (performance.now() - t0) / 1000
    return out
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all(this.handles.map((h) => h.worker.terminate()))
  }
}
