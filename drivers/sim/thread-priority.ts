// Scheduling priority of the calling thread. A simulator thread computes flat out while a run trains;
// below the priority of the daemon's main thread, it gives way whenever the event loop has a request to
// answer, instead of sharing a busy core with it half and half.
import { readlinkSync } from 'node:fs'
import { getPriority, setPriority } from 'node:os'

/**
 * Raises the calling thread's nice value by `steps` (at most to 19) and returns the new value; null
 * where threads cannot be told apart (not Linux) or the system refuses. On Linux a task id names one
 * thread, and setpriority on it leaves the process's other threads as they are.
 */
export function niceThisThread(steps: number): number | null {
  if (process.platform !== 'linux' || !(steps > 0)) return null
  try {
    // "<pid>/task/<tid>"
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop())
    if (!Number.isInteger(tid) || tid <= 0) return null
    setPriority(tid, Math.min(19, getPriority(tid) + Math.round(steps)))
    return getPriority(tid)
  } catch {
    return null
  }
}
