// The REST view of an identification: the fit (IdentifyReport) and the twin network, as zod schemas.
import { z } from 'zod'
import { Network } from '../../core/network/network.ts'

const Sigma = z.number().nullable()

export const IdentifyReportView = z.strictObject({
  uid: z.string(),
  model: z.enum(['direct', 'affine']),
  relaxations: z.int(),
  unsettled: z.int(),
  equations: z.int(),
  unknowns: z.int(),
  residualRms: z.number(),
  condition: z.number(),
  unobservedEdges: z.array(z.int()),
  couplings: z.array(z.strictObject({
    edge: z.tuple([z.int(), z.int()]), setpoint: z.number(), w: z.number(), sigma: Sigma,
    gain: z.number(), gainSigma: Sigma, offset: z.number(), offsetSigma: Sigma,
  })),
  bias: z.array(z.strictObject({ node: z.int(), h: z.number(), hSigma: Sigma, psi: z.number() })),
})

/** POST /devices/:id/identify answers with the fit and the twin network (attach it with POST /devices). */
export const IdentifyView = z.strictObject({ report: IdentifyReportView, twin: Network })
export type IdentifyView = z.infer<typeof IdentifyView>
