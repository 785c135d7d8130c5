// The house rules of ../shared/STYLE.md (Layout), measured on src/: no file over 450 lines, no
// class over 300, no import cycle (two or more files importing each other, directly or around a
// ring), and lower rooms (rules, events, dynamo, json) importing nothing of Node-RED's adapters
// (nodes, plugins). Run: `npm run check:layout` (exit 1 and one line per breach, else a summary).
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const MAX_FILE_LINES = 450;
export const MAX_CLASS_LINES = 300;
const LOWER_ROOMS = ['rules', 'events', 'dynamo', 'json'];
const UPPER_ROOMS = ['nodes', 'plugins'];

export interface LayoutReport {
  files: number;
  longestFile: { file: string; lines: number };
  longestClass: { file: string; name: string; lines: number };
  breaches: string[];
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Resolves a relative module specifier to a file under src/, or undefined for a package. */
function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [base + '.ts', path.join(base, 'index.ts'), base]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** Every module specifier of a file: import/export ... from, import(), require(). */
function specifiers(file: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) {
        found.push(node.arguments[0].text);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** Strongly connected components of more than one file (Tarjan), i.e. the import cycles. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string): void => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!order.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, order.get(w)!));
      }
    }
    if (low.get(v) === order.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!order.has(v)) connect(v);
  return found;
}

/** Measures src/ under `root` against the layout rules. */
export function checkLayout(root: string): LayoutReport {
  const srcDir = path.join(root, 'src');
  const rel = (file: string): string => path.relative(root, file);
  const breaches: string[] = [];
  const graph = new Map<string, Set<string>>();
  let longestFile = { file: '', lines: 0 };
  let longestClass = { file: '', name: '', lines: 0 };
  const files = sourceFiles(srcDir);
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    if (lines > longestFile.lines) longestFile = { file: rel(file), lines };
    if (lines > MAX_FILE_LINES) breaches.push(`${rel(file)}: ${lines} lines (most ${MAX_FILE_LINES})`);
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node): void => {
      if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) {
        const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        const name = node.name?.text ?? '(anonymous class)';
        const classLines = end - start + 1;
        if (classLines > longestClass.lines) longestClass = { file: rel(file), name, lines: classLines };
        if (classLines > MAX_CLASS_LINES) breaches.push(`${rel(file)}: class ${name} is ${classLines} lines (most ${MAX_CLASS_LINES})`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    const targets = new Set<string>();
    const room = path.relative(srcDir, file).split(path.sep)[0];
    for (const spec of specifiers(source)) {
      const target = resolveImport(file, spec);
      if (!target || !target.startsWith(srcDir)) continue;
      targets.add(target);
      const targetRoom = path.relative(srcDir, target).split(path.sep)[0];
      if (LOWER_ROOMS.includes(room) && UPPER_ROOMS.includes(targetRoom)) {
        breaches.push(`${rel(file)} imports ${rel(target)}: ${room}/ must not depend on ${targetRoom}/ (Node-RED's side)`);
      }
    }
    graph.set(file, targets);
  }
  for (const ring of cycles(graph)) breaches.push(`import cycle: ${ring.map(rel).join(' <-> ')}`);
  return { files: files.length, longestFile, longestClass, breaches };
}

if (require.main === module) {
  const report = checkLayout(path.resolve(__dirname, '..'));
  for (const breach of report.breaches) console.log(breach);
  console.log(
    `${report.files} files under src/; longest file ${report.longestFile.file} (${report.longestFile.lines} lines), ` +
      `longest class ${report.longestClass.name} in ${report.longestClass.file} (${report.longestClass.lines} lines); ` +
      `${report.breaches.length} breach(es)`,
  );
  process.exitCode = report.breaches.length ? 1 : 0;
}
