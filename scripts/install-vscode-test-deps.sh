#!/usr/bin/env bash
# Installs the Debian packages that the extension tests in a real VS Code need
# (test/support/codeServer.ts):
#   - code-server's npm install builds native modules: libkrb5-dev (the
#     `kerberos` module's headers), and a C/C++ toolchain with python3 for
#     node-gyp (build-essential, python3);
#   - ripgrep: its /usr/bin/rg replaces the ripgrep binary that
#     @vscode/ripgrep would otherwise download at install time;
#   - chromium: the headless browser that opens code-server's workbench,
#     driven by playwright-core (never `playwright install`).
# Installs only the missing ones, after `apt-get update -qq`. Idempotent; run
# as root (CI runs as root). The npm side (code-server itself) is installed
# on demand, without root, by ensureCodeServer() into .vscode-test/.
set -euo pipefail

packages=(libkrb5-dev ripgrep chromium build-essential)
# node-gyp needs a python3; one on PATH from elsewhere (pyenv, a venv) will do.
command -v python3 >/dev/null 2>&1 || packages+=(python3)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-vscode-test-deps: all present (${packages[*]})"
  exit 0
fi

if [[ "$(id -u)" != 0 ]]; then
  echo "install-vscode-test-deps: missing ${missing[*]}; run this script as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi

echo "install-vscode-test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-vscode-test-deps: done"
