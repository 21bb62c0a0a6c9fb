// Splitting long arrays (parameters, states, edges, node lists) into frames that fit a frame limit.
import { messageSpec } from './codec.ts'
import { FRAME_OVERHEAD, MAX_FRAME_LIMIT } from './frame.ts'
import type { MessageName } from './types-gen.ts'

/**
 * How many items of the message's array fit in one frame of maxFrame bytes (strings counted at their
 * maximum length). Throws RangeError if the message has no array.
 */
export function arrayCapacity(name: MessageName, maxFrame: number): number {
  const spec = messageSpec(name)
  if (!spec.array) throw new RangeError(`${name} has no array field`)
  if (!Number.isInteger(maxFrame) || maxFrame < FRAME_OVERHEAD || maxFrame > MAX_FRAME_LIMIT) {
    throw new RangeError(`maxFrame must be an integer in ${FRAME_OVERHEAD}..${MAX_FRAME_LIMIT}, got ${maxFrame}`)
  }
  const room = maxFrame - FRAME_OVERHEAD - spec.fixedMaxSize
  return Math.min(0xffff, Math.max(0, Math.floor(room / spec.array.elemSize)))
}

/** Consecutive [offset, count) chunks covering 0..total with at most perChunk items each. */
export function planChunks(total: number, perChunk: number): { offset: number; count: number }[] {
  if (!Number.isInteger(total) || total < 0) throw new RangeError(`total must be a non-negative integer, got ${total}`)
  if (!Number.isInteger(perChunk) || perChunk < 1) throw new RangeError(`perChunk must be a positive integer, got ${perChunk}`)
  const out: { offset: number; count: number }[] = []
  for (let offset = 0; offset < total; offset += perChunk) out.push({ offset, count: Math.min(perChunk, total - offset) })
  return out
}
