// The eqprop wire protocol codec (SPEC.md): pure functions and classes, no I/O.
export { crc32c, crc32cUpdate } from './crc32c.ts'
export { cobsEncode, cobsDecode, cobsMaxEncodedLength, serialFrame, CobsDecoder } from './cobs.ts'
export type { CobsStats, CobsDecoderOptions } from './cobs.ts'
export {
  encodeFrame, decodeFrame, PROTOCOL_MAJOR, PROTOCOL_MINOR, HEADER_SIZE, CRC_SIZE, FRAME_OVERHEAD, MIN_FRAME_LIMIT, MAX_FRAME_LIMIT,
} from './frame.ts'
export type { Frame, FrameHeader, DecodeFrameOptions } from './frame.ts'
export { encodePayload, decodePayload, encodeMessage, decodeMessage, messageSpec, messageById, acceptsMessage } from './codec.ts'
export type { Message, OutgoingMessage, DecodedMessage, Role, DecodeOptions } from './codec.ts'
export { arrayCapacity, planChunks } from './chunking.ts'
export { PHASE_LSB, wrapPhase, toFixed, fromFixed } from './fixed-point.ts'
export { FrameReceiver } from './receiver.ts'
export type { Received, ReceiverOptions, ReceiverStats } from './receiver.ts'
export { ProtocolError, errorName } from './protocol-error.ts'
export type { ProtocolErrorInfo } from './protocol-error.ts'
export { TABLE, MESSAGES_BY_ID, MESSAGES_BY_NAME, SCALAR_SIZE, intRange } from './table.ts'
export type { MessageSpec, FieldSpec, TableJson, ScalarType } from './table.ts'
export * from './types-gen.ts'
