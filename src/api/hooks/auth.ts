// Bearer tokens: optional on loopback; when configured, every mutating request needs one. The token's
// name is the client identity recorded on runs and named in lease conflicts.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { EqpError } from '../../errors.ts'

export interface Token { name: string; token: string }

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const digest = (s: string) => createHash('sha256').update(s).digest()
const CLIENT_HEADER = /^[A-Za-z0-9_.@:-]{1,64}$/

export interface Auth {
  /** onRequest hook: 401 for a wrong token, or for a mutating request without one when tokens exist */
  hook: (req: FastifyRequest, reply: FastifyReply) => Promise<void>
  /** who is asking: the token's name, else the X-Eqp-Client header, else the peer address */
  clientOf: (req: FastifyRequest) => string
}

export function makeAuth(tokens: readonly Token[]): Auth {
  const known = tokens.map((t) => ({ name: t.name, d: digest(t.token) }))
  const tokenName = (req: FastifyRequest): string | null | undefined => {
    const h = req.headers.authorization
    if (h === undefined) return undefined
    const m = /^Bearer\s+(\S+)$/i.exec(h)
    if (!m) return null
    const d = digest(m[1])
    // compare against every token, in constant time per comparison
    let found: string | null = null
    for (const k of known) if (timingSafeEqual(k.d, d)) found = k.name
    return found
  }
  return {
    hook: async (req) => {
      if (known.length === 0) return
      const name = tokenName(req)
      if (name === null) throw new EqpError('EQP_ERR_UNAUTHORIZED', ['authorization: not a known bearer token'])
      if (name === undefined && MUTATING.has(req.method)) throw new EqpError('EQP_ERR_UNAUTHORIZED', [`authorization: ${req.method} needs 'Authorization: Bearer <token>'`])
    },
    clientOf: (req) => {
      if (known.length) { const n = tokenName(req); if (n) return n }
      const h = req.headers['x-eqp-client']
      if (typeof h === 'string' && CLIENT_HEADER.test(h)) return h
      return `anonymous@${req.ip}`
    },
  }
}
