// npm start's help beyond the banner (issue 22): the local keys for connectors with none, given
// through the environment of the demo's Node-RED, and the MQTT 3.1.1 hint said once when the
// aedes node refuses an MQTT 5 client.
import * as assert from 'node:assert/strict';
import { defaultChainEnv, readDemoConfig, runtimeLanguage } from '../../scripts/demo-config';
import { hintOnMqtt5Refusal, isProtocolRefusal, mqttxCommand, type NodeRedHooks } from '../../scripts/demo-hints';

const refusal = (code: number, message: string) => ({
  msg: { topic: 'connectionError', payload: { err: { errorCode: code, message } } },
  source: { node: { type: 'aedes broker' } },
});

describe('npm start: credential chain and MQTT 5 hint (issue 22)', function () {
  it('gives the local keys and the region to the default chain, unless the user chose a chain', function () {
    assert.deepEqual(defaultChainEnv(readDemoConfig({}), {}), { AWS_ACCESS_KEY_ID: 'root', AWS_SECRET_ACCESS_KEY: 'public', AWS_REGION: 'us-west-2' });
    assert.deepEqual(defaultChainEnv(readDemoConfig({ AWS_PROFILE: 'dev' }), { AWS_PROFILE: 'dev' }), { AWS_REGION: 'us-west-2' });
    const real = { DYNAMODB_URL: 'https://dynamodb.eu-west-1.amazonaws.com', AWS_ACCESS_KEY_ID: 'AKIA', AWS_REGION: 'eu-west-1' };
    assert.deepEqual(defaultChainEnv(readDemoConfig(real), real), {});
  });

  it("takes the runtime's language from NODE_RED_LANG, else the whole locale (zh_CN.UTF-8 → zh-CN, which Node-RED alone would cut to zh)", function () {
    assert.equal(runtimeLanguage({}), undefined);
    assert.equal(runtimeLanguage({ LANG: 'C.UTF-8' }), undefined);
    assert.equal(runtimeLanguage({ LANG: 'POSIX' }), undefined);
    assert.equal(runtimeLanguage({ LANG: 'zh_CN.UTF-8' }), 'zh-CN');
    assert.equal(runtimeLanguage({ LANG: 'ja_JP.UTF-8' }), 'ja-JP');
    assert.equal(runtimeLanguage({ LANG: 'de' }), 'de');
    assert.equal(runtimeLanguage({ LC_ALL: 'ja_JP.UTF-8', LANG: 'zh_CN.UTF-8' }), 'ja-JP', 'LC_ALL first, as Node-RED reads them');
    assert.equal(runtimeLanguage({ NODE_RED_LANG: 'ja', LANG: 'zh_CN.UTF-8' }), 'ja');
    assert.equal(readDemoConfig({ LANG: 'zh_CN.UTF-8' }).lang, 'zh-CN');
    assert.throws(() => runtimeLanguage({ NODE_RED_LANG: 'chinese please' }), /NODE_RED_LANG="chinese please" is not a language tag such as zh-CN/);
  });

  it('knows an aedes refusal of the protocol version from other messages', function () {
    assert.equal(isProtocolRefusal(refusal(1, 'unacceptable protocol version')), true);
    assert.equal(isProtocolRefusal(refusal(5, 'not authorized')), false);
    assert.equal(isProtocolRefusal({ ...refusal(1, 'unacceptable protocol version'), source: { node: { type: 'function' } } }), false);
    assert.equal(isProtocolRefusal({ msg: { topic: 'clientReady' }, source: { node: { type: 'aedes broker' } } }), false);
  });

  it('says the hint with the -V 3.1.1 command once, then stops watching', function () {
    const hooks = new Map<string, (events: Parameters<typeof isProtocolRefusal>[0][]) => void>();
    const fake: NodeRedHooks = { add: (name, hook) => hooks.set(name, hook), remove: (name) => hooks.delete(name) };
    const said: string[] = [];
    hintOnMqtt5Refusal(fake, 1883, (text) => said.push(text));
    const [name] = [...hooks.keys()];
    assert.match(name, /^onSend\./);
    hooks.get(name)!([{ msg: { topic: 'clientReady' }, source: { node: { type: 'aedes broker' } } }]);
    assert.equal(said.length, 0);
    hooks.get(name)!([refusal(1, 'unacceptable protocol version')]);
    assert.equal(hooks.size, 0);
    assert.equal(said.length, 1);
    assert.ok(said[0].includes(mqttxCommand(1883)) && said[0].includes('-V 3.1.1') && /MQTT 3\.1\.1 only/.test(said[0]), said[0]);
  });
});
