// Several boards of the same topology behind one Substrate: data-parallel EqProp. Each relax() call
// is cut into contiguous shards, one per active board, relaxed concurrently; every parameter write
// goes to all boards, so all of them apply the same update (the host's gradient is the batch mean of
// the local estimates, which is the average of the boards' shard updates weighted by shard size).
// Random starts are seeded per sample index of the whole batch (seed + b), so a fleet of simulated
// boards returns exactly what one board given the whole batch returns.
//
// A board that fails with a device fault is suspended: its shard is relaxed again on the others and
// the run goes on; it is offered the current parameters and re-admitted at a later parameter write.
import { EqpError } from '../../src/errors.ts'
import type { Params, RelaxRequest, RelaxResult, Substrate, SubstrateInfo } from '../substrate.ts'
import { cloneParams, emptyResult, putResult, sliceRequest } from '../substrate.ts'

/** A fleet member: a name for messages and records (a device id), and its driver. */
export interface FleetMember {
  name: string
  sub: Substrate
}

/** What the fleet reports when membership changes. */
export type FleetEvent =
  | { type: 'suspended'; member: string; reason: string }
  | { type: 'rejoined'; member: string }

export interface FleetOptions {
  onEvent?: (e: FleetEvent) => void
  /** seconds a suspended board waits before the fleet offers it the parameters again (default 1) */
  rejoinAfterS?: number
  /** decides whether an error is a device fault (suspend and go on) or a bug in the request (throw) */
  isDeviceFault?: (err: unknown) => boolean
  /** a board whose call has not answered after this many seconds is suspended and its shard goes to
   *  the others (default: wait; a remote board retries and reconnects on its own meanwhile) */
  lostAfterS?: number
}

/** Errors that mean "this board is gone for now", not "the request was wrong". */
export function isDeviceFault(err: unknown): boolean {
  if (!(err instanceof EqpError)) return false
  const c = err.code as string
  return c === 'EQP_ERR_DEVICE_LOST' || c === 'EQP_ERR_DEVICE_CLOSED' || c === 'EQP_ERR_DEVICE_NOT_CONNECTED' ||
    c === 'EQP_ERR_DEVICE_NO_HELLO' || c === 'EQP_ERR_PROTO_VIOLATION'
}

interface MemberState {
  name: string
  sub: Substrate
  active: boolean
  /** parameters as this board last applied them */
  applied: Params | null
  suspendedAt: number
  suspensions: number
  /** samples this board relaxed */
  samples: number
}

/** One member's view for status displays and run records. */
export interface FleetMemberView {
  name: string
  uid: string
  active: boolean
  suspensions: number
  samples: number
}

/** Checks that the boards can stand in for each other: same wiring, same clamp and nudge sites, same model. */
export function checkSameTopology(members: readonly FleetMember[]): void {
  if (members.length === 0) throw new EqpError('EQP_ERR_FLEET_MISMATCH', ['a fleet needs at least one device'])
  const a = members[0].sub.info
  for (const m of members.slice(1)) {
    const b = m.sub.info
    const why =
      b.model !== a.model ? `model ${b.model} vs ${a.model}`
        : b.nodes !== a.nodes ? `${b.nodes} nodes vs ${a.nodes}`
          : b.edges.length !== a.edges.length || b.edges.some(([i, j], k) => i !== a.edges[k][0] || j !== a.edges[k][1]) ? 'different couplings'
            : b.clampable.join() !== a.clampable.join() ? 'different clamped nodes'
              : b.nudgeable.join() !== a.nudgeable.join() ? 'different nudged nodes'
                : b.hasBias !== a.hasBias ? 'bias fields on one only'
                  : null
    if (why) throw new EqpError('EQP_ERR_FLEET_MISMATCH', [`'${m.name}' differs from '${members[0].name}': ${why}`])
  }
}

export class FleetSubstrate implements Substrate {
  readonly info: SubstrateInfo
  private readonly members: MemberState[]
  private readonly emit: (e: FleetEvent) => void
  private readonly rejoinAfterS: number
  private readonly fault: (err: unknown) => boolean
  private readonly lostAfterS: number
  /** how the last call was cut: 'previous' passes through only when the cut is unchanged */
  private lastCut = ''
  private lastStates: Float64Array | null = null
  private closed = false

  constructor(members: readonly FleetMember[], opts: FleetOptions = {}) {
    checkSameTopology(members)
    this.members = members.map((m) => ({ name: m.name, sub: m.sub, active: true, applied: null, suspendedAt: 0, suspensions: 0, samples: 0 }))
    const first = members[0].sub.info
    const ranges = { coupling: narrowest(members.map((m) => m.sub.info.ranges.coupling)), bias: narrowest(members.map((m) => m.sub.info.ranges.bias)) }
    this.info = {
      ...first,
      uid: `fleet(${members.map((m) => m.sub.info.uid).join(',')})`,
      ranges,
      maxBatch: members.reduce((s, m) => s + m.sub.info.maxBatch, 0),
      reports: members.every((m) => m.sub.info.reports === 'states+edges') ? 'states+edges' : 'states',
      onBoardLearning: false,
    }
    this.emit = opts.onEvent ?? (() => {})
    this.rejoinAfterS = opts.rejoinAfterS ?? 1
    this.fault = opts.isDeviceFault ?? isDeviceFault
    this.lostAfterS = opts.lostAfterS ?? Infinity
  }

  /** A member's call, given up (as a device fault) after lostAfterS; the call itself may still finish later. */
  private timed<T>(m: MemberState, call: () => Promise<T>): Promise<T> {
    const p = call()
    if (!Number.isFinite(this.lostAfterS)) return p
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new EqpError('EQP_ERR_DEVICE_LOST', [m.sub.info.uid, this.lostAfterS])), this.lostAfterS * 1000)
    })
    // a late rejection of the abandoned call must not surface as unhandled
    p.catch(() => {})
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
  }

  /** Members with their state, for run records and status views. */
  view(): FleetMemberView[] {
    return this.members.map((m) => ({ name: m.name, uid: m.sub.info.uid, active: m.active, suspensions: m.suspensions, samples: m.samples }))
  }

  /** Parameters as each board last applied them (null before the first write), by member name. */
  appliedBy(): Map<string, Params | null> {
    return new Map(this.members.map((m) => [m.name, m.applied ? cloneParams(m.applied) : null]))
  }

  async setParams(p: Params): Promise<Params> {
    this.check()
    return this.broadcast((m) => m.sub.setParams(p))
  }

  async updateParams(delta: Params): Promise<Params> {
    this.check()
    return this.broadcast((m) => m.sub.updateParams(delta))
  }

  async getParams(): Promise<Params> {
    this.check()
    return this.firstActive().sub.getParams()
  }

  async relax(req: RelaxRequest): Promise<RelaxResult> {
    this.check()
    if (req.batch > this.info.maxBatch) throw new EqpError('EQP_ERR_DEVICE_BATCH', [this.info.uid, req.batch, this.info.maxBatch])
    const t0 = performance.now()
    const n = this.info.nodes
    const out = emptyResult(req.batch, n)
    let pending: [number, number][] = [[0, req.batch]]
    let usePrevious = req.start.kind === 'previous'
    for (;;) {
      const active = this.members.filter((m) => m.active)
      if (active.length === 0) throw new EqpError('EQP_ERR_DEVICE_LOST', [this.info.uid, 0])
      const jobs = cut(pending, active)
      const cutKey = jobs.map(([m, a, e]) => `${m.name}:${a}-${e}`).join()
      // a board's 'previous' is its own last shard: valid only if it gets the same samples again
      if (req.start.kind === 'previous' && (cutKey !== this.lastCut || !usePrevious)) {
        if (!this.lastStates || this.lastStates.length !== out.states.length) throw new EqpError('EQP_ERR_DEVICE_NO_PREVIOUS', [this.info.uid])
        usePrevious = false
      }
      const failed: [number, number][] = []
      await Promise.all(jobs.map(async ([m, a, e]) => {
        try {
          const r = await this.timed(m, () => m.sub.relax(shard(req, a, e, n, usePrevious ? null : this.lastStates)))
          putResult(out, r, a, n)
          m.samples += e - a
        } catch (err) {
          if (!this.fault(err)) throw err
          this.suspend(m, err)
          failed.push([a, e])
        }
      }))
      if (failed.length === 0) {
        if (pending.length === 1 && pending[0][1] === req.batch) this.lastCut = cutKey
        else this.lastCut = ''
        break
      }
      pending = failed.sort((x, y) => x[0] - y[0])
    }
    this.lastStates = out.states.slice()
    out.timeS = (performance.now() - t0) / 1000
    return out
  }

  async close(): Promise<void> {
    this.closed = true
  }

  /** Sends one write to every active board (and offers suspended ones the full parameters); returns the first board's values. */
  private async broadcast(write: (m: MemberState) => Promise<Params>): Promise<Params> {
    const now = performance.now() / 1000
    const rejoining = this.members.filter((m) => !m.active && now - m.suspendedAt >= this.rejoinAfterS)
    const active = this.members.filter((m) => m.active)
    if (active.length === 0) throw new EqpError('EQP_ERR_DEVICE_LOST', [this.info.uid, 0])
    // a board lost during the write misses it; it gets the full parameters when it rejoins
    await Promise.all(active.map(async (m) => {
      try {
        m.applied = await this.timed(m, () => write(m))
      } catch (err) {
        if (!this.fault(err)) throw err
        this.suspend(m, err)
      }
    }))
    // the values the first board applied (what the host's model uses), so a returning board holds exactly
    // what the others hold; with every board gone there is nothing to offer (firstActive throws below)
    const target = this.members.find((x) => x.active && x.applied)?.applied
    if (target) await Promise.all(rejoining.map(async (m) => {
      try {
        m.applied = await this.timed(m, () => m.sub.setParams(target))
        m.active = true
        this.lastCut = ''
        this.emit({ type: 'rejoined', member: m.name })
      } catch (err) {
        if (!this.fault(err)) throw err
        m.suspendedAt = performance.now() / 1000
      }
    }))
    return cloneParams(this.firstActive().applied!)
  }

  private suspend(m: MemberState, err: unknown): void {
    if (!m.active) return
    m.active = false
    m.suspendedAt = performance.now() / 1000
    m.suspensions++
    this.lastCut = ''
    this.emit({ type: 'suspended', member: m.name, reason: err instanceof Error ? err.message : String(err) })
  }

  private firstActive(): MemberState {
    const m = this.members.find((x) => x.active)
    if (!m) throw new EqpError('EQP_ERR_DEVICE_LOST', [this.info.uid, 0])
    return m
  }

  private check(): void {
    if (this.closed) throw new EqpError('EQP_ERR_DEVICE_CLOSED', [this.info.uid])
  }
}

/** Cuts sample ranges into contiguous shards over the boards, each within its maxBatch, as evenly as they allow. */
function cut(ranges: [number, number][], boards: MemberState[]): [MemberState, number, number][] {
  const total = ranges.reduce((s, [a, e]) => s + e - a, 0)
  const cap = boards.reduce((s, m) => s + m.sub.info.maxBatch, 0)
  if (total > cap) throw new EqpError('EQP_ERR_DEVICE_BATCH', [boards.map((m) => m.name).join(','), total, cap])
  // an even share (the first boards take the remainder), capped by each board, overflow to boards with room
  const k = boards.length
  const share = boards.map((m, i) => Math.min(m.sub.info.maxBatch, Math.floor(total / k) + (i < total % k ? 1 : 0)))
  let left = total - share.reduce((s, x) => s + x, 0)
  for (let i = 0; left > 0 && i < k; i++) {
    const add = Math.min(boards[i].sub.info.maxBatch - share[i], left)
    share[i] += add
    left -= add
  }
  const jobs: [MemberState, number, number][] = []
  let r = 0, pos = ranges[0][0]
  boards.forEach((m, k) => {
    let need = share[k]
    while (need > 0) {
      const [, e] = ranges[r]
      const take = Math.min(need, e - pos)
      // a shard must be contiguous for one relax call: split at range ends into separate jobs
      jobs.push([m, pos, pos + take])
      need -= take
      pos += take
      if (pos === e && r + 1 < ranges.length) { r++; pos = ranges[r][0] }
    }
  })
  return jobs
}

/** The part [a, e) of a request; a 'previous' start becomes the stored states when the cut changed (last set). */
function shard(req: RelaxRequest, a: number, e: number, n: number, last: Float64Array | null): RelaxRequest {
  const part = sliceRequest(req, a, e, n)
  if (req.start.kind === 'previous' && last) part.start = { kind: 'given', states: last.subarray(a * n, e * n) }
  return part
}

/** The intersection of ranges: a write that fits the narrowest board fits all. */
function narrowest(rs: SubstrateInfo['ranges']['coupling'][]): SubstrateInfo['ranges']['coupling'] {
  return { min: Math.max(...rs.map((r) => r.min)), max: Math.min(...rs.map((r) => r.max)), levels: Math.max(...rs.map((r) => r.levels)) }
}

