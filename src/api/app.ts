// Assembles the HTTP API: zod compilers, one error handler, auth and request hooks, OpenAPI, and one
// plugin per resource. Services come in as plugin options; nothing is decorated.
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyInstance } from 'fastify'
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Logger } from 'pino'
import { EqpError } from '../errors.ts'
import type { DatasetService } from '../services/datasets/service.ts'
import type { DeviceService } from '../services/devices/service.ts'
import type { RunService } from '../services/runs/service.ts'
import type { Telemetry } from '../services/telemetry.ts'
import { errorHandler } from './errors.ts'
import { makeAuth, type Token } from './hooks/auth.ts'
import { rateLimit } from './hooks/rate-limit.ts'
import { datasetRoutes } from './routes/datasets.ts'
import { boardRoutes } from './routes/boards.ts'
import { deviceRoutes } from './routes/devices.ts'
import { runRoutes } from './routes/runs.ts'
import { systemRoutes } from './routes/system.ts'
import { DEFAULT_UI_DIR, uiRoutes } from './routes/ui.ts'
import { SseHub } from './sse.ts'

export interface AppServices { devices: DeviceService; runs: RunService; datasets: DatasetService; telemetry: Telemetry }

export interface AppOptions {
  logger?: Logger
  tokens: readonly Token[]
  /** GETs need a token too (all but /health) */
  protectReads?: boolean
  /** relax requests per second per client (0 = unlimited), and the burst allowed */
  relaxRate: number
  relaxBurst: number
  /** bytes; uploads have their own limit */
  bodyLimit: number
  uploadLimit: number
  version: string
  /** folder of the dashboard bundle (npm run build:ui); default dist/ui in the package */
  uiDir?: string
}

export interface App { app: FastifyInstance; sse: SseHub }

/** Builds the Fastify app (not listening yet). */
export async function buildApp(s: AppServices, o: AppOptions): Promise<App> {
  const app = Fastify({
    ...(o.logger ? { loggerInstance: o.logger } : { logger: false }),
    bodyLimit: o.bodyLimit,
    requestIdHeader: 'x-request-id',
    // responses stream nothing but SSE, which the hub ends on close
    forceCloseConnections: true,
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<ZodTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler((req, reply) => {
    const e = new EqpError('EQP_ERR_ROUTE_NOT_FOUND', [req.method, req.url.split('?')[0]])
    return reply.code(404).send({ code: e.code, message: e.message })
  })
  const auth = makeAuth(o.tokens, o.protectReads ?? false)
  app.addHook('onRequest', auth.hook)
  app.addHook('onResponse', async (_req, reply) => { s.telemetry.httpResponse(reply.statusCode) })
  const sse = new SseHub()
  app.addHook('preClose', async () => { sse.endAll() })

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'eqprop-hil daemon', description: 'Devices, training runs, datasets and live streams for Equilibrium Propagation on physical substrates.', version: o.version },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  const relaxLimit = rateLimit({ perS: o.relaxRate, burst: o.relaxBurst, route: 'POST /devices/:id/relax', key: auth.clientOf })
  await app.register(systemRoutes, { runs: s.runs, devices: s.devices, telemetry: s.telemetry, version: o.version })
  await app.register(deviceRoutes, { prefix: '/devices', devices: s.devices, relaxLimit })
  await app.register(boardRoutes, { prefix: '/boards', devices: s.devices })
  await app.register(runRoutes, { prefix: '/runs', runs: s.runs, auth, sse })
  await app.register(datasetRoutes, { prefix: '/datasets', datasets: s.datasets, uploadLimit: o.uploadLimit })
  await app.register(uiRoutes, { dir: o.uiDir ?? DEFAULT_UI_DIR })
  await app.ready()
  return { app: app as unknown as FastifyInstance, sse }
}
