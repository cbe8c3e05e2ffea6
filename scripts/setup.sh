#!/usr/bin/env bash
# Idempotent setup, run by every Makefile target: npm toolchain (anvil, forge, solcjs, Uniswap and
# Solidity libraries), the Python virtualenv, and the compiled contracts. Each step re-runs only when
# its inputs changed (a stamp file holds the hash of the inputs).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .setup

stale() { # stale NAME FILE... : true when FILEs changed since the stamp NAME was written
  local name=$1; shift
  local sum; sum=$(cat "$@" | sha256sum | cut -d' ' -f1)
  [ "$(cat ".setup/$name" 2>/dev/null)" != "$sum" ] && echo "$sum" > ".setup/$name.new"
}
done_step() { mv ".setup/$1.new" ".setup/$1"; }

if stale npm package.json package-lock.json || [ ! -x node_modules/@foundry-rs/forge-linux-amd64/bin/forge ]; then
  echo "setup: installing the chain toolchain from npm (anvil, forge, solc, Uniswap)"
  npm ci --no-audit --no-fund --loglevel=error
  [ -f .setup/npm.new ] && done_step npm || true
fi

PY=${PYTHON:-python3}
if stale python pyproject.toml || [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv and installing the Python package"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
  [ -f .setup/python.new ] && done_step python || true
fi

echo "setup: compiling contracts"
(cd contracts && ../node_modules/@foundry-rs/forge-linux-amd64/bin/forge build --quiet)
