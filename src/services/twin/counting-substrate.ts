// A pass-through Substrate that counts what the board was asked to do, so board time can be compared
// between training strategies (relaxed samples, relax calls, parameter writes).
import type { Params, PhaseStepRequest, PhaseStepResult, RelaxRequest, RelaxResult, Substrate, SubstrateInfo } from '../../../drivers/substrate.ts'

/** The board-side effort of a run. */
export interface BoardCounts {
  /** samples relaxed (each a free or a nudged equilibrium) */
  relaxations: number
  relaxCalls: number
  writes: number
}

/** Wraps a substrate and counts its relax calls and relaxed samples; `closeInner` false keeps the board open on close(). */
export class CountingSubstrate implements Substrate {
  readonly counts: BoardCounts = { relaxations: 0, relaxCalls: 0, writes: 0 }

  /** the device's relaxPhases when it has one (a board link pipelining a step's phases), counted per phase */
  readonly relaxPhases?: (req: PhaseStepRequest) => Promise<PhaseStepResult>

  constructor(readonly inner: Substrate, private readonly closeInner = true) {
    if (inner.relaxPhases) {
      this.relaxPhases = async (req) => {
        const r = await inner.relaxPhases!(req)
        this.counts.relaxCalls += 1 + req.nudges.length
        this.counts.relaxations += req.batch * (1 + req.nudges.length)
        return r
      }
    }
  }

  get info(): SubstrateInfo { return this.inner.info }

  async setParams(p: Params): Promise<Params> { this.counts.writes++; return this.inner.setParams(p) }
  async updateParams(d: Params): Promise<Params> { this.counts.writes++; return this.inner.updateParams(d) }
  getParams(): Promise<Params> { return this.inner.getParams() }

  async relax(req: RelaxRequest): Promise<RelaxResult> {
    const r = await this.inner.relax(req)
    this.counts.relaxCalls++
    this.counts.relaxations += req.batch
    return r
  }

  async close(): Promise<void> { if (this.closeInner) await this.inner.close() }
}
