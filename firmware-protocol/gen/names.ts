// Naming helpers shared by the generators.
import { pathToFileURL } from 'node:url'

/** protoMinor -> proto_minor */
export function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_').toLowerCase()
}

/** protoMinor / 'states+edges' / DEVICE_INFO -> PROTO_MINOR / STATES_EDGES / DEVICE_INFO */
export function upper(name: string): string {
  return snake(name).toUpperCase()
}

/** DEVICE_INFO -> DeviceInfo; nodeList -> NodeList */
export function pascal(name: string): string {
  return snake(name).split('_').filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join('')
}

/** True when the module with this import.meta.url is the script node was started with. */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && url === pathToFileURL(process.argv[1]).href
}
