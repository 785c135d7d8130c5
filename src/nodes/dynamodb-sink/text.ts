// Words the sink shows at runtime (status, errors, log) come from its message catalog,
// nodes/locales/en-US/dynamodb-sink.json, through Node-RED's i18n. Where the catalog is not
// loaded (node-red-node-test-helper's RED._ returns the key), the English file is read directly.
import type { NodeAPI } from 'node-red';

type Vars = Record<string, string | number>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const english = require('../../../nodes/locales/en-US/dynamodb-sink.json') as { 'dynamodb-sink': Record<string, unknown> };

function lookup(key: string): string | undefined {
  let node: unknown = english['dynamodb-sink'];
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'string' ? node : undefined;
}

function fill(template: string, vars: Vars): string {
  return template.replace(/__([A-Za-z0-9_]+)__/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** The sink's words for a message-catalog key, e.g. text('status.counts', { success, failed, queued }). */
export type SinkText = (key: string, vars?: Vars) => string;

export function sinkText(RED: NodeAPI): SinkText {
  return (key, vars = {}) => {
    const full = `dynamodb-sink.${key}`;
    const translated = (RED._ as (k: string, v?: Vars) => string)(full, vars);
    if (translated && translated !== full) return translated;
    const template = lookup(key);
    return template === undefined ? full : fill(template, vars);
  };
}
