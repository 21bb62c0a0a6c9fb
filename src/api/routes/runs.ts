// /runs: create (202, trains in the background), list, inspect, pause/resume/cancel, and the data a
// notebook reads: metrics (JSON or CSV), a live event stream (SSE), a snapshot on the lattice grid.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { isTerminal, type RunState } from '../../engine/run-state.ts'
import { EventsQuery, MetricsQuery, MetricsView, METRIC_COLUMNS, RunCreate, RunList, RunListQuery, RunParams, RunSnapshot, RunView } from '../../services/runs/schemas.ts'
import type { RunService, StoredEvent } from '../../services/runs/service.ts'
import { renderStoredRunPlot } from '../../services/plots/stored-run.ts'
import type { Auth } from '../hooks/auth.ts'
import type { SseHub } from '../sse.ts'
import { ERROR_REPLIES, NoBody } from '../schemas.ts'

export interface RunRouteOptions { runs: RunService; auth: Auth; sse: SseHub }

const tags = ['runs']

export const runRoutes: FastifyPluginAsyncZod<RunRouteOptions> = async (app, { runs, auth, sse }) => {
  app.post('/', { schema: { tags, summary: 'Queue a training run on a device; 202 with its id', body: RunCreate, response: { 202: RunView, ...ERROR_REPLIES } } },
    async (req, reply) => reply.code(202).send(await runs.create(req.body, auth.clientOf(req))))

  app.get('/', { schema: { tags, summary: 'List runs (filter by state or device)', querystring: RunListQuery, response: { 200: RunList, ...ERROR_REPLIES } } },
    // pre-built text (RunService.listJson, already encoded with RunList), sent as it is: a string with a
    // JSON type skips the serialiser, which the type provider cannot know
    async (req, reply) => reply.type('application/json; charset=utf-8').send((await runs.listJson(req.query)) as unknown as z.infer<typeof RunList>))

  app.get('/:id', { schema: { tags, summary: 'One run: state, progress, last metrics, provenance, result', params: RunParams, response: { 200: RunView, ...ERROR_REPLIES } } },
    async (req) => runs.get(req.params.id))

  for (const verb of ['pause', 'resume', 'cancel'] as const) {
    app.post(`/:id/${verb}`, { schema: { tags, summary: `${verb[0].toUpperCase()}${verb.slice(1)} a run (409 when its state does not allow it)`, params: RunParams, body: NoBody, response: { 200: RunView, ...ERROR_REPLIES } } },
      async (req) => runs[verb](req.params.id))
  }

  app.get('/:id/metrics', {
    schema: {
      tags, summary: 'Metrics rows (batch, epoch, eval) as JSON, or CSV with ?format=csv or Accept: text/csv',
      params: RunParams, querystring: MetricsQuery,
      response: { 200: { description: 'rows', content: { 'application/json': { schema: MetricsView }, 'text/csv': { schema: z.string() } } }, ...ERROR_REPLIES },
    },
  }, async (req, reply) => {
    const { format, ...q } = req.query
    const csv = format === 'csv' || (format === undefined && /\btext\/csv\b/.test(req.headers.accept ?? ''))
    if (csv) return reply.type('text/csv; charset=utf-8').header('content-disposition', `inline; filename="${req.params.id}-metrics.csv"`).send(await runs.metricsCsv(req.params.id, q))
    return { run: req.params.id, columns: [...METRIC_COLUMNS], rows: await runs.metrics(req.params.id, q) }
  })

  app.get('/:id/snapshot', { schema: { tags, summary: 'Phases and couplings now, laid out on the lattice grid', params: RunParams, response: { 200: RunSnapshot, ...ERROR_REPLIES } } },
    async (req) => runs.snapshot(req.params.id))

  app.get('/:id/plots/:name.png', {
    schema: {
      tags, summary: 'A picture of the run as PNG, drawn now from its stored metrics and parameters: curve, phases, couplings or response',
      params: RunParams.extend({ name: z.string().max(64) }),
      response: { 200: { description: 'image/png', content: { 'image/png': { schema: z.any() } } }, ...ERROR_REPLIES },
    },
  }, async (req, reply) => reply.type('image/png').send(await renderStoredRunPlot(runs, req.params.id, req.params.name)))

  app.get('/:id/events', {
    schema: {
      tags, summary: 'Server-Sent Events: state, batch, epoch, eval, checkpoint; replays from ?since= or Last-Event-ID; ends at a final state',
      params: RunParams, querystring: EventsQuery,
      response: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } }, ...ERROR_REPLIES },
    },
  }, async (req, reply) => {
    const header = req.headers['last-event-id']
    const fromHeader = typeof header === 'string' && /^\d{1,15}$/.test(header) ? Number(header) : 0
    const since = req.query.since ?? fromHeader
    const buffered: StoredEvent[] = []
    let stream: ReturnType<SseHub['start']> | null = null
    const deliver = (e: StoredEvent) => {
      if (!stream) { buffered.push(e); return }
      stream.send(e.seq, e.type, { seq: e.seq, t: e.t, ...e.data })
      if (e.data.type === 'state' && isTerminal(e.data.to as RunState)) stream.end()
    }
    // throws 404 before the response is taken over
    const sub = await runs.follow(req.params.id, since, deliver)
    reply.hijack()
    stream = sse.start(reply.raw, sub.unsubscribe)
    for (const e of [...sub.backlog, ...buffered]) deliver(e)
    if (sub.terminal) stream.end()
  })
}
