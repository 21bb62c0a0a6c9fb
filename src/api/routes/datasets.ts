// /datasets: the built-in tasks and uploaded tables (JSON body, or text/csv with ?name=...).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { DatasetList, DatasetParams, DatasetUpload, DatasetView } from '../../services/datasets/schemas.ts'
import type { DatasetService } from '../../services/datasets/service.ts'
import { ERROR_REPLIES, NoQuery } from '../schemas.ts'

export interface DatasetRouteOptions { datasets: DatasetService; uploadLimit: number }

const tags = ['datasets']

export const datasetRoutes: FastifyPluginAsyncZod<DatasetRouteOptions> = async (app, { datasets, uploadLimit }) => {
  // a raw CSV body: the query string supplies the other fields, so the same schema checks both forms
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: uploadLimit }, (req, body, done) => {
    const q = { ...(req.query as Record<string, string>) }
    const fields: Record<string, unknown> = { ...q, csv: body }
    if (q.testFraction !== undefined) fields.testFraction = q.testFraction.trim() === '' ? NaN : Number(q.testFraction)
    done(null, fields)
  })

  app.get('/', { schema: { tags, summary: 'Built-in and uploaded datasets', querystring: NoQuery, response: { 200: DatasetList, ...ERROR_REPLIES } } },
    async () => ({ datasets: datasets.list() }))

  app.get('/:name', { schema: { tags, summary: 'One dataset', params: DatasetParams, response: { 200: DatasetView, ...ERROR_REPLIES } } },
    async (req) => datasets.get(req.params.name))

  app.post('/', {
    bodyLimit: uploadLimit,
    schema: { tags, summary: 'Upload a table (features + label) as CSV text or JSON rows', body: DatasetUpload, response: { 201: DatasetView, ...ERROR_REPLIES } },
  }, async (req, reply) => reply.code(201).send(datasets.upload(req.body)))
}
