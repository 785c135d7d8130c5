// Words a node shows at runtime (status, errors, log) come from its message catalog,
// nodes/locales/<lang>/<type>.json, through Node-RED's i18n (RED._ with the node type's
// namespace, as core nodes do). Where the catalog is not loaded (node-red-node-test-helper's
// RED._ returns the key), the English file is read directly.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NodeAPI } from 'node-red';
import { installCatalog } from '../words';

export type Vars = Record<string, string | number>;

/** A node's words for a message-catalog key, e.g. text('status.written', { n: '1,204' }). */
export type NodeText = (key: string, vars?: Vars) => string;

const LOCALES = path.join(__dirname, '..', '..', 'nodes', 'locales');
const english = new Map<string, Record<string, unknown>>();

function englishCatalog(namespace: string): Record<string, unknown> {
  let catalog = english.get(namespace);
  if (!catalog) {
    const file = JSON.parse(fs.readFileSync(path.join(LOCALES, 'en-US', `${namespace}.json`), 'utf8')) as Record<string, Record<string, unknown>>;
    catalog = file[namespace] ?? {};
    english.set(namespace, catalog);
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

function fill(template: string, vars: Vars): string {
  return template.replace(/__([A-Za-z0-9_]+?)__/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** The catalog words of the node type `namespace` (`rule-sql`, `dynamodb-sink`, ...). */
export function nodeText(RED: NodeAPI, namespace: string): NodeText {
  return (key, vars = {}) => {
    const full = `${namespace}.${key}`;
    const translated = (RED._ as (k: string, v?: Vars) => string)(full, vars);
    if (translated && translated !== full) return translated;
    const template = lookup(englishCatalog(namespace), key);
    return template === undefined ? full : fill(template, vars);
  };
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
