// The daemon's broker: an external one (serve --mqtt URL) or one started in this process
// (serve --mqtt-embedded), and the directory of boards that announce themselves on it. Devices of
// kind 'mqtt' that name no broker use this one.
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../drivers/transports/mqtt-broker.ts'
import { MqttOptions, watchBoards, type BoardDirectory, type DiscoveredBoard, type MqttOptionsInput } from '../../../drivers/transports/mqtt.ts'

/** TLS settings of a broker connection (CA, client certificate and key, certificate check): the daemon's config takes them for its broker. */
export { MqttTls } from '../../../drivers/transports/mqtt.ts'

/** Where the daemon's broker is: given, or embedded on host:port (port 0 = any free one). */
export type BrokerSetting =
  | { kind: 'external'; mqtt: MqttOptionsInput }
  | { kind: 'embedded'; host: string; port: number }

/** A board seen on the broker, with the device id it is attached as (null when not attached). */
export type BoardListing = DiscoveredBoard & { device: string | null }

export class MqttService {
  private constructor(readonly options: MqttOptions, readonly embedded: EmbeddedBroker | null, private readonly directory: BoardDirectory) {}

  /** Starts the embedded broker if asked, and subscribes to the boards' status topics. */
  static async start(setting: BrokerSetting): Promise<MqttService> {
    let embedded: EmbeddedBroker | null = null
    let options: MqttOptions
    if (setting.kind === 'embedded') {
      embedded = await startEmbeddedBroker({ host: setting.host, port: setting.port })
      // aedes speaks 3.1.1 only: saying so up front saves every client a refused MQTT 5 connect
      options = MqttOptions.parse({ url: embedded.url, protocolVersion: 4 })
    } else options = MqttOptions.parse(setting.mqtt)
    try {
      return new MqttService(options, embedded, await watchBoards(options))
    } catch (e) {
      await embedded?.close().catch(() => {})
      throw e
    }
  }

  /** Broker URL without credentials. */
  get url(): string {
    const u = new URL(this.options.url)
    return `${u.protocol}//${u.host}`
  }

  /** Boards that announced themselves, by uid; attachedAs maps a uid to its device id. */
  boards(attachedAs: (uid: string) => string | null = () => null): BoardListing[] {
    return this.directory.list().map((b) => ({ ...b, device: attachedAs(b.uid) }))
  }

  /** Waits until a board's status is online (it may still be booting). */
  waitOnline(uid: string, timeoutS: number): Promise<DiscoveredBoard> {
    return this.directory.waitFor(uid, 'online', timeoutS)
  }

  async close(): Promise<void> {
    await this.directory.close()
    await this.embedded?.close().catch(() => {})
  }
}
