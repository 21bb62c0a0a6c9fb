// Worker entry in plain JS: Node resolves a worker's main module before any loader runs, so this
// registers tsx first and then loads the TypeScript worker.
import { register } from 'tsx/esm/api'

register()
await import('./sim-host-worker.ts')
