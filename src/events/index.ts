// The events module's public surface: Node-RED messages → EMQX rule columns.
export { Columns, NODE_NAME, emqxProps, messageId, payloadText, setHiddenColumn } from './columns';
export { columnsFromMqttIn } from './mqtt-in';
export { AedesEventMapper, detachAedesClient, isAedesMessage } from './aedes';
export { AedesClientSnapshot, snapshotAedesClient } from './aedes-client';
export { DescribeMqttNode, MqttNodeClient, StatusEventMapper, columnsFromStatus, connectionState, isStatusMessage } from './status';
export { BROKER_SAMPLES, EVENT_TYPES, EventType, eventNameOf, exampleColumns, exampleTestContext } from './examples';
export { InputKind, MessageColumnMapper, columnsFromMessage } from './message';
export { BrokerPayloadRefused } from './message';
export {
  AWS_CONNECT_FAILURE_REASONS, AWS_DISCONNECT_REASONS, BROKER_LABELS, BrokerEvents, BrokerName, SOCKET_ERRORS, V20_DISCONNECTS,
  V21_DISCONNECTS, brokerEventsFrom,
} from './brokers';
