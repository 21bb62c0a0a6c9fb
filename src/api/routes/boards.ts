// /boards: the boards that announce themselves on the daemon's MQTT broker (retained status), so a
// notebook can find a board's uid and attach it with POST /devices {kind: 'mqtt', uid}.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { BoardList } from '../../services/devices/schemas.ts'
import type { DeviceService } from '../../services/devices/service.ts'
import { ERROR_REPLIES, NoQuery } from '../schemas.ts'

export interface BoardRouteOptions {
  devices: DeviceService
}

export const boardRoutes: FastifyPluginAsyncZod<BoardRouteOptions> = async (app, { devices }) => {
  app.get('/', { schema: { tags: ['devices'], summary: 'Boards seen on the MQTT broker (online or offline), and the device each is attached as', querystring: NoQuery, response: { 200: BoardList, ...ERROR_REPLIES } } },
    async () => devices.boards())
}
