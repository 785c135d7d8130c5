// What `npm start` tells a newcomer beyond its banner. The demo's broker (the aedes node) speaks
// MQTT 3.1.1 only and refuses an MQTT 5 CONNECT with "unacceptable protocol version"; MQTT X, the
// client EMQX's pages use (`mqttx pub ...`), speaks MQTT 5 unless given `-V 3.1.1`. The refusal
// comes out of the aedes node's first output as `connectionError`; a Node-RED `onSend` hook sees it
// there, and the demo says once per run what to do.

/** The MQTT X command the banner and the hint give: the banner's publish, at MQTT 3.1.1. */
export function mqttxCommand(mqttPort: number): string {
  return `mqttx pub -V 3.1.1 -i emqx_c -t t/1 -m '{ "msg": "hello DynamoDB" }' -p ${mqttPort}`;
}

export function mqtt5Hint(mqttPort: number): string {
  return (
    'A client asked for MQTT 5 and the demo broker refused it ("Unacceptable protocol version"): ' +
    'the demo broker (aedes) speaks MQTT 3.1.1 only. MQTT X speaks MQTT 5 unless told otherwise; add -V 3.1.1:\n' +
    `  ${mqttxCommand(mqttPort)}`
  );
}

/** One message as a Node-RED onSend hook gets it (the parts read here). */
interface SendEvent {
  msg?: { topic?: unknown; payload?: { err?: { message?: unknown; errorCode?: unknown } } };
  source?: { node?: { type?: string } };
}

/** An aedes broker node reporting a CONNECT refused for its protocol version (CONNACK code 1). */
export function isProtocolRefusal(event: SendEvent): boolean {
  if (event.source?.node?.type !== 'aedes broker' || event.msg?.topic !== 'connectionError') return false;
  const err = event.msg.payload?.err;
  return err?.errorCode === 1 || /unacceptable protocol version/i.test(String(err?.message ?? ''));
}

/** Node-RED's hooks, as `require('node-red').hooks` gives them. */
export interface NodeRedHooks {
  add(name: string, hook: (events: SendEvent[]) => void): void;
  remove(name: string): void;
}

/** Says the hint the first time an MQTT 5 client is refused, then stops watching. */
export function hintOnMqtt5Refusal(hooks: NodeRedHooks, mqttPort: number, say: (text: string) => void): void {
  const name = 'onSend.npm-start-mqtt5-hint';
  hooks.add(name, (events) => {
    if (!events.some(isProtocolRefusal)) return;
    hooks.remove(name);
    say(mqtt5Hint(mqttPort));
  });
}
