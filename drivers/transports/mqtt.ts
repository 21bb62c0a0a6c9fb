// The wire protocol over an MQTT broker (SPEC section 10): one inner frame per message, no COBS.
// Host side: mqttConnector() hands BoardConnection a fresh Transport per (re)connection. Board side:
// mqttBoardLink() (frames) and attachBoardToBroker() (the TS virtual board) keep a board on the broker
// with a retained status and a last will. Discovery: watchBoards() follows `<prefix>/+/status`.
//
// Who reconnects. The host's client never reconnects by itself (reconnectPeriod 0): when the broker
// connection drops, or the board's status turns offline, the Transport closes with an error and
// BoardConnection's own loop (back-off, re-handshake, parameter re-write, op restart) calls the
// connector again. Two reconnect loops on one link would fight: MQTT.js would bring the socket back
// under a session that BoardConnection has already declared dead, and frames of the old session
// could reach the new one. The board's client does reconnect by itself (MQTT.js reconnectPeriod): it
// has nobody above it to do so, and all it must do after a reconnect is republish its status.
//
// QoS. Commands and replies go at QoS 0 unless the options say 1 (SPEC 10.1): the session's own
// resend and the board's reply cache recover a lost frame, and QoS 1's PUBACKs cost two packets per
// frame. Clients in the embedded broker's process reach it through a stream pair (mqtt/in-process.ts).
//
// Duplicates. QoS 1 may deliver a message twice, and a broker or a board's reconnect may deliver an
// old copy late; at QoS 0 copies come from the host's own resends and from bridges. Host side, the session already drops any reply whose seq is not an outstanding one
// (Session.onFrame: staleReplies). Board side, a late copy of an older command that the board's reply
// cache does not cover would run again (an old SET_PARAMS after an UPDATE_PARAMS, an old RELAX
// overwriting a sample's previous state). The board link therefore drops a copy of one of its last 64
// command frames, except the newest (a host retry, answered from the cache) and, in a session with a
// window, the last `window` ones other than HELLO and STOP: the board's strict seq order and its cache
// of `window` replies cover those, and the host resends them after a lost reply (mqtt/dedup.ts).
export { boardTopics, BoardStatus, MqttOptions, MqttTls, mqttWhere, type BoardIdentity, type MqttOptionsInput } from './mqtt/options.ts'
export { mqttConnector, type ConnectorExtras } from './mqtt/host.ts'
export { attachBoardToBroker, mqttBoardLink, virtualBoardIdentity, type AttachedBoard, type BoardLink, type BoardLinkOptions, type BoardLinkStats } from './mqtt/board.ts'
export { watchBoards, type BoardDirectory, type DiscoveredBoard } from './mqtt/discovery.ts'
