// A daemon's name on a shared store, held as a lease that it renews: a second daemon under the same
// name is refused while the first lives, and takes over (its devices and runs) once a killed one's
// lease has run out.
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { EqpError } from '../errors.ts'
import type { Store } from '../services/store/index.ts'

export interface DaemonIdentity {
  readonly id: string
  /** Stops renewing and frees the name at once (a clean shutdown). */
  release(): Promise<void>
}

/** Takes the lease on daemon id `id` for leaseS seconds and renews it every leaseS/3 seconds;
 *  EQP_ERR_BAD_INPUT on `daemonId` when a live daemon holds it. */
export async function holdIdentity(store: Store, id: string, leaseS: number, log: { error(o: object, m: string): void; warn(o: object, m: string): void }): Promise<DaemonIdentity> {
  const name = `daemon:${id}`
  const holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  if (!await store.leases.take(name, holder, leaseS, { host: hostname(), pid: process.pid, since: new Date().toISOString() })) {
    const l = await store.leases.get(name)
    const left = l ? Math.max(0, (l.expiresAt - Date.now()) / 1000).toFixed(1) : '?'
    throw new EqpError('EQP_ERR_BAD_INPUT', ['daemonId', `'${id}' is held on the shared store by ${l?.holder ?? 'another daemon'} for ${left} s more: give each daemon its own --daemon-id (a killed daemon's id frees ${leaseS} s after it stopped)`])
  }
  let lost = false
  const timer = setInterval(() => {
    store.leases.renew(name, holder, leaseS).then((ok) => {
      if (!ok && !lost) { lost = true; log.error({ daemonId: id }, 'daemon id lost on the shared store (renewed too late, another daemon took it): stop this daemon') }
    }, (e: Error) => log.warn({ daemonId: id, err: e.message }, 'daemon id not renewed (store unreachable?)'))
  }, (leaseS * 1000) / 3)
  timer.unref()
  return {
    id,
    async release() {
      clearInterval(timer)
      await store.leases.release(name, holder).catch(() => {})
    },
  }
}
