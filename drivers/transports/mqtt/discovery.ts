// Discovery: the boards on a broker, from their retained status.
import { EqpError } from '../../../src/errors.ts'
import { connectClient, hostClientId } from './client.ts'
import { mqttWhere, MqttOptions, parseStatus, type BoardStatus, type MqttOptionsInput } from './options.ts'

// ---- discovery ---------------------------------------------------------------------------------

/** A board seen on the broker: its latest status and when it arrived (ms since the epoch). */
export type DiscoveredBoard = BoardStatus & { receivedAt: number }

/** The boards on a broker, kept up to date from their retained status. */
export interface BoardDirectory {
  list(): DiscoveredBoard[]
  get(uid: string): DiscoveredBoard | undefined
  /** cb runs on every status message (a cleared status arrives as state offline); returns an unsubscribe */
  on(event: 'change', cb: (b: DiscoveredBoard) => void): () => void
  /** resolves with the board once its status is `state` (at once if it already is); rejects after timeoutS */
  waitFor(uid: string, state: 'online' | 'offline', timeoutS?: number): Promise<DiscoveredBoard>
  close(): Promise<void>
}

/** Subscribes <prefix>/+/status and keeps uid -> latest status; the client reconnects by itself. */
export async function watchBoards(optsIn: MqttOptionsInput): Promise<BoardDirectory> {
  const o = MqttOptions.parse(optsIn)
  const client = await connectClient(o, hostClientId(o, 'watch'), { reconnectPeriod: 1000 })
  const boards = new Map<string, DiscoveredBoard>()
  const cbs = new Set<(b: DiscoveredBoard) => void>()
  const depth = o.prefix.split('/').length
  client.on('message', (topic, payload) => {
    const levels = topic.split('/')
    if (levels.length !== depth + 2 || levels[depth + 1] !== 'status') return
    const uid = levels[depth]
    const s = parseStatus(payload)
    if (payload.length > 0 && !s) return    // not ours
    const b: DiscoveredBoard = { ...(s ?? { state: 'offline' as const, uid }), uid, receivedAt: Date.now() }
    boards.set(uid, b)
    for (const cb of cbs) cb(b)
  })
  await client.subscribeAsync(`${o.prefix}/+/status`, { qos: 1 })
  const on = (_e: 'change', cb: (b: DiscoveredBoard) => void) => { cbs.add(cb); return () => { cbs.delete(cb) } }
  return {
    list: () => [...boards.values()].sort((a, b) => a.uid.localeCompare(b.uid)),
    get: (uid) => boards.get(uid),
    on,
    waitFor: (uid, state, timeoutS = 10) => new Promise((resolve, reject) => {
      const now = boards.get(uid)
      if (now?.state === state) { resolve(now); return }
      const off = on('change', (b) => {
        if (b.uid !== uid || b.state !== state) return
        off(); clearTimeout(t); resolve(b)
      })
      const t = setTimeout(() => { off(); reject(new EqpError('EQP_ERR_MQTT_BOARD_OFFLINE', [uid, mqttWhere(o, uid), `not ${state} within ${timeoutS} s`])) }, timeoutS * 1000)
    }),
    close: async () => { cbs.clear(); await client.endAsync(true).catch(() => {}) },
  }
}
