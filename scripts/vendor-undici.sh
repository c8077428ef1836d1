#!/usr/bin/env bash
# Rebuild agentops/node/undici.cjs: the pinned undici release bundled into one file (esbuild),
# exporting only what the Node preload uses. Needs npm and network; the result is committed, so
# neither `agentops run` nor CI ever needs them.
set -euo pipefail
UNDICI=6.29.1   # 6.x supports Node >= 18; 7.x needs >= 20.18.1
ESBUILD=0.28.2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts "undici@$UNDICI" "esbuild@$ESBUILD" >/dev/null
cat > entry.js <<'JS'
const { EnvHttpProxyAgent, setGlobalDispatcher, getGlobalDispatcher } = require('undici');
module.exports = { EnvHttpProxyAgent, setGlobalDispatcher, getGlobalDispatcher };
JS
npx esbuild entry.js --bundle --platform=node --target=node20 --format=cjs --minify \
  --legal-comments=eof --banner:js="// undici $UNDICI (MIT, see UNDICI-LICENSE), bundled by scripts/vendor-undici.sh" \
  --outfile="$root/agentops/node/undici.cjs"
cp node_modules/undici/LICENSE "$root/agentops/node/UNDICI-LICENSE"
echo "agentops/node/undici.cjs: undici $UNDICI"
