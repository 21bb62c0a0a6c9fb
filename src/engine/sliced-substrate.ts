// A Substrate wrapper for runs inside a long-lived process: it hands the event loop back before every
// relaxation and caps each call at `slice` samples, so HTTP requests are served between slices. It also
// keeps what a live view needs: the last free equilibrium and the parameters as last applied. A stop
// request abandons the step under way before its next relax call (StepAborted), so a step made of many
// slow relax calls stops within one of them.
import type { OnBoardLearner, Params, PhaseStepRequest, PhaseStepResult, RelaxRequest, RelaxResult, Substrate, SubstrateInfo } from '../../drivers/substrate.ts'

/** Resolves on the next turn of the event loop, after pending I/O callbacks. */
export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Plain-JSON parameters (the form stored in checkpoints and served over HTTP). */
export interface ParamsJson { weights: number[]; h: number[]; psi: number[]; /** OIM: S per node */ s?: number[] }

/** Params as plain arrays; absent bias fields become empty arrays. */
export function paramsToJson(p: Params): ParamsJson {
  return { weights: Array.from(p.weights), h: p.h ? Array.from(p.h) : [], psi: p.psi ? Array.from(p.psi) : [], ...(p.s ? { s: Array.from(p.s) } : {}) }
}

/** Thrown by SlicedSubstrate.relax when the run asked to stop in the middle of a step. */
export class StepAborted extends Error {
  constructor() { super('step abandoned on a stop request') }
}

export class SlicedSubstrate implements Substrate {
  readonly info: SubstrateInfo
  /** phases (rad) of sample 0 of the last free relaxation, and the inputs it was clamped to */
  lastFree: { phases: number[]; inputs: number[] } | null = null
  /** parameters as last applied by the device */
  applied: Params | null = null
  /** the device's on-board learner, behind the same yield and stop check as relax */
  readonly learner?: OnBoardLearner

  /** the device's relaxPhases when it has one, behind the same yield and stop check as relax */
  readonly relaxPhases?: (req: PhaseStepRequest) => Promise<PhaseStepResult>

  /** @param abort polled before each relax call: true abandons the step (StepAborted) */
  constructor(private readonly inner: Substrate, slice: number, private readonly abort: () => boolean = () => false) {
    // the Trainer splits larger batches into maxBatch chunks; per-sample start seeds make that exact
    this.info = { ...inner.info, maxBatch: Math.max(1, Math.min(inner.info.maxBatch, slice)) }
    if (inner.relaxPhases) {
      this.relaxPhases = async (req) => {
        await yieldToLoop()
        if (this.abort()) throw new StepAborted()
        const r = await inner.relaxPhases!(req)
        const n = this.info.nodes, k = this.info.clampable.length
        this.lastFree = { phases: Array.from(r.free.states.subarray(0, n)), inputs: Array.from(req.inputs.subarray(0, k)) }
        return r
      }
    }
    const l = inner.learner
    if (l) {
      this.learner = {
        learnStep: async (req) => {
          await yieldToLoop()
          if (this.abort()) throw new StepAborted()
          return l.learnStep(req)
        },
        discard: () => l.discard(),
      }
    }
  }

  async setParams(p: Params): Promise<Params> {
    await yieldToLoop()
    return (this.applied = await this.inner.setParams(p))
  }

  async updateParams(delta: Params): Promise<Params> {
    return (this.applied = await this.inner.updateParams(delta))
  }

  async getParams(): Promise<Params> {
    return (this.applied = await this.inner.getParams())
  }

  async relax(req: RelaxRequest): Promise<RelaxResult> {
    await yieldToLoop()
    if (this.abort()) throw new StepAborted()
    const r = await this.inner.relax(req)
    if (req.phase === 'free' && req.batch > 0) {
      const n = this.info.nodes, k = this.info.clampable.length
      this.lastFree = { phases: Array.from(r.states.subarray(0, n)), inputs: Array.from(req.inputs.subarray(0, k)) }
    }
    return r
  }

  /** Closing is the device owner's business, not the run's. */
  async close(): Promise<void> {}
}
