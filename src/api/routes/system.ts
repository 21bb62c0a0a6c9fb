// /health, /metrics (Prometheus text) and /openapi.json.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { DeviceService } from '../../services/devices/service.ts'
import type { RunService } from '../../services/runs/service.ts'
import { renderPrometheus, type Telemetry } from '../../services/telemetry.ts'
import { ERROR_REPLIES, NoQuery } from '../schemas.ts'
import { kernelInfo } from '../../services/kernels.ts'

export interface SystemRouteOptions { runs: RunService; devices: DeviceService; telemetry: Telemetry; version: string }

export const Health = z.object({
  status: z.literal('ok'),
  version: z.string(),
  uptimeS: z.number(),
  devices: z.int(),
  runs: z.record(z.string(), z.int()),
  /** backend of the dense XY kernels (docs/explanation/dense-kernels.md) */
  kernels: z.object({ dense: z.enum(['node', 'wasm', 'cpu', 'typed-array']), simd: z.boolean().optional(), fallback: z.string().optional() }),
})

export const systemRoutes: FastifyPluginAsyncZod<SystemRouteOptions> = async (app, { runs, devices, telemetry, version }) => {
  app.get('/health', { schema: { tags: ['system'], summary: 'Liveness, version and run counts', querystring: NoQuery, response: { 200: Health, ...ERROR_REPLIES } } },
    async () => ({ status: 'ok' as const, version, uptimeS: (Date.now() - telemetry.startedAt) / 1000, devices: devices.count(), runs: await runs.countByState(), kernels: kernelInfo() }))

  app.get('/metrics', { schema: { tags: ['system'], summary: 'Prometheus text: runs by state, relaxations/s, device errors', querystring: NoQuery, response: { ...ERROR_REPLIES, 200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: z.string() } } } } } },
    async (_req, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(renderPrometheus(telemetry, await runs.countByState(), devices.count())))

  app.get('/openapi.json', { schema: { hide: true } }, async (_req, reply) => reply.type('application/json; charset=utf-8').send(JSON.stringify(app.swagger())))
}
