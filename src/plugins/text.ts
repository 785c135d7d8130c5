// Words the sidebar plugin's runtime half shows (its log lines, the answers of
// GET /dynamodb-sink/metrics) come from the plugin's message catalog,
// plugins/locales/<lang>/dynamodb-sidebar.json, the one the sidebar itself reads. Node-RED gives a
// plugin a RED._ in the plugin's own namespace; where the catalog is not loaded (RED._ returns
// the key) the English file is read directly.
import * as path from 'node:path';
import { catalogText, type NodeText } from '../nodes/catalog';

export type PluginText = NodeText;

const ENGLISH = path.join(__dirname, '..', '..', 'plugins', 'locales', 'en-US', 'dynamodb-sidebar.json');

/** The sidebar plugin's words for a key of its catalog, e.g. text('runtime.metricsFailed', { error }). */
export function pluginText(RED: { _: unknown }): PluginText {
  return catalogText(RED._, ENGLISH);
}
