// Bearer tokens: optional on loopback; when configured, every mutating request needs a write token,
// and, when reads are protected, every other request but /health needs a token of either scope. A
// read token never writes. The token's name is the client identity recorded on runs and named in
// lease conflicts.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { EqpError } from '../../errors.ts'

export interface Token { name: string; token: string; scope?: 'write' | 'read' }

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const digest = (s: string) => createHash('sha256').update(s).digest()
const CLIENT_HEADER = /^[A-Za-z0-9_.@:-]{1,64}$/

export interface Auth {
  /** onRequest hook: 401 for a wrong token, or for a mutating request without one when tokens exist */
  hook: (req: FastifyRequest, reply: FastifyReply) => Promise<void>
  /** who is asking: the token's name, else the X-Eqp-Client header, else the peer address */
  clientOf: (req: FastifyRequest) => string
}

/** Paths anyone may read even when reads are protected: liveness probes, and the dashboard's static
 *  page and bundle (no data: the page asks for a token and sends it with every API request). */
const ALWAYS_OPEN = new Set(['/health', '/'])
const isOpen = (path: string) => ALWAYS_OPEN.has(path) || /^\/ui\/[\w.-]+$/.test(path)

/** The auth hook and client naming for these tokens; protectReads makes GETs need a token too. */
export function makeAuth(tokens: readonly Token[], protectReads = false): Auth {
  const known = tokens.map((t) => ({ name: t.name, d: digest(t.token), write: (t.scope ?? 'write') === 'write' }))
  const tokenOf = (req: FastifyRequest): { name: string; write: boolean } | null | undefined => {
    const h = req.headers.authorization
    if (h === undefined) return undefined
    const m = /^Bearer\s+(\S+)$/i.exec(h)
    if (!m) return null
    const d = digest(m[1])
    // compare against every token, in constant time per comparison
    let found: { name: string; write: boolean } | null = null
    for (const k of known) if (timingSafeEqual(k.d, d)) found = { name: k.name, write: k.write }
    return found
  }
  return {
    hook: async (req) => {
      if (known.length === 0) return
      const t = tokenOf(req)
      if (t === null) throw new EqpError('EQP_ERR_UNAUTHORIZED', ['authorization: not a known bearer token'])
      const mutating = MUTATING.has(req.method)
      if (t === undefined && mutating) throw new EqpError('EQP_ERR_UNAUTHORIZED', [`authorization: ${req.method} needs 'Authorization: Bearer <token>'`])
      if (t && !t.write && mutating) throw new EqpError('EQP_ERR_UNAUTHORIZED', [`authorization: token '${t.name}' may only read; ${req.method} needs a write token`])
      if (t === undefined && protectReads && !isOpen(req.url.split('?')[0])) {
        throw new EqpError('EQP_ERR_UNAUTHORIZED', [`authorization: reads are protected on this daemon; ${req.method} needs 'Authorization: Bearer <token>' (a read or write token)`])
      }
    },
    clientOf: (req) => {
      if (known.length) { const t = tokenOf(req); if (t) return t.name }
      const h = req.headers['x-eqp-client']
      if (typeof h === 'string' && CLIENT_HEADER.test(h)) return h
      return `anonymous@${req.ip}`
    },
  }
}
