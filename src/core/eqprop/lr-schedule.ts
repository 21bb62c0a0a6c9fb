// Learning-rate schedules over a run: the rate as a function of the fraction of the run's steps taken.
import { z } from 'zod'

/** constant: lr throughout; cosine: lr * (f + (1 - f)(1 + cos(pi p))/2); linear: lr * (1 - (1 - f) p); p = steps taken / all steps, f = the final scale */
export const LR_SCHEDULES = ['constant', 'cosine', 'linear'] as const
export const LrSchedule = z.enum(LR_SCHEDULES)
export type LrSchedule = z.infer<typeof LrSchedule>

/** The learning rate (units of lr) at run progress p in [0, 1] (steps taken / all steps), decaying to finalScale * lr at p = 1. */
export function scheduledLr(lr: number, schedule: LrSchedule, finalScale: number, p: number): number {
  const q = Math.min(1, Math.max(0, p))
  switch (schedule) {
    case 'constant': return lr
    case 'cosine': return lr * (finalScale + (1 - finalScale) * 0.5 * (1 + Math.cos(Math.PI * q)))
    case 'linear': return lr * (1 - (1 - finalScale) * q)
  }
}
