// Issue 22: the runtime's words (src/words.ts) go through the message catalogs. Every words()
// call under src/ has a literal key and English text; the en-US sections are what
// `npm run words` writes from the code; zh-CN and ja hold the same keys with the same
// __placeholders__; and an installed catalog's text wins over the English.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expectedCatalogs, extractWords, ROOM_FILES } from '../scripts/extract-words';
import { installCatalog, resetCatalogs, words } from '../src/words';

const ROOT = path.resolve(__dirname, '..');
type Tree = { [k: string]: string | Tree };

function flatten(tree: Tree | undefined, prefix: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree ?? {})) {
    if (typeof v === 'string') out.set(`${prefix}${k}`, v);
    else for (const [kk, vv] of flatten(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}

const section = (lang: string, room: string) =>
  flatten((JSON.parse(fs.readFileSync(path.join(ROOT, 'nodes', 'locales', lang, `${ROOM_FILES[room]}.json`), 'utf8')) as Tree)[room] as Tree, `${room}.`);
const placeholders = (s: string) => (s.match(/__[A-Za-z0-9_]+__/g) ?? []).sort();

describe('runtime words through the message catalogs (issue 22)', function () {
  const { words: found, problems } = extractWords();

  it('every words() call has a literal <room>.<group>.<name> key and one English text', function () {
    assert.deepEqual(problems, []);
  });

  it('the en-US catalogs hold exactly the words of the code (npm run words writes them)', function () {
    for (const [file, text] of expectedCatalogs(found)) {
      assert.equal(fs.readFileSync(file, 'utf8'), text, `${path.relative(ROOT, file)} is not up to date: run npm run words`);
    }
  });

  for (const lang of ['zh-CN', 'ja']) {
    it(`${lang} translates every runtime word, with the same placeholders`, function () {
      for (const room of Object.keys(ROOM_FILES)) {
        const english = section('en-US', room);
        const other = section(lang, room);
        const missing = [...english.keys()].filter((k) => !other.has(k));
        const extra = [...other.keys()].filter((k) => !english.has(k));
        assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `${room} in nodes/locales/${lang}/${ROOM_FILES[room]}.json`);
        for (const [k, v] of english) {
          assert.deepEqual(placeholders(other.get(k)!), placeholders(v), `${k} in ${lang}: placeholders`);
          assert.ok(other.get(k)!.trim() !== '', `${k} in ${lang} is empty`);
        }
      }
    });
  }

  describe('words()', function () {
    afterEach(resetCatalogs);

    it('gives the English text with its placeholders filled when no catalog is installed', function () {
      assert.equal(words('connection.test.sample', 'table __table__ not found (__n__)', { table: 'mqtt_msg', n: 3 }), 'table mqtt_msg not found (3)');
    });

    it('fills placeholders written back to back and names with underscores', function () {
      assert.equal(words('connection.test.sample', '__billing____ttl__ (__max_groups__)', { billing: 'on-demand', ttl: ', TTL on', max_groups: 3 }), 'on-demand, TTL on (3)');
    });

    it("takes the installed catalog's text for its room, and English where the catalog has none", function () {
      installCatalog('connection', (key, vars) => (key === 'connection.test.sample' ? `找不到表 ${String(vars.table)}` : key));
      assert.equal(words('connection.test.sample', 'table __table__ not found', { table: 't1' }), '找不到表 t1');
      assert.equal(words('connection.test.other', 'other __x__', { x: 1 }), 'other 1');
      assert.equal(words('rules.test.sample', 'rule __x__', { x: 2 }), 'rule 2');
    });

    it('a catalog that throws or answers namespace:key falls back to English', function () {
      installCatalog('rules', () => {
        throw new Error('not loaded');
      });
      installCatalog('json', (key) => `ns:${key}`);
      assert.equal(words('rules.test.sample', 'rule __x__', { x: 2 }), 'rule 2');
      assert.equal(words('json.test.sample', 'json'), 'json');
    });
  });
});
