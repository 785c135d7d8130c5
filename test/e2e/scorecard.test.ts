// The Node-RED flow library's scorecard, checked offline. The rules and their ids are those of
// `node-red-dev validate` (npm node-red-dev 0.1.6, src/libs/checkpackage.js, checknodes.js,
// checkdeps.js); the tool itself needs the network (flow catalogue, npm registry) for every run,
// so its registry facts are pinned below and the network-only checks are listed as such.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const projectRoot = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  license?: string;
  repository?: unknown;
  bugs?: unknown;
  keywords?: string[];
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  files?: string[];
  'node-red': { version?: string; nodes: Record<string, string> };
};

// The tool's helpers, resolved from Node-RED's own dependencies (the versions Node-RED ships).
const nodesDir = path.dirname(require.resolve('@node-red/nodes/package.json'));
const semver = require(require.resolve('semver', { paths: [path.dirname(require.resolve('node-red'))] })) as {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
  valid(version: string): string | null;
};
const acorn = require(require.resolve('acorn', { paths: [nodesDir] })) as { parse(src: string, opts: object): unknown };
const walk = require(require.resolve('acorn-walk', { paths: [nodesDir] })) as {
  simple(ast: unknown, visitors: Record<string, (node: AcornNode) => void>): void;
};
interface AcornNode {
  type: string;
  callee?: { property?: { name?: string } };
  arguments?: AcornNode[];
  value?: unknown;
  properties?: { key: { name?: string; value?: string }; value: AcornNode }[];
}

/**
 * What `npm view node-red dist-tags engines` answered when this test was written (November 2026):
 * the tool tests P06 against every `latest`/`maintenance` tag and P07 against the Node.js minimum
 * of `latest`. The Node-RED installed here is checked too, since it is the one the suite runs.
 */
const REGISTRY_NODE_RED = { tags: { latest: '5.0.7' }, latestEngineNode: '>=22.9' };
const INSTALLED_NODE_RED = JSON.parse(fs.readFileSync(require.resolve('node-red/package.json'), 'utf8')) as {
  version: string;
  engines: { node: string };
};

/** Node definitions in an editor file, read as the tool does (script blocks, acorn, registerType). */
function nodeDefinitions(htmlFile: string): Record<string, { category?: string }> {
  const scripts = [...fs.readFileSync(htmlFile, 'utf8').matchAll(/<script.+?type=['"]text\/javascript['"].*?>([\S\s]*?)<\/script>/gi)];
  const defs: Record<string, { category?: string }> = {};
  for (const [, source] of scripts) {
    walk.simple(acorn.parse(source, { ecmaVersion: 'latest' }), {
      CallExpression(node) {
        if (node.callee?.property?.name !== 'registerType') return;
        const [typeNode, defNode] = node.arguments ?? [];
        if (typeNode?.type !== 'Literal' || defNode?.type !== 'ObjectExpression') return;
        const category = defNode.properties?.find((p) => p.key.name === 'category')?.value;
        defs[String(typeNode.value)] = { category: category?.type === 'Literal' ? String(category.value) : undefined };
      },
    });
  }
  return defs;
}

describe('flow library scorecard (node-red-dev validate rules, offline)', function () {
  describe('package', function () {
    it('P01: declares a license, and ships its text', function () {
      assert.equal(pkg.license, 'Apache-2.0');
      assert.ok(fs.existsSync(path.join(projectRoot, 'LICENSE')), 'LICENSE file');
      assert.ok(pkg.files?.includes('LICENSE'), 'LICENSE is in "files", so it is in the tarball');
    });

    it('P03: gives a repository (or bugs) link', function () {
      assert.ok(pkg.repository || pkg.bugs);
    });

    it('P04: uses a scoped name', function () {
      assert.match(pkg.name, /@[a-z\d][\w-.]+\/[a-z\d][\w-.]*/);
    });

    it('P05: has the node-red keyword', function () {
      assert.ok(pkg.keywords?.includes('node-red'));
    });

    it('P06: declares the Node-RED versions it supports, and the current ones satisfy it', function () {
      const range = pkg['node-red'].version;
      assert.ok(range, 'node-red.version is declared');
      for (const [tag, version] of Object.entries(REGISTRY_NODE_RED.tags)) {
        assert.ok(semver.satisfies(version, range), `Node-RED ${version} (${tag}) satisfies ${range}`);
      }
      assert.ok(semver.satisfies(INSTALLED_NODE_RED.version, range), `installed Node-RED ${INSTALLED_NODE_RED.version} satisfies ${range}`);
    });

    it("P07: declares engines.node, and latest Node-RED's minimum Node.js satisfies it", function () {
      const range = pkg.engines?.node;
      assert.ok(range, 'engines.node is declared');
      const minimum = semver.minVersion(REGISTRY_NODE_RED.latestEngineNode)!.version;
      assert.ok(semver.satisfies(minimum, range), `Node.js ${minimum} satisfies ${range}`);
      // And the suite's own runtime (Node 20 with Node-RED 4) is inside the range.
      assert.ok(semver.satisfies(process.versions.node, range), `Node.js ${process.versions.node} satisfies ${range}`);
    });
  });

  describe('nodes', function () {
    const declared = Object.entries(pkg['node-red'].nodes);

    it('every declared node has its editor file beside it, defining that type', function () {
      for (const [type, file] of declared) {
        const html = path.join(projectRoot, file.replace('.js', '.html'));
        assert.ok(fs.existsSync(html), `${html} exists`);
        assert.ok(nodeDefinitions(html)[type], `${html} registers ${type}`);
      }
    });

    it('N02: the examples use every node type that is not a config node', function () {
      const defs = Object.assign({}, ...declared.map(([, file]) => nodeDefinitions(path.join(projectRoot, file.replace('.js', '.html')))));
      const needed = Object.keys(defs).filter((type) => defs[type].category !== 'config');
      assert.ok(needed.includes('rule-sql') && needed.includes('dynamodb-sink'), `non-config types found: ${needed.join(', ')}`);
      const examplesDir = path.join(projectRoot, 'examples');
      const used = new Set(
        fs
          .readdirSync(examplesDir)
          .filter((f) => f.endsWith('.json'))
          .flatMap((f) => (JSON.parse(fs.readFileSync(path.join(examplesDir, f), 'utf8')) as { type: string }[]).map((n) => n.type)),
      );
      assert.deepEqual(needed.filter((type) => !used.has(type)), []);
    });
  });

  describe('dependencies', function () {
    it('D01: has at most 6 dependencies', function () {
      assert.ok(Object.keys(pkg.dependencies ?? {}).length <= 6, `dependencies: ${Object.keys(pkg.dependencies ?? {}).join(', ')}`);
    });

    it('D02: no known-incompatible package in the production dependency tree', function () {
      // The tool's src/badpackages.json.
      const bad: Record<string, string> = { 'agent-base': '<6.0.0' };
      const lock = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { version?: string; dev?: boolean }>;
      };
      const offenders = Object.entries(lock.packages)
        .filter(([where, entry]) => where !== '' && !entry.dev && entry.version)
        .map(([where, entry]) => ({ name: where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length), version: entry.version! }))
        .filter(({ name, version }) => bad[name] !== undefined && semver.satisfies(version, bad[name]));
      assert.deepEqual(offenders, []);
    });

    // N01 (type names unique in the flow catalogue), P08 (similar names in the catalogue) and D03
    // (dependencies at their latest versions) query catalogue.nodered.org and the npm registry;
    // they are not checked offline.
  });
});
