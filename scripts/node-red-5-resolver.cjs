// Loaded by scripts/test-compat.sh through mocha --require and NODE_OPTIONS (so Node-RED child
// processes and `npm start` get it too): makes the tests' `node-red`,
// `@node-red/*` and `node-red-node-test-helper` resolve to the Node-RED 5 install in
// .compat/node<major>/ (COMPAT_DIR) instead of the project's Node-RED 4, and checks (root hook)
// that the run really is Node <major> (COMPAT_NODE_MAJOR, 22 or 24) + Node-RED 5, printing both
// so the CI log shows it.
'use strict';
const Module = require('node:module');
const path = require('node:path');

const major = process.env.COMPAT_NODE_MAJOR || '22';
const compatDir = path.resolve(process.env.COMPAT_DIR || path.join(__dirname, '..', '.compat', `node${major}`));
const compatModules = path.join(compatDir, 'node_modules');
const redirected = /^(node-red|node-red-node-test-helper|@node-red\/[^/]+)(\/.*)?$/;

// Loaded twice in the mocha process (NODE_OPTIONS for every child, --require for the
// hooks below): redirect once.
const originalResolve = Module._resolveFilename;
if (!originalResolve.nodeRed5Redirect) Module._resolveFilename = Object.assign(function (request, parent, isMain, options) {
  // Only requests made from outside .compat: Node-RED 5's own requires resolve as installed.
  const from = parent && parent.filename ? parent.filename : '';
  if (redirected.test(request) && !from.startsWith(compatModules + path.sep)) {
    return originalResolve.call(this, request, parent, isMain, { paths: [compatDir] });
  }
  return originalResolve.call(this, request, parent, isMain, options);
}, { nodeRed5Redirect: true });

exports.mochaHooks = {
  beforeAll() {
    const helper = require('node-red-node-test-helper');
    const redVersion = helper._RED.version();
    const where = path.dirname(require.resolve('node-red/package.json'));
    console.log(`  compat run: Node ${process.version}, Node-RED ${redVersion} (${path.relative(process.cwd(), where)})`);
    if (!process.version.startsWith(`v${major}.`)) throw new Error(`expected Node ${major}, running ${process.version}`);
    if (!redVersion.startsWith('5.')) throw new Error(`expected Node-RED 5, the helper loaded ${redVersion}`);
  },
};
