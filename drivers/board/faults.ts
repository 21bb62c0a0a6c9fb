// Fault injection for the virtual board: what a flaky cable, a slow or hung board, a reboot and an
// incompatible firmware look like from the host. Every random choice comes from one seeded stream.
import { z } from 'zod'
import { Rng } from '../../src/core/rng/rng.ts'

export const BoardFaults = z.strictObject({
  /** probability that a byte on the line (either direction) gets one bit flipped */
  corrupt: z.number().min(0).max(1).default(0),
  /** probability that a frame the board sends is lost whole */
  drop: z.number().min(0).max(1).default(0),
  /** delay before each frame the board sends (s): a slow board or a long cable */
  delayS: z.number().min(0).max(60).default(0),
  /** reboot once, right after this many executed commands (boot counter + 1, parameters lost) */
  rebootAfter: z.int().positive().optional(),
  /** stop answering (frames and heartbeats) once, after this many executed commands, for hangS */
  hangAfter: z.int().positive().optional(),
  hangS: z.number().positive().max(600).default(3),
  /** speak this protocol major instead of ours: an incompatible firmware */
  protocolMajor: z.int().min(0).max(255).optional(),
  /** seed of the fault stream */
  seed: z.int().min(0).max(2 ** 32 - 1).default(1),
})
export type BoardFaults = z.infer<typeof BoardFaults>
export type BoardFaultsInput = z.input<typeof BoardFaults>

/** Flips one random bit in each byte with probability p; returns the input when nothing changes. */
export function corruptBytes(bytes: Uint8Array, p: number, rng: Rng): Uint8Array {
  if (p <= 0) return bytes
  let out: Uint8Array | null = null
  for (let i = 0; i < bytes.length; i++) {
    if (rng.next() < p) {
      out ??= bytes.slice()
      out[i] ^= 1 << rng.int(8)
    }
  }
  return out ?? bytes
}
