// A token bucket per client for expensive routes (relax): `perS` requests per second, bursts of `burst`.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { EqpError } from '../../errors.ts'

export interface RateLimitOptions { perS: number; burst: number; route: string; key: (req: FastifyRequest) => string; now?: () => number }

/** An onRequest hook answering 429 (with Retry-After) once a client's bucket is empty; perS 0 = off. */
export function rateLimit(o: RateLimitOptions): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const buckets = new Map<string, { tokens: number; at: number }>()
  const now = o.now ?? (() => performance.now() / 1000)
  return async (req, reply) => {
    if (o.perS <= 0) return
    const t = now(), k = o.key(req)
    let b = buckets.get(k)
    if (!b) {
      if (buckets.size > 10_000) for (const [key, v] of buckets) if (v.tokens + (t - v.at) * o.perS >= o.burst) buckets.delete(key)
      buckets.set(k, (b = { tokens: o.burst, at: t }))
    }
    b.tokens = Math.min(o.burst, b.tokens + (t - b.at) * o.perS)
    b.at = t
    if (b.tokens < 1) {
      reply.header('retry-after', String(Math.max(1, Math.ceil((1 - b.tokens) / o.perS))))
      throw new EqpError('EQP_ERR_RATE_LIMITED', [o.route, o.perS])
    }
    b.tokens -= 1
  }
}
