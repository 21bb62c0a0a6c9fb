// eqprop-hil bridge: puts a serial board (a lab board on USB, or the C firmware on a pty) on an MQTT
// broker. Frames are relayed untouched; the bridge publishes the board's retained status and last will
// on its behalf. Also the home of the --mqtt-* flags that `board` shares.
import { MqttOptions, startBridge, type MqttOptionsInput } from '../../services/boards.ts'
import { num, oneOf, parseFlags, required, UsageError } from '../usage.ts'

/** The broker flags of `board` and `bridge`, for parseFlags. */
export const MQTT_FLAGS = {
  mqtt: { type: 'string' }, 'mqtt-user': { type: 'string' }, 'mqtt-password': { type: 'string' }, 'mqtt-prefix': { type: 'string' },
  'mqtt-ca': { type: 'string' }, 'mqtt-cert': { type: 'string' }, 'mqtt-key': { type: 'string' }, 'mqtt-insecure': { type: 'boolean' },
  'mqtt-version': { type: 'string' }, 'mqtt-keepalive': { type: 'string' }, 'mqtt-qos': { type: 'string' },
} as const

export const MQTT_HELP = `broker options:
  --mqtt URL          mqtt://host:port, mqtts://host:port (TLS), ws://host:port/path or wss://...
  --mqtt-user U       username; the password comes from --mqtt-password P or, better (ps shows
                      arguments), the environment variable EQP_MQTT_PASSWORD
  --mqtt-prefix P     first topic level(s) (default eqprop): topics <P>/<uid>/{cmd,reply,status}
  --mqtt-ca F --mqtt-cert F --mqtt-key F   TLS: CA to trust, client certificate and key (PEM files)
  --mqtt-insecure     do not check the broker's certificate (a lab broker with a self-made one)
  --mqtt-version V    4 (3.1.1) or 5; default: try 5, fall back to 3.1.1
  --mqtt-keepalive S  MQTT keep-alive in seconds (default 10)
  --mqtt-qos Q        QoS of commands and replies, 0 (default; the protocol resends a lost frame) or 1`

type MqttFlagValues = { [K in keyof typeof MQTT_FLAGS]?: (typeof MQTT_FLAGS)[K]['type'] extends 'boolean' ? boolean : string }

/** MqttOptions from the --mqtt-* flags (the url from --mqtt); usage errors name the flag. */
export function mqttOptionsFromFlags(f: MqttFlagValues): MqttOptions {
  const tlsGiven = f['mqtt-ca'] !== undefined || f['mqtt-cert'] !== undefined || f['mqtt-key'] !== undefined || f['mqtt-insecure'] !== undefined
  const o: MqttOptionsInput = {
    url: required(f.mqtt, 'mqtt'),
    username: f['mqtt-user'],
    password: f['mqtt-password'] ?? process.env.EQP_MQTT_PASSWORD,
    prefix: f['mqtt-prefix'],
    keepaliveS: f['mqtt-keepalive'] === undefined ? undefined : num(f['mqtt-keepalive'], 'mqtt-keepalive', 10, { int: true, min: 0, max: 65535 }),
    protocolVersion: f['mqtt-version'] === undefined ? undefined : Number(oneOf(f['mqtt-version'], 'mqtt-version', ['4', '5'] as const, '5')) as 4 | 5,
    qos: f['mqtt-qos'] === undefined ? undefined : Number(oneOf(f['mqtt-qos'], 'mqtt-qos', ['0', '1'] as const, '0')) as 0 | 1,
    tls: tlsGiven ? { ca: f['mqtt-ca'], cert: f['mqtt-cert'], key: f['mqtt-key'], rejectUnauthorized: f['mqtt-insecure'] !== true } : undefined,
  }
  const r = MqttOptions.safeParse(Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)))
  if (!r.success) throw new UsageError(`--mqtt: ${r.error.issues.map((i) => i.message).join('; ')}`)
  return r.data
}

export const BRIDGE_HELP = `eqprop-hil bridge --serial PATH --mqtt URL [--uid U] [options]

Relays a serial board's frames to an MQTT broker and back (SPEC section 10), and publishes its
retained status on <prefix>/<uid>/status (last will: offline). The uid is the one the board reports
in DEVICE_INFO (the bridge asks with HELLO at start, then sends STOP), or --uid. Prints
"bridge <uid> ready on mqtt://host:port/<prefix>/<uid>". Train it with a remote MQTT device.

  --serial PATH       the board's serial port (reopened whenever it goes away)
  --baud N            line rate (default 115200)
  --uid U             topic uid; refused if the board reports another one
${MQTT_HELP}
SIGINT or SIGTERM publishes offline and stops.`

export async function bridgeCommand(args: string[]): Promise<number> {
  const f = parseFlags(args, { serial: { type: 'string' }, baud: { type: 'string' }, uid: { type: 'string' }, ...MQTT_FLAGS })
  const mqtt = mqttOptionsFromFlags(f)
  const log = (line: string) => process.stderr.write(`bridge: ${line}\n`)
  const bridge = await startBridge({
    serialPath: required(f.serial, 'serial'), serial: { baudRate: num(f.baud, 'baud', 115200, { int: true, min: 1 }) }, mqtt, uid: f.uid, log,
  })
  process.stdout.write(`bridge ${bridge.uid} ready on ${bridge.where}\n`)
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await bridge.close()
  return 0
}
