// /datasets: the built-in tasks and uploaded tables (JSON body, or text/csv with ?name=...).
import type { Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { EqpError } from '../../errors.ts'
import { CsvLimitScanner } from '../../services/datasets/csv-limits.ts'
import { DatasetList, DatasetParams, DatasetUpload, DatasetView } from '../../services/datasets/schemas.ts'
import type { DatasetService } from '../../services/datasets/service.ts'
import { ERROR_REPLIES, NoQuery } from '../schemas.ts'

export interface DatasetRouteOptions { datasets: DatasetService; uploadLimit: number }

const tags = ['datasets']

export const datasetRoutes: FastifyPluginAsyncZod<DatasetRouteOptions> = async (app, { datasets, uploadLimit }) => {
  // a raw CSV body streams through the limit scanner: the first limit crossed (bytes, rows, columns)
  // ends the upload at once, so an oversized table costs neither a full read nor a parse; the query
  // string supplies the other fields, so the same schema checks both forms
  app.addContentTypeParser('text/csv', (req, payload, done) => {
    const q = { ...(req.query as Record<string, string>) }
    readCsvBody(payload, uploadLimit, Number(req.headers['content-length'] ?? NaN)).then((csv) => {
      const fields: Record<string, unknown> = { ...q, csv }
      if (q.testFraction !== undefined) fields.testFraction = q.testFraction.trim() === '' ? NaN : Number(q.testFraction)
      done(null, fields)
    }, (e: Error) => done(e as never, undefined))
  })

  // a refused upload may still be arriving: close the connection rather than read it to the end
  app.addHook('onSend', async (req, reply) => {
    if (reply.statusCode === 413) reply.header('connection', 'close')
  })

  app.get('/', { schema: { tags, summary: 'Built-in and uploaded datasets', querystring: NoQuery, response: { 200: DatasetList, ...ERROR_REPLIES } } },
    async () => ({ datasets: await datasets.list() }))

  app.get('/:name', { schema: { tags, summary: 'One dataset', params: DatasetParams, response: { 200: DatasetView, ...ERROR_REPLIES } } },
    async (req) => datasets.get(req.params.name))

  app.post('/', {
    bodyLimit: uploadLimit,
    schema: { tags, summary: 'Upload a table (features + label) as CSV text or JSON rows', body: DatasetUpload, response: { 201: DatasetView, ...ERROR_REPLIES } },
  }, async (req, reply) => reply.code(201).send(await datasets.upload(req.body)))
}

/** Reads a CSV request body (UTF-8), refusing it at the first byte, row or column over a limit. */
function readCsvBody(payload: Readable, byteLimit: number, declared: number): Promise<string> {
  return new Promise((resolve, reject) => {
    if (declared > byteLimit) { reject(new EqpError('EQP_ERR_BODY_TOO_LARGE', [byteLimit])); return }
    const scan = new CsvLimitScanner()
    const text = new StringDecoder('utf8')
    const parts: string[] = []
    let bytes = 0, done = false
    const fail = (e: unknown) => {
      done = true
      // stop reading: the rest is never looked at, and the connection closes after the 413 (onSend)
      payload.removeListener('data', onData)
      payload.pause()
      reject(e)
    }
    const onData = (chunk: Buffer) => {
      if (done) return
      bytes += chunk.length
      if (bytes > byteLimit) return fail(new EqpError('EQP_ERR_BODY_TOO_LARGE', [byteLimit]))
      const s = text.write(chunk)
      try { scan.push(s) } catch (e) { return fail(e) }
      parts.push(s)
    }
    payload.on('data', onData)
    payload.on('error', (e) => { if (!done) fail(e) })
    payload.on('end', () => {
      if (done) return
      done = true
      const s = text.end()
      try { scan.push(s); scan.end() } catch (e) { reject(e); return }
      parts.push(s)
      resolve(parts.join(''))
    })
  })
}
