// The one place HTTP errors are shaped: every failure leaves as {code, message}, the message naming
// the field; bad input is never a 500.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { EqpError } from '../errors.ts'
import { issueLines, type IssueLike } from '../services/issues.ts'
import type { ErrorBody } from './schemas.ts'

const CONTEXT: Record<string, string> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' }

interface ValidationEntry { keyword: string; instancePath: string; message?: string; params?: Record<string, unknown> }

/** `body.field: reason` lines from fastify's validation entries (produced by the zod validator). */
export function validationMessage(err: FastifyError): string {
  const prefix = CONTEXT[err.validationContext ?? 'body'] ?? 'body'
  const issues: IssueLike[] = (err.validation as unknown as ValidationEntry[]).map((v) => ({
    ...(v.params ?? {}),
    code: v.keyword,
    path: v.instancePath.split('/').filter((s) => s !== ''),
    message: v.message ?? 'invalid',
  }))
  return issueLines(issues, prefix).join('; ')
}

function send(reply: FastifyReply, status: number, body: ErrorBody): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(body)
}

/** Fastify error handler: coded errors keep their status; everything unexpected is a logged 500. */
export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof EqpError) return send(reply, err.statusCode, { code: err.code, message: err.message })
  if (err.validation) return send(reply, 400, { code: 'EQP_ERR_BAD_INPUT', message: validationMessage(err) })
  const fail = (e: EqpError) => send(reply, e.statusCode, { code: e.code, message: e.message })
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return fail(new EqpError('EQP_ERR_BODY_TOO_LARGE', [req.routeOptions.bodyLimit ?? 0]))
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return fail(new EqpError('EQP_ERR_MEDIA_TYPE', [String(req.headers['content-type'] ?? '')]))
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return fail(new EqpError('EQP_ERR_BAD_INPUT', ['body', "empty, but content-type is application/json (send {} or no content-type)"]))
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH': return fail(new EqpError('EQP_ERR_BAD_INPUT', ['content-length', 'does not match the body']))
  }
  const status = err.statusCode ?? 500
  if (status >= 400 && status < 500) {
    // fastify's own client errors (malformed JSON, bad headers): name the part of the request
    const where = err instanceof SyntaxError || /JSON/i.test(err.message) ? 'body' : 'request'
    return send(reply, 400, { code: 'EQP_ERR_BAD_INPUT', message: `${where}: ${err.message}` })
  }
  req.log.error({ err }, 'unhandled error')
  return fail(new EqpError('EQP_ERR_INTERNAL', []))
}
