// Words the sidebar plugin's runtime half shows (its log lines, the answers of
// GET /dynamodb-sink/metrics) come from the plugin's message catalog,
// plugins/locales/<lang>/dynamodb-sidebar.json, the one the sidebar itself reads. Node-RED gives a
// plugin a RED._ in the plugin's own namespace; where the catalog is not loaded (RED._ returns
// the key) the English file is read directly.
import * as fs from 'node:fs';
import * as path from 'node:path';

export type Vars = Record<string, string | number>;
export type PluginText = (key: string, vars?: Vars) => string;

const ENGLISH = path.join(__dirname, '..', '..', 'plugins', 'locales', 'en-US', 'dynamodb-sidebar.json');
let english: Record<string, unknown> | undefined;

function englishTemplate(key: string): string | undefined {
  english ??= JSON.parse(fs.readFileSync(ENGLISH, 'utf8')) as Record<string, unknown>;
  let node: unknown = english;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'string' ? node : undefined;
}

/** The sidebar plugin's words for a key of its catalog, e.g. text('runtime.metricsFailed', { error }). */
export function pluginText(RED: { _: unknown }): PluginText {
  const translate = RED._ as (key: string, vars?: Vars) => string;
  return (key, vars = {}) => {
    const translated = translate(key, vars);
    if (translated && translated !== key && !translated.endsWith(`:${key}`)) return translated;
    const template = englishTemplate(key);
    return template === undefined ? key : template.replace(/__([A-Za-z0-9_]+)__/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
  };
}
