#!/usr/bin/env bash
# Rebuilds ../noble.js from the pinned versions in package-lock.json, byte for byte:
#   cd templates/static/vendor/build && ./build.sh
# `./build.sh --check` rebuilds into a temporary file and fails if it differs from ../noble.js.
# node_modules is not committed: `npm ci` brings exactly the locked versions (integrity-checked).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --ignore-scripts >/dev/null
out=../noble.js
if [ "${1:-}" = "--check" ]; then out=$(mktemp); fi
{
  echo "/* jicai vendor bundle: @noble/curves $(node -p 'require("./node_modules/@noble/curves/package.json").version'), @noble/ciphers $(node -p 'require("./node_modules/@noble/ciphers/package.json").version'), @noble/hashes $(node -p 'require("./node_modules/@noble/hashes/package.json").version') (MIT, Paul Miller, paulmillr.com/noble). Built by templates/static/vendor/build/build.sh with esbuild $(node_modules/.bin/esbuild --version); do not edit. */"
  node_modules/.bin/esbuild entry.js --bundle --format=iife --target=es2020 --platform=browser \
    --legal-comments=none --charset=utf8 --log-level=warning
} >"$out"
if [ "${1:-}" = "--check" ]; then
  if cmp -s "$out" ../noble.js; then echo "noble.js is reproduced byte for byte"; rm -f "$out"
  else echo "noble.js differs from its recipe (rebuilt copy: $out)" >&2; exit 1; fi
else
  sha256sum ../noble.js
fi
