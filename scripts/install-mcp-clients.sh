#!/usr/bin/env bash
# Installs the pinned third-party MCP clients the real-client tests drive (examples/server/test/
# realClients.e2e.test.ts) and the conformance suite (scripts/conformance.mjs), into a cache
# directory reused between runs: mcp-remote, the MCP Inspector and @modelcontextprotocol/conformance
# from the npm registry, the Python SDK (`mcp`) and FastMCP into a Python venv.
set -euo pipefail
dir="${MCP_CLIENTS_DIR:-${TMPDIR:-/tmp}/mcp-auth-kit-clients}"
mkdir -p "$dir"

if [ ! -f "$dir/node/node_modules/mcp-remote/package.json" ] || [ ! -f "$dir/node/node_modules/@modelcontextprotocol/inspector/package.json" ]; then
  echo "installing mcp-remote 0.15.1 and the MCP Inspector 2.12.0 into $dir/node"
  npm install --prefix "$dir/node" --no-audit --no-fund --loglevel=error \
    mcp-remote@0.15.1 @modelcontextprotocol/inspector@2.12.0
fi

if [ ! -f "$dir/conformance/node_modules/@modelcontextprotocol/conformance/package.json" ]; then
  echo "installing the MCP conformance suite 0.1.16 into $dir/conformance"
  npm install --prefix "$dir/conformance" --no-audit --no-fund --loglevel=error @modelcontextprotocol/conformance@0.1.16
fi

if ! command -v python3 >/dev/null 2>&1; then
  echo "installing python3"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq python3 python3-venv >/dev/null
fi

if ! "$dir/python/bin/python" -c 'import mcp, fastmcp' >/dev/null 2>&1; then
  echo "installing the Python SDK (mcp 2.3.0) and FastMCP 4.0.10 into $dir/python"
  rm -rf "$dir/python"
  if ! python3 -m venv "$dir/python" 2>/dev/null; then
    # Debian's system Python ships venv separately
    echo "installing python3-venv"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$dir/python"
    python3 -m venv "$dir/python"
  fi
  index=()
  # this machine's PyPI mirror lies on disk: ask it first, so pip does not wait on pypi.org
  if [ -d /opt/pypi/simple ]; then
    index=(--index-url file:///opt/pypi/simple)
    [ -d /opt/pypi-more/simple ] && index+=(--extra-index-url file:///opt/pypi-more/simple)
  fi
  "$dir/python/bin/pip" install --quiet "${index[@]}" "mcp==2.3.0" "fastmcp==4.0.10" 2>&1 | grep -v "is ignored: it is neither" || true
  "$dir/python/bin/python" -c 'import mcp, fastmcp'
fi
echo "MCP clients in $dir"
