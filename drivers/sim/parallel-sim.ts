// A simulated XY, OIM or resistor substrate spread over worker threads: each relax() batch is split
// into contiguous shards, one per worker. Random starts are seeded per sample (seed + b) and the
// relaxations are deterministic, so the split changes nothing in the results; it only uses more cores.
// The Ising annealer is not here: its reverse anneals draw from a per-call stream, so a split would
// change the samples.
import { availableParallelism } from 'node:os'
import type { Network } from '../../src/core/network/network.ts'
import { EqpError } from '../../src/errors.ts'
import { checkRelaxRequest } from './check-request.ts'
import { emptyResult, putResult, sliceRequest, type Params, type RelaxRequest, type RelaxResult, type Substrate, type SubstrateInfo } from '../substrate.ts'
import { openDeterministicSimulator, type SimOptionsInput } from './open-sim.ts'
import { SimHost } from './sim-host.ts'

/** One shard's simulator: its thread and its handle there. */
interface Shard { host: SimHost; sim: number }

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

  /** ownsHosts: close() ends the threads (create); otherwise it closes only its simulators there (onHosts) */
  private constructor(private readonly shards: Shard[], info: SubstrateInfo, private readonly ownsHosts = true) {
    this.info = info
  }

  /**
   * The simulator on threads that already run (one shard per host, in order), e.g. a few threads shared
   * by many small networks; close() leaves the threads running.
   */
  static async onHosts(network: Network, options: SimOptionsInput, hosts: SimHost[]): Promise<ParallelSimSubstrate> {
    if (hosts.length === 0) throw new RangeError('onHosts: no simulator threads given')
    const local = openDeterministicSimulator(network, options)
    await local.close()
    const opened = hosts.map((host) => ({ host, ...host.open(network, options) }))
    const sub = new ParallelSimSubstrate(opened.map(({ host, sim }) => ({ host, sim })), local.info, false)
    try {
      await Promise.all(opened.map((s) => s.ready))
    } catch (e) {
      await sub.close()
      throw e
    }
    return sub
  }

  static async create(network: Network, options: SimOptionsInput = {}, workers = availableParallelism()): Promise<ParallelSimSubstrate> {
    // validates network and options (the Ising annealer is refused here), and gives the info a single simulator would announce
    const local = openDeterministicSimulator(network, options)
    await local.close()
    // every call carries this thread's dense backend, so the results do not depend on the thread count
    const shards = Array.from({ length: Math.max(1, workers) }, () => {
      const host = new SimHost()
      return { host, ...host.open(network, options) }
    })
    const sub = new ParallelSimSubstrate(shards.map(({ host, sim }) => ({ host, sim })), local.info)
    try {
      await Promise.all(shards.map((s) => s.ready))
    } catch (e) {
      await sub.close()
      throw e
    }
    return sub
  }

  /** force evaluations across all workers (for benchmarks) */
  get forceEvals(): number { return this.shards.reduce((a, s) => a + s.host.forceEvals(s.sim), 0) }

  private check(): void {
    if (this.closed) throw new EqpError('EQP_ERR_DEVICE_CLOSED', [this.info.uid])
  }

  private async all<T>(method: 'setParams' | 'updateParams', arg: unknown): Promise<T> {
    this.check()
    // every shard applies the same parameters; only the first sends them back (about 1 ms of
    // structured clone on this thread per shard and step on 784-500-10)
    const r = await Promise.all(this.shards.map((s, w) => s.host.call<T>(s.sim, method, arg, w > 0)))
    return r[0]
  }

  setParams(p: Params): Promise<Params> { return this.all('setParams', p) }
  updateParams(d: Params): Promise<Params> { return this.all('updateParams', d) }
  async getParams(): Promise<Params> { this.check(); return this.shards[0].host.call(this.shards[0].sim, 'getParams', undefined) }

  async relax(req: RelaxRequest): Promise<RelaxResult> {
    this.check()
    const n = this.info.nodes
    const B = req.batch
    // check whole-batch shapes here: a wrong length could still cut into plausible shards
    checkRelaxRequest(this.info, req)
    const W = Math.min(this.shards.length, B)
    const cut = (w: number) => Math.round((w * B) / W)
    const t0 = performance.now()
    const parts = await Promise.all(Array.from({ length: W }, (_, w) =>
      this.shards[w].host.call<RelaxResult>(this.shards[w].sim, 'relax', ownArrays(sliceRequest(req, cut(w), cut(w + 1), n)))))
    const out = emptyResult(B, n)
    parts.forEach((r, w) => putResult(out, r, cut(w), n))
    out.timeS = (performance.now() - t0) / 1000
    return out
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all(this.shards.map((s) => this.ownsHosts ? s.host.terminate() : s.host.close(s.sim)))
  }
}
