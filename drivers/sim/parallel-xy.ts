// The simulated XY substrate spread over worker threads: each relax() batch is split into contiguous
// shards, one per worker. Random starts are seeded per sample (seed + b), so the split changes
// nothing in the results; it only uses more cores.
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { Network } from '../../src/core/network/network.ts'
import { codes, EqpError, type ErrorCode } from '../../src/errors.ts'
import { checkRelaxRequest } from './check-request.ts'
import type { Params, RelaxRequest, RelaxResult, Substrate, SubstrateInfo } from '../substrate.ts'
import { SimXySubstrate, type SimXyOptionsInput } from './xy.ts'

/** Rebuilds a worker's error on this side, as an EqpError when it carried one of our codes. */
function revive(err: { message: string; code?: string; statusCode?: number }): Error {
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

/** SimXySubstrate semantics on `workers` threads (default: the machine's parallelism). */
export class ParallelSimXySubstrate implements Substrate {
  readonly info: SubstrateInfo
  private closed = false

  private constructor(private readonly handles: WorkerHandle[], info: SubstrateInfo) {
    this.info = info
  }

  static async create(network: Network, options: SimXyOptionsInput = {}, workers = availableParallelism()): Promise<ParallelSimXySubstrate> {
    // validates network and options, and gives the info a single simulator would announce
    const local = new SimXySubstrate(network, options)
    const url = new URL('./parallel-worker.js', import.meta.url)
    const handles = Array.from({ length: Math.max(1, workers) }, () =>
      new WorkerHandle(new Worker(url, { workerData: { network, options } })))
    await local.close()
    const sub = new ParallelSimXySubstrate(handles, local.info)
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
    const n = this.info.nodes, nIn = this.info.clampable.length, nOut = this.info.nudgeable.length
    const B = req.batch
    // check whole-batch shapes here: a wrong length could still cut into plausible shards
    checkRelaxRequest(this.info, req)
    const W = Math.min(this.handles.length, B)
    const cut = (w: number) => Math.round((w * B) / W)
    const t0 = performance.now()
    const parts = await Promise.all(Array.from({ length: W }, (_, w) => {
      const a = cut(w), e = cut(w + 1)
      const slice = (arr: Float64Array, width: number) => arr.slice(a * width, e * width)
      const start = req.start.kind === 'given' ? { kind: 'given' as const, states: slice(req.start.states, n) }
        : req.start.kind === 'random' ? { kind: 'random' as const, seed: (req.start.seed + a) >>> 0 } : req.start
      const nudge = req.nudge?.kind === 'cost' ? { ...req.nudge, targets: slice(req.nudge.targets, nOut) }
        : req.nudge?.kind === 'force' ? { ...req.nudge, force: slice(req.nudge.force, n) } : undefined
      return this.handles[w].call<RelaxResult>('relax', { ...req, batch: e - a, inputs: slice(req.inputs, nIn), start, nudge })
    }))
    const out: RelaxResult = { states: new Float64Array(B * n), energy: new Float64Array(B), settled: new Uint8Array(B), steps: new Float64Array(B), timeS: 0 }
    parts.forEach((r, w) => {
      const a = cut(w)
      out.states.set(r.states, a * n); out.energy.set(r.energy, a); out.settled.set(r.settled, a); out.steps.set(r.steps, a)
    })
    out.timeS = (performance.now() - t0) / 1000
    return out
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all(this.handles.map((h) => h.worker.terminate()))
  }
}
