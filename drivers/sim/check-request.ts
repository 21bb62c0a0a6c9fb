// The shape checks every simulator applies to a relax request, in one place, with coded errors.
import { EqpError } from '../../src/errors.ts'
import type { Nudge, RelaxRequest, SubstrateInfo } from '../substrate.ts'

/**
 * Checks batch size and every array length of req against the device; `prevLength` is the length of
 * the previous equilibria (null when there are none, undefined when the caller checks that itself).
 * Returns the nudge of a nudged phase (undefined for the free phase).
 */
export function checkRelaxRequest(info: SubstrateInfo, req: RelaxRequest, prevLength?: number | null): Nudge | undefined {
  const B = req.batch, n = info.nodes, nIn = info.clampable.length, nOut = info.nudgeable.length
  const bad = (field: string, want: number, got: number) => {
    if (got !== want) throw new EqpError('EQP_ERR_BAD_INPUT', [field, `expected batch x ${want / Math.max(B, 1)} = ${want} values, got ${got}`])
  }
  if (B > info.maxBatch) throw new EqpError('EQP_ERR_DEVICE_BATCH', [info.uid, B, info.maxBatch])
  bad('inputs', B * nIn, req.inputs.length)
  const start = req.start
  if (start.kind === 'previous' && prevLength !== undefined && prevLength !== B * n) throw new EqpError('EQP_ERR_DEVICE_NO_PREVIOUS', [info.uid])
  if (start.kind === 'given') bad('start.states', B * n, start.states.length)
  if (req.phase !== 'nudged') return undefined
  const nudge = req.nudge
  if (!nudge) throw new EqpError('EQP_ERR_BAD_INPUT', ['nudge', 'the nudged phase needs a nudge'])
  if (nudge.kind === 'cost') bad('nudge.targets', B * nOut, nudge.targets.length)
  else bad('nudge.force', B * n, nudge.force.length)
  return nudge
}
