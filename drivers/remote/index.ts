// The remote board driver: a Substrate over the wire protocol.
export { openRemoteSubstrate, RemoteSubstrate, toInfo } from './remote-substrate.ts'
export type { RemoteOptions } from './remote-substrate.ts'
export { BoardConnection } from './connection.ts'
export type { ConnectionOptions } from './connection.ts'
export { DIAGNOSTICS, CONNECTION_STATES } from './diagnostics.ts'
export type { DeviceStatus, DeviceCounters, DiagnosticCode, ConnectionState } from './diagnostics.ts'
