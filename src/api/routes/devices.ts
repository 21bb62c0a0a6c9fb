// /devices: attach and detach, read and write parameters, relax on demand. Reads always work; writes on
// a device a run holds get 409 naming the run.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { DeviceCreate, DeviceDetail, DeviceList, DeviceParams, ParamsBody, ParamsView, RelaxBody, RelaxView } from '../../services/devices/schemas.ts'
import type { DeviceService } from '../../services/devices/service.ts'
import { IdentifyOptions } from '../../services/twin/identify.ts'
import { IdentifyView } from '../../services/twin/schemas.ts'
import { ERROR_REPLIES, NoBody, NoQuery } from '../schemas.ts'

export interface DeviceRouteOptions {
  devices: DeviceService
  relaxLimit: (req: FastifyRequest, reply: FastifyReply) => Promise<void>
}

const tags = ['devices']

export const deviceRoutes: FastifyPluginAsyncZod<DeviceRouteOptions> = async (app, { devices, relaxLimit }) => {
  app.get('/', { schema: { tags, summary: 'List attached devices', querystring: NoQuery, response: { 200: DeviceList, ...ERROR_REPLIES } } },
    async () => ({ devices: await devices.list() }))

  app.post('/', { schema: { tags, summary: 'Attach a device (a simulator from a network or a builder, or a serial board by its path)', body: DeviceCreate, response: { 201: DeviceDetail, ...ERROR_REPLIES } } },
    async (req, reply) => reply.code(201).send(await devices.attachAny(req.body)))

  app.get('/:id', { schema: { tags, summary: 'One device: info, network, lease', params: DeviceParams, response: { 200: DeviceDetail, ...ERROR_REPLIES } } },
    async (req) => devices.get(req.params.id))

  app.delete('/:id', { schema: { tags, summary: 'Detach a device (409 while a run holds or waits for it)', params: DeviceParams, body: NoBody, response: { 204: z.null(), ...ERROR_REPLIES } } },
    async (req, reply) => { await devices.detach(req.params.id); return reply.code(204).send(null) })

  app.get('/:id/params', { schema: { tags, summary: 'Parameters as applied (always allowed)', params: DeviceParams, response: { 200: ParamsView, ...ERROR_REPLIES } } },
    async (req) => devices.params(req.params.id))

  app.put('/:id/params', { schema: { tags, summary: 'Write parameters; returns them as applied (quantised, clipped)', params: DeviceParams, body: ParamsBody, response: { 200: ParamsView, ...ERROR_REPLIES } } },
    async (req) => devices.setParams(req.params.id, req.body))

  app.post('/:id/relax', { onRequest: relaxLimit, schema: { tags, summary: 'One relaxation of a batch of samples (rate limited)', params: DeviceParams, body: RelaxBody, response: { 200: RelaxView, ...ERROR_REPLIES } } },
    async (req) => devices.relax(req.params.id, req.body))

  app.post('/:id/identify', { onRequest: relaxLimit, schema: { tags, summary: 'Fit the couplings and bias fields an XY device really has; returns the fit and its digital twin network (409 while a run holds it)', params: DeviceParams, body: IdentifyOptions, response: { 200: IdentifyView, ...ERROR_REPLIES } } },
    async (req) => devices.identify(req.params.id, req.body))
}
