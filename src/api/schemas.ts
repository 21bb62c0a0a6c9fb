// Shapes shared by every route: the error body, and the empty body and query most routes take.
import { z } from 'zod'

export const ErrorBody = z.object({ code: z.string(), message: z.string() })
export type ErrorBody = z.infer<typeof ErrorBody>

/** Error replies every route may give, for the OpenAPI document. */
export const ERROR_REPLIES = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 413: ErrorBody, 415: ErrorBody, 429: ErrorBody } as const

/** Routes without a body or a query string still reject unknown fields. */
export const NoBody = z.strictObject({}).nullish()
export const NoQuery = z.strictObject({})
