// Issue 22: every message catalog (nodes/locales/<lang>/<type>.json, plugins/locales/<lang>/
// dynamodb-sidebar.json) has the same keys, with the same __placeholders__, in en-US, zh-CN and
// ja; every key the editor (data-i18n, _("..."), RED._("...")) and the runtime (RED._, the
// nodes' text("...")) name exists in en-US; and each language has the help of every node.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const LANGS = ['en-US', 'zh-CN', 'ja'];
const TYPES = ['dynamodb-connector', 'rule-sql', 'dynamodb-sink'];
const PLUGIN_NS = '@mqtt-dynamodb/node-red-dynamodb-rules/dynamodb-sidebar';

type Catalog = { [key: string]: string | Catalog };

function flatten(catalog: Catalog, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(catalog)) {
    if (typeof v === 'string') out.set(prefix + k, v);
    else for (const [kk, vv] of flatten(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}

const read = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as Catalog;
const nodeCatalog = (lang: string, type: string) => flatten(read(`nodes/locales/${lang}/${type}.json`)[type] as Catalog);
const pluginCatalog = (lang: string) => flatten(read(`plugins/locales/${lang}/dynamodb-sidebar.json`));
const placeholders = (s: string) => (s.match(/__[A-Za-z0-9_]+__/g) ?? []).sort();

function sameKeys(what: string, english: Map<string, string>, other: Map<string, string>, lang: string): void {
  const missing = [...english.keys()].filter((k) => !other.has(k));
  const extra = [...other.keys()].filter((k) => !english.has(k));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `${what} in ${lang}`);
  for (const [k, v] of english) assert.deepEqual(placeholders(other.get(k)!), placeholders(v), `${what} ${k} in ${lang}: placeholders`);
  for (const [k, v] of other) if (lang !== 'en-US' && v === '') assert.equal(english.get(k), '', `${what} ${k} in ${lang} is empty`);
}

function filesIn(dir: string, ext: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return filesIn(rel, ext);
    return e.name.endsWith(ext) ? [rel] : [];
  });
}

/** Every literal key a text names: data-i18n="[attr]ns.key", _("ns.key"), RED._('ns.key', ...). */
function keysUsed(text: string): string[] {
  const keys: string[] = [];
  for (const m of text.matchAll(/data-i18n="([^"]+)"/g)) for (const part of m[1].split(';')) keys.push(part.replace(/^\[[^\]]*\]/, ''));
  for (const m of text.matchAll(/\b_\(\s*['"]([^'"]+)['"]\s*[,)]/g)) keys.push(m[1]);
  return keys.filter((k) => !k.startsWith('node-red:'));
}

function assertKnown(key: string, where: string): void {
  const [ns, ...rest] = key.split('.');
  assert.ok(TYPES.includes(ns), `${where}: key ${key} names no node type's catalog`);
  assert.ok(nodeCatalog('en-US', ns).has(rest.join('.')), `${where}: key ${key} is not in nodes/locales/en-US/${ns}.json`);
}

describe('message catalogs and help in en-US, zh-CN and ja (issue 22)', function () {
  for (const type of TYPES) {
    it(`${type}: the same keys and placeholders in every language, and help in each`, function () {
      const english = nodeCatalog('en-US', type);
      for (const lang of LANGS) {
        sameKeys(type, english, nodeCatalog(lang, type), lang);
        const help = fs.readFileSync(path.join(ROOT, `nodes/locales/${lang}/${type}.html`), 'utf8');
        assert.match(help, new RegExp(`data-help-name="${type}"`), `${lang} help of ${type}`);
      }
    });
  }

  it('the sidebar plugin: the same keys and placeholders in every language', function () {
    for (const lang of LANGS) sameKeys('dynamodb-sidebar', pluginCatalog('en-US'), pluginCatalog(lang), lang);
  });

  it('every key the editor files name exists in en-US', function () {
    for (const file of filesIn('nodes', '.html').filter((f) => !f.includes('locales'))) {
      const used = keysUsed(fs.readFileSync(path.join(ROOT, file), 'utf8'));
      assert.ok(used.length > 5, `${file} uses the catalog`);
      for (const key of used) assertKnown(key, file);
    }
    const sidebar = fs.readFileSync(path.join(ROOT, 'plugins/dynamodb-sidebar.html'), 'utf8');
    assert.ok(sidebar.includes(`'${PLUGIN_NS}'`), 'the sidebar reads its catalog under the plugin id');
    const english = pluginCatalog('en-US');
    const used = [...sidebar.matchAll(/\bt\(\s*'([^']+)'\s*[,)]/g)].map((m) => m[1]);
    assert.ok(used.length > 5);
    for (const key of used) assert.ok(english.has(key), `plugins/dynamodb-sidebar.html: ${key} is not in plugins/locales/en-US/dynamodb-sidebar.json`);
  });

  it('every key the runtime names exists in en-US', function () {
    let count = 0;
    for (const file of filesIn('src', '.ts')) {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/RED\._\(\s*'([^']+)'/g)) {
        assertKnown(m[1], file);
        count++;
      }
      // The sink's and the connector's text('key'), relative to their own namespace.
      const ns = /src\/nodes\/(dynamodb-sink|rule-sql)\//.exec(file)?.[1];
      if (!ns) continue;
      for (const m of text.matchAll(/\btext\(\s*'([A-Za-z][\w.-]*)'/g)) {
        assertKnown(`${ns}.${m[1]}`, file);
        count++;
      }
      for (const m of text.matchAll(/\bt\(\s*'(rule-sql\.[\w.-]+)'/g)) {
        assertKnown(m[1], file);
        count++;
      }
    }
    assert.ok(count > 20, `${count} keys checked`);
  });
});
