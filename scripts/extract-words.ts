// `npm run words`: writes the English sections of the runtime's message catalogs from the code.
// Every `words('<room>.<group>.<name>', 'English __var__ text', vars)` call under src/ (src/words.ts)
// becomes an entry of nodes/locales/en-US/<file>.json, in the top-level section of its room:
//   rules, events, json → rule-sql.json   connection → dynamodb-connector.json
//   item, delivery → dynamodb-sink.json   (the rooms are src/rules, src/events, src/json,
//   src/dynamo/connection, src/dynamo/item, src/dynamo/delivery)
// Translators then add the same keys to zh-CN and ja (test/words.test.ts checks all three).
// `--check` changes nothing and exits 1 (naming the keys) when the catalogs are not up to date.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');

/** Which catalog file holds a room's words. */
export const ROOM_FILES: Record<string, string> = {
  rules: 'rule-sql',
  events: 'rule-sql',
  json: 'rule-sql',
  connection: 'dynamodb-connector',
  item: 'dynamodb-sink',
  delivery: 'dynamodb-sink',
};

export type Extracted = { words: Map<string, string>; problems: string[] };

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

function literal(node: ts.Expression | undefined): string | undefined {
  if (node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))) return node.text;
  return undefined;
}

/** Every words(...) call under src/: key → English, and what is wrong with any call. */
export function extractWords(srcDir = path.join(ROOT, 'src')): Extracted {
  const found = new Map<string, string>();
  const problems: string[] = [];
  for (const file of sourceFiles(srcDir)) {
    const text = fs.readFileSync(file, 'utf8');
    if (!text.includes('words(')) continue;
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'words') {
        const where = `${path.relative(ROOT, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
        const key = literal(node.arguments[0]);
        const english = literal(node.arguments[1]);
        if (key === undefined || english === undefined) {
          problems.push(`${where}: words() needs a string literal key and English text`);
        } else if (!(key.split('.')[0] in ROOM_FILES) || key.split('.').length < 3) {
          problems.push(`${where}: key ${key} is not <room>.<group>.<name> with room one of ${Object.keys(ROOM_FILES).join(', ')}`);
        } else if (found.has(key) && found.get(key) !== english) {
          problems.push(`${where}: key ${key} has two English texts`);
        } else {
          found.set(key, english);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { words: found, problems };
}

type Tree = { [k: string]: string | Tree };

function nest(entries: [string, string][]): Tree {
  const tree: Tree = {};
  for (const [key, english] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const parts = key.split('.');
    let node = tree;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Tree;
    node[parts[parts.length - 1]] = english;
  }
  return tree;
}

/** The en-US catalog files as they should be: file name → JSON text. */
export function expectedCatalogs(extracted: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of new Set(Object.values(ROOM_FILES))) {
    const full = path.join(ROOT, 'nodes', 'locales', 'en-US', `${file}.json`);
    const current = fs.readFileSync(full, 'utf8');
    const catalog = JSON.parse(current) as Tree;
    const indent = /\n( +)"/.exec(current)?.[1].length ?? 4;
    for (const [room, roomFile] of Object.entries(ROOM_FILES)) {
      if (roomFile !== file) continue;
      const entries = [...extracted].filter(([k]) => k.startsWith(`${room}.`));
      if (entries.length === 0) delete catalog[room];
      else catalog[room] = nest(entries)[room] as Tree;
    }
    out.set(full, `${JSON.stringify(catalog, null, indent)}${current.endsWith('\n') ? '\n' : ''}`);
  }
  return out;
}

if (require.main === module) {
  const { words: found, problems } = extractWords();
  if (problems.length) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [file, text] of expectedCatalogs(found)) {
    if (fs.readFileSync(file, 'utf8') === text) continue;
    stale++;
    if (check) console.error(`${path.relative(ROOT, file)} is not up to date: run npm run words`);
    else fs.writeFileSync(file, text);
  }
  console.log(`${found.size} runtime text(s) under src/; ${check ? `${stale} catalog(s) stale` : `${stale} catalog(s) written`}`);
  process.exit(check && stale ? 1 : 0);
}
