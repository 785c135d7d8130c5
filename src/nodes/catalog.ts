// Words a node shows at runtime (status, errors, log) come from its message catalog,
// nodes/locales/<lang>/<type>.json, through Node-RED's i18n (RED._ with the node type's
// namespace, as core nodes do). Where the catalog is not loaded (node-red-node-test-helper's
// RED._ returns the key), the English file is read directly.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NodeAPI } from 'node-red';
import { fill, installCatalog } from '../words';

export type Vars = Record<string, string | number>;

/** A node's words for a message-catalog key, e.g. text('status.written', { n: '1,204' }). */
export type NodeText = (key: string, vars?: Vars) => string;

const LOCALES = path.join(__dirname, '..', '..', 'nodes', 'locales');
const english = new Map<string, Record<string, unknown>>();

/** An en-US catalog file, read once. */
function englishCatalog(file: string): Record<string, unknown> {
  let catalog = english.get(file);
  if (!catalog) {
    catalog = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    english.set(file, catalog);
  }
  return catalog;
}

function lookup(catalog: Record<string, unknown>, key: string): string | undefined {
  let node: unknown = catalog;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'string' ? node : undefined;
}

/**
 * The words of one message catalog: `translate` (a Node-RED `RED._`) for `prefix + key`, else the
 * en-US file `englishFile` (Node-RED's test helper's RED._ answers the key itself).
 */
export function catalogText(translate: unknown, englishFile: string, prefix = ''): NodeText {
  const t = translate as (k: string, v?: Vars) => string;
  return (key, vars = {}) => {
    const full = prefix + key;
    const translated = t(full, vars);
    if (translated && translated !== full && !translated.endsWith(`:${full}`)) return translated;
    const template = lookup(englishCatalog(englishFile), full);
    return template === undefined ? full : fill(template, vars);
  };
}

/** The catalog words of the node type `namespace` (`rule-sql`, `dynamodb-sink`, ...). */
export function nodeText(RED: NodeAPI, namespace: string): NodeText {
  return catalogText(RED._, path.join(LOCALES, 'en-US', `${namespace}.json`), `${namespace}.`);
}

/** A count as a status shows it: 1204 → `1,204`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** The longest status text shown; a longer one (a long translation) is cut with an ellipsis. */
export const STATUS_MAX_CHARS = 40;

/** A status text of at most STATUS_MAX_CHARS characters. */
export function fit(s: string): string {
  return s.length > STATUS_MAX_CHARS ? `${s.slice(0, STATUS_MAX_CHARS - 1)}…` : s;
}

/**
 * Makes the lower rooms' words (src/words.ts) come from this node type's message catalog, in
 * Node-RED's runtime language: `rooms` are the catalog's top-level sections (`rules`, `events`,
 * `json` in rule-sql.json; `connection` in dynamodb-connector.json; `item`, `delivery` in
 * dynamodb-sink.json).
 */
export function installRuntimeWords(RED: NodeAPI, rooms: string[]): void {
  const translate = RED._ as (k: string, v?: Vars) => string;
  for (const room of rooms) installCatalog(room, (key, vars) => translate(key, vars as Vars));
}
